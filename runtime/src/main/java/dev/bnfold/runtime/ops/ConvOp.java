package dev.bnfold.runtime.ops;

import dev.bnfold.runtime.ModelFormatException;
import dev.bnfold.runtime.UnsupportedModelException;
import dev.bnfold.runtime.format.NodeDef;
import dev.bnfold.runtime.kernels.Conv;
import dev.bnfold.runtime.kernels.ConvGeometry;
import dev.bnfold.runtime.kernels.Depthwise;
import dev.bnfold.runtime.kernels.DepthwiseKernel;
import dev.bnfold.runtime.kernels.Epilogue;
import dev.bnfold.runtime.kernels.GemmMicroKernel;
import dev.bnfold.runtime.kernels.Kernels;
import java.util.Arrays;

/**
 * Conv (1-D, 2-D, 3-D; groups, depthwise, strides, dilations, pads, auto_pad). X (N, C, in...), W
 * (M, C/group, k...), optional B (M). Paths: direct depthwise when C == group; otherwise packed
 * GEMM with weights packed once at load (1x1 convs skip im2col); the reference loop when the
 * weights are not a constant. A fused activation is applied in the epilogue.
 */
final class ConvOp extends Op {
  private final Window win;
  private final int group;
  private final int[] wShape;
  private final float[] packedW; // per-group packed A panels, null if W is not constant
  private final GemmMicroKernel gemm;
  private Activation act;

  private ConvOp(
      NodeDef node, Window win, int group, int[] wShape, float[] packedW, GemmMicroKernel gemm) {
    super(node);
    this.win = win;
    this.group = group;
    this.wShape = wShape;
    this.packedW = packedW;
    this.gemm = gemm;
  }

  static Op create(NodeDef n, Attrs a, OpContext c, GemmMicroKernel gemm) {
    ConvOp probe = new ConvOp(n, null, 1, null, null, null);
    probe.arity(2, 3, 1);
    int[] wShape = c.constantShape(n.inputs().get(1));
    if (wShape != null && wShape.length < 3) {
      throw new ModelFormatException(
          "node "
              + n.describe()
              + ": weights of rank "
              + wShape.length
              + ", a Conv needs rank 3 to 5");
    }
    long[] ks = a.ints("kernel_shape", null);
    if (ks == null) {
      if (wShape == null) {
        throw new UnsupportedModelException(
            "node " + n.describe() + ": needs kernel_shape or constant weights");
      }
      ks = new long[wShape.length - 2];
      for (int i = 0; i < ks.length; i++) {
        ks[i] = wShape[i + 2];
      }
    }
    if (ks.length < 1 || ks.length > 3) {
      throw new UnsupportedModelException(
          "node "
              + n.describe()
              + ": "
              + ks.length
              + "-D convolution is not supported (1-D to 3-D)");
    }
    Window win = new Window(n, a, ks.length, ks, false);
    long group = a.i("group", 1);
    if (group < 1 || group > Integer.MAX_VALUE) {
      throw new ModelFormatException("node " + n.describe() + ": group " + group + " must be >= 1");
    }
    float[] w = c.constantFloats(n.inputs().get(1));
    float[] packed = null;
    if (w != null) {
      if (wShape.length != ks.length + 2 || wShape[0] % group != 0) {
        throw new ModelFormatException(
            "node "
                + n.describe()
                + ": weight shape "
                + Shapes.str(wShape)
                + " does not fit group "
                + group);
      }
      for (int i = 0; i < ks.length; i++) {
        if (wShape[i + 2] != ks[i]) {
          throw new ModelFormatException(
              "node "
                  + n.describe()
                  + ": weight shape "
                  + Shapes.str(wShape)
                  + " disagrees with kernel_shape "
                  + Arrays.toString(ks));
        }
      }
      ConvGeometry g =
          geometry(
              win,
              (int) group,
              wShape[1] * (int) group,
              wShape[0],
              new int[] {1, 1, 1},
              new int[] {1, 1, 1},
              new int[3]);
      packed = new float[Conv.packedWeightSize(g, gemm.mr())];
      Conv.packWeights(packed, w, 0, g, gemm.mr());
    }
    return new ConvOp(n, win, (int) group, wShape, packed, gemm);
  }

