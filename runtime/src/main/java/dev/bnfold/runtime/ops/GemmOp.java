package dev.bnfold.runtime.ops;

import dev.bnfold.runtime.format.NodeDef;
import dev.bnfold.runtime.kernels.Gemm;
import dev.bnfold.runtime.kernels.GemmMicroKernel;
import dev.bnfold.runtime.kernels.PanelLayout;

/**
 * Gemm: {@code Y (M, N) = alpha * op(A) * op(B) + beta * C}, C unidirectionally broadcast to (M,
 * N). A constant B is packed once at load; A (and a non-constant B) is packed per call into
 * scratch. A fused activation is applied in the epilogue.
 */
final class GemmOp extends Op {
  private final boolean transA;
  private final boolean transB;
  private final float alpha;
  private final float beta;
  private final GemmMicroKernel gemm;
  private final float[] packedB; // (K, N) packed in nr panels, or null
  private Activation act;

  private GemmOp(
      NodeDef n,
      boolean ta,
      boolean tb,
      float alpha,
      float beta,
      GemmMicroKernel gemm,
      float[] packedB) {
    super(n);
    this.transA = ta;
    this.transB = tb;
    this.alpha = alpha;
    this.beta = beta;
    this.gemm = gemm;
    this.packedB = packedB;
  }

  static Op create(NodeDef n, Attrs a, OpContext c, GemmMicroKernel gemm) {
    boolean ta = a.i("transA", 0) != 0;
    boolean tb = a.i("transB", 0) != 0;
    float alpha = a.f("alpha", 1f);
    float beta = a.f("beta", 1f);
    GemmOp probe = new GemmOp(n, ta, tb, alpha, beta, gemm, null);
    probe.arity(2, 3, 1);
    int[] ws = c.constantShape(n.inputs().get(1));
    float[] packed = null;
    if (ws != null && ws.length == 2) {
      packed = c.constantPacked(n.inputs().get(1), weightLayout(tb, gemm)); // null unless FLOAT32
    }
    return new GemmOp(n, ta, tb, alpha, beta, gemm, packed);
  }

  /**
   * The layout of a constant B (rank 2) as {@link Gemm#packB} packs it: nr-column panels of op(B),
   * that is nr-row panels of B (N, K) when transB, of B^T when B is (K, N). The model writer stores
   * weights in this layout (see {@link WeightLayouts}).
   */
  static PanelLayout weightLayout(boolean transB, GemmMicroKernel gemm) {
    return transB ? PanelLayout.rows(1, gemm.nr()) : PanelLayout.transposedRows(gemm.nr());
  }

  @Override
  public boolean fuse(Activation a) {
    if (act != null) {
      return false;
    }
    act = a;
    return true;
  }

  @Override
  public Activation fused() {
    return act;
  }

  /** C (m, n) = packed A (at scratch 0) x packed B, column panels split across workers. */
  static void multiply(
      Frame f,
      dev.bnfold.runtime.kernels.GemmMicroKernel kern,
      float[] y,
      int y0,
      int n,
      float[] pa,
      float[] pb,
      int pbOff,
      int m,
      int k) {
    int panels = Gemm.panels(n, kern.nr());
    if (f.parallel.threads() == 1 || (long) m * n * k < 32768) {
      Gemm.multiplyPacked(kern, y, y0, n, pa, 0, pb, pbOff, m, n, k, false, 0, panels);
    } else {
      f.parallel.forRange(
          panels,
          (w, q0, q1) ->
              Gemm.multiplyPacked(kern, y, y0, n, pa, 0, pb, pbOff, m, n, k, false, q0, q1));
    }
  }

