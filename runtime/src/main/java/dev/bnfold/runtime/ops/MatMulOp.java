package dev.bnfold.runtime.ops;

import dev.bnfold.runtime.format.NodeDef;
import dev.bnfold.runtime.kernels.Gemm;
import dev.bnfold.runtime.kernels.GemmMicroKernel;
import dev.bnfold.runtime.kernels.PanelLayout;

/**
 * MatMul with numpy semantics: A (..., M, K) x B (..., K, N), batch dims broadcast; a 1-D A gets a
 * leading 1 and a 1-D B a trailing 1, removed from the result. A constant 2-D B is packed once at
 * load and the whole batch of A runs as one (batch*M, K) GEMM.
 */
final class MatMulOp extends Op {
  private final GemmMicroKernel gemm;
  private final float[] packedB;
  private Activation act;

  private MatMulOp(NodeDef n, GemmMicroKernel gemm, float[] packedB) {
    super(n);
    this.gemm = gemm;
    this.packedB = packedB;
  }

  static Op create(NodeDef n, Attrs a, OpContext c, GemmMicroKernel gemm) {
    new MatMulOp(n, gemm, null).arity(2, 2, 1);
    int[] ws = c.constantShape(n.inputs().get(1));
    float[] packed = null;
    if (ws != null && ws.length == 2) {
      packed = c.constantPacked(n.inputs().get(1), weightLayout(gemm)); // null unless FLOAT32
    }
    return new MatMulOp(n, gemm, packed);
  }

  /**
   * The layout of a constant 2-D B (K, N) as {@link Gemm#packB} packs it: nr-row panels of B^T. The
   * model writer stores weights in this layout (see {@link WeightLayouts}).
   */
  static PanelLayout weightLayout(GemmMicroKernel gemm) {
    return PanelLayout.transposedRows(gemm.nr());
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

  private static int[] as2(int[] a, boolean isA) {
    if (a.length >= 2) {
      return a;
    }
    return isA ? new int[] {1, a[0]} : new int[] {a[0], 1};
  }

  @Override
  public int[][] inferShapes(int[][] in) {
    if (in[0].length == 0 || in[1].length == 0) {
      throw shapeError("MatMul operands must have rank >= 1");
    }
    int[] a = as2(in[0], true);
    int[] b = as2(in[1], false);
    if (a[a.length - 1] != b[b.length - 2]) {
      throw shapeError("inner dimensions differ: " + Shapes.str(in[0]) + " x " + Shapes.str(in[1]));
    }
    int[] batch =
        Shapes.broadcast(
            java.util.Arrays.copyOf(a, a.length - 2), java.util.Arrays.copyOf(b, b.length - 2));
    int r = batch.length;
    int[] out = java.util.Arrays.copyOf(batch, r + 2);
    out[r] = a[a.length - 2];
    out[r + 1] = b[b.length - 1];
    if (in[0].length == 1) {
      out = remove(out, r);
      r--;
    }
    if (in[1].length == 1) {
      out = remove(out, out.length - 1);
    }
    return new int[][] {out};
  }

  private static int[] remove(int[] s, int i) {
    int[] o = new int[s.length - 1];
    System.arraycopy(s, 0, o, 0, i);
    System.arraycopy(s, i + 1, o, i, s.length - i - 1);
    return o;
  }

  @Override
  public Step bind(Binding bd) {
    int[] a = as2(bd.in[0], true);
    int[] bs = as2(bd.in[1], false);
    int m = a[a.length - 2];
    int k = a[a.length - 1];
    int n = bs[bs.length - 1];
    int[] aBatch = java.util.Arrays.copyOf(a, a.length - 2);
    int[] bBatch = java.util.Arrays.copyOf(bs, bs.length - 2);
    int[] batch = Shapes.broadcast(aBatch, bBatch);
    int batches = Shapes.size(batch);
    int[] sa = Shapes.broadcastStrides(aBatch, batch);
    int[] sb = Shapes.broadcastStrides(bBatch, batch);
    int mr = gemm.mr();
    int nr = gemm.nr();
    int ia = bd.inIds[0];
    int ib = bd.inIds[1];
    int iy = bd.outIds[0];
    GemmMicroKernel kern = gemm;
    Activation act = this.act;
    int total = Shapes.size(bd.out[0]);
    boolean oneGemm = packedB != null && bBatch.length == 0;
    if (oneGemm) {
      int rows = Math.multiplyExact(batches, m);
      bd.needScratch(Gemm.packedASize(rows, k, mr));
      float[] pb = packedB;
      return f -> {
        Gemm.packA(f.scratch, 0, f.buf[ia], f.off[ia], k, false, rows, k, mr);
        GemmOp.multiply(f, kern, f.buf[iy], f.off[iy], n, f.scratch, pb, 0, rows, k);
        if (act != null) {
          act.apply(f.buf[iy], f.off[iy], total);
        }
      };
    }
    int paSize = Gemm.packedASize(m, k, mr);
    bd.needScratch(paSize + Gemm.packedBSize(k, n, nr));
    int r = batch.length;
    return f -> {
      float[] s = f.scratch;
      for (int t = 0; t < batches; t++) {
        int rem = t;
        int oa = 0;
        int ob = 0;
        for (int d = r - 1; d >= 0; d--) {
          int idx = rem % batch[d];
          rem /= batch[d];
          oa += idx * sa[d];
          ob += idx * sb[d];
        }
        Gemm.packA(s, 0, f.buf[ia], f.off[ia] + oa * m * k, k, false, m, k, mr);
        Gemm.packB(s, paSize, f.buf[ib], f.off[ib] + ob * k * n, n, false, k, n, nr);
        GemmOp.multiply(f, kern, f.buf[iy], f.off[iy] + t * m * n, n, s, s, paSize, m, k);
      }
      if (act != null) {
        act.apply(f.buf[iy], f.off[iy], total);
      }
    };
  }
}