  private static ConvGeometry geometry(
      Window win, int group, int c, int m, int[] in3, int[] out3, int[] padBegin3) {
    return new ConvGeometry(
        1,
        c,
        m,
        group,
        in3,
        out3,
        Window.to3(win.kernel, 1),
        Window.to3(win.strides, 1),
        Window.to3(win.dilations, 1),
        padBegin3);
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

  @Override
  public int[][] inferShapes(int[][] in) {
    int[] x = in[0];
    int[] w = in[1];
    int s = win.spatial;
    if (x.length != s + 2) {
      throw shapeError("input X " + Shapes.str(x) + " must have rank " + (s + 2));
    }
    if (w.length != s + 2 || w[0] % group != 0 || x[1] != w[1] * group) {
      throw shapeError(
          "weights "
              + Shapes.str(w)
              + " do not fit input "
              + Shapes.str(x)
              + " with group "
              + group);
    }
    for (int i = 0; i < s; i++) {
      if (w[i + 2] != win.kernel[i]) {
        throw shapeError("weights " + Shapes.str(w) + " disagree with kernel_shape");
      }
    }
    if (in.length > 2 && in[2] != null && (in[2].length != 1 || in[2][0] != w[0])) {
      throw shapeError("bias " + Shapes.str(in[2]) + " must be [" + w[0] + "]");
    }
    int[] sp = Arrays.copyOfRange(x, 2, x.length);
    int[] o = win.outSize(sp, win.resolvePads(sp));
    int[] out = new int[s + 2];
    out[0] = x[0];
    out[1] = w[0];
    System.arraycopy(o, 0, out, 2, s);
    return new int[][] {out};
  }

  ConvGeometry geometry(int[] x, int[] y, int m) {
    int[] sp = Arrays.copyOfRange(x, 2, x.length);
    int[][] pads = win.resolvePads(sp);
    ConvGeometry g =
        geometry(
            win,
            group,
            x[1],
            m,
            Window.to3(sp, 1),
            Window.to3(Arrays.copyOfRange(y, 2, y.length), 1),
            Window.to3(pads[0], 0));
    return new ConvGeometry(
        x[0], g.c, g.m, g.group, g.in, g.out, g.k, g.stride, g.dilation, g.padBegin);
  }

  @Override
  public Step bind(Binding b) {
    ConvGeometry g = geometry(b.in[0], b.out[0], b.in[1][0]);
    int ix = b.inIds[0];
    int iw = b.inIds[1];
    int ib = b.inIds.length > 2 ? b.inIds[2] : -1;
    int iy = b.outIds[0];
    int total = Shapes.size(b.out[0]);
    Activation a = act;
    Epilogue epi = a == null ? null : a.asEpilogue(); // fused activation
    if (packedW != null && Depthwise.isDepthwise(g)) {
      int planes = g.n * g.m;
      Depthwise dw = Depthwise.plan(g);
      DepthwiseKernel k = Kernels.depthwiseFor(gemm);
      b.needScratch(dw.scratchSize());
      b.kernel("depthwise-" + k.name());
      return f -> {
        float[] bias = ib < 0 ? null : f.buf[ib];
        int bo = ib < 0 ? 0 : f.off[ib];
        if (f.parallel.threads() == 1) {
          dw.run(
              k, f.buf[iy], f.off[iy], f.buf[ix], f.off[ix], f.buf[iw], f.off[iw], bias, bo, epi,
              f.scratch, 0, 0, planes);
        } else {
          f.parallel.forRange(
              planes,
              (wk, from, to) ->
                  dw.run(
                      k,
                      f.buf[iy],
                      f.off[iy],
                      f.buf[ix],
                      f.off[ix],
                      f.buf[iw],
                      f.off[iw],
                      bias,
                      bo,
                      epi,
                      f.scratch,
                      wk * f.scratchStride,
                      from,
                      to));
        }
      };
    }
    if (packedW != null && Conv.isGather(g, gemm)) {
      GemmMicroKernel k = gemm;
      float[] pw = packedW;
      int[] rows = Conv.gatherRows(g);
      int rowPanels = (g.m / g.group + k.mr() - 1) / k.mr();
      b.needScratch(Conv.gatherScratchSize(g, k.mr(), k.nr()));
      return f -> {
        float[] bias = ib < 0 ? null : f.buf[ib];
        int bo = ib < 0 ? 0 : f.off[ib];
        float[] y = f.buf[iy];
        int yo = f.off[iy];
        float[] s = f.scratch; // one shared region: padded planes, then the flat output
        for (int n = 0; n < g.n; n++) {
          for (int grp = 0; grp < g.group; grp++) {
            Conv.gatherPad(s, 0, f.buf[ix], f.off[ix], g, k.nr(), n, grp);
            if (f.parallel.threads() == 1 || rowPanels < 2) {
              Conv.gatherPathJobs(k, y, yo, pw, bias, bo, epi, g, rows, s, 0, n, grp, 0, rowPanels);
            } else {
              int img = n;
              int gr = grp;
              f.parallel.forRange(
                  rowPanels,
                  (wk, from, to) ->
                      Conv.gatherPathJobs(
                          k, y, yo, pw, bias, bo, epi, g, rows, s, 0, img, gr, from, to));
            }
          }
        }
      };
    }
    if (packedW != null) {
      b.needScratch(Conv.scratchSize(g, gemm.nr()));
      GemmMicroKernel k = gemm;
      float[] pw = packedW;
      int jobs1 = Conv.gemmJobs(g, 1);
      return f -> {
        float[] bias = ib < 0 ? null : f.buf[ib];
        int bo = ib < 0 ? 0 : f.off[ib];
        if (f.parallel.threads() == 1) {
          Conv.gemmPathJobs(
              k, f.buf[iy], f.off[iy], f.buf[ix], f.off[ix], pw, bias, bo, epi, g, 1, f.scratch, 0,
              0, jobs1);
          return;
        }
        int chunks = Conv.rowChunks(g, k.mr(), f.parallel.threads());
        f.parallel.forRange(
            Conv.gemmJobs(g, chunks),
            (wk, from, to) ->
                Conv.gemmPathJobs(
                    k,
                    f.buf[iy],
                    f.off[iy],
                    f.buf[ix],
                    f.off[ix],
                    pw,
                    bias,
                    bo,
                    epi,
                    g,
                    chunks,
                    f.scratch,
                    wk * f.scratchStride,
                    from,
                    to));
      };
    }
    Step core =
        f ->
            Conv.reference(
                f.buf[iy],
                f.off[iy],
                f.buf[ix],
                f.off[ix],
                f.buf[iw],
                f.off[iw],
                ib < 0 ? null : f.buf[ib],
                ib < 0 ? 0 : f.off[ib],
                g);
    if (a == null) {
      return core;
    }
    return f -> {
      core.run(f);
      a.apply(f.buf[iy], f.off[iy], total);
    };
  }
}