  @Override
  public int[][] inferShapes(int[][] in) {
    int[] a = in[0];
    int[] b = in[1];
    if (a.length != 2 || b.length != 2) {
      throw shapeError("A " + Shapes.str(a) + " and B " + Shapes.str(b) + " must be 2-D");
    }
    int m = transA ? a[1] : a[0];
    int k = transA ? a[0] : a[1];
    int kb = transB ? b[1] : b[0];
    int n = transB ? b[0] : b[1];
    if (k != kb) {
      throw shapeError("inner dimensions differ: A " + Shapes.str(a) + ", B " + Shapes.str(b));
    }
    int[] y = {m, n};
    if (in.length > 2 && in[2] != null) {
      int[] bc = Shapes.broadcast(y, in[2]);
      if (!java.util.Arrays.equals(bc, y)) {
        throw shapeError("C " + Shapes.str(in[2]) + " does not broadcast to " + Shapes.str(y));
      }
    }
    return new int[][] {y};
  }

  @Override
  public Step bind(Binding b) {
    int[] as = b.in[0];
    int[] bs = b.in[1];
    int m = b.out[0][0];
    int n = b.out[0][1];
    int k = transA ? as[0] : as[1];
    int nr = gemm.nr();
    int mr = gemm.mr();
    boolean rowPath = m == 1 && packedB != null; // batch-1 fully connected: A read in place
    int paSize = rowPath ? 0 : Gemm.packedASize(m, k, mr);
    int pbSize = packedB == null ? Gemm.packedBSize(k, n, nr) : 0;
    b.needScratch(paSize + pbSize);
    int ia = b.inIds[0];
    int ib = b.inIds[1];
    int ic = b.inIds.length > 2 ? b.inIds[2] : -1;
    int iy = b.outIds[0];
    int[] cst = ic < 0 ? null : Shapes.broadcastStrides(b.in[2], b.out[0]);
    boolean ta = transA;
    boolean tb = transB;
    float al = alpha;
    float be = beta;
    float[] pb0 = packedB;
    GemmMicroKernel kern = gemm;
    Activation act = this.act;
    int lda = as[1];
    int ldb = bs[1];
    int panels = Gemm.panels(n, nr);
    // op(A) is one row, contiguous whether or not it is transposed (then lda is 1); its panels
    // split across the workers when B is large (a classifier's weights stream from memory: the
    // 1280 x 1000 one of mobilenet_v2 took 0.19 ms on one thread and on two)
    Parallel.FrameBody rowPanels =
        (f, w, q0, q1) ->
            Gemm.multiplyRow(
                kern, f.buf[iy], f.off[iy], f.buf[ia], f.off[ia], pb0, 0, n, k, q0, q1);
    boolean rowParallel = (long) n * k >= 1 << 16 && panels > 1;
    return f -> {
      float[] y = f.buf[iy];
      int y0 = f.off[iy];
      if (rowPath) {
        if (rowParallel && f.parallel.threads() > 1) {
          f.parallel.forRange(f, panels, rowPanels);
        } else {
          Gemm.multiplyRow(kern, y, y0, f.buf[ia], f.off[ia], pb0, 0, n, k, 0, panels);
        }
      } else {
        float[] s = f.scratch;
        Gemm.packA(s, 0, f.buf[ia], f.off[ia], lda, ta, m, k, mr);
        float[] pb = pb0;
        int pbOff = 0;
        if (pb == null) {
          Gemm.packB(s, paSize, f.buf[ib], f.off[ib], ldb, tb, k, n, nr);
          pb = s;
          pbOff = paSize;
        }
        multiply(f, kern, y, y0, n, s, pb, pbOff, m, k);
      }
      if (al != 1f || (ic >= 0 && be != 0f) || act != null) {
        float[] c = ic < 0 ? null : f.buf[ic];
        int c0 = ic < 0 ? 0 : f.off[ic];
        for (int i = 0; i < m; i++) {
          for (int j = 0; j < n; j++) {
            float v = al * y[y0 + i * n + j];
            if (c != null && be != 0f) {
              v += be * c[c0 + i * cst[0] + j * cst[1]];
            }
            y[y0 + i * n + j] = act == null ? v : act.apply(v);
          }
        }
      }
    };
  }
}
