package dev.bnfold.runtime.ops;

import dev.bnfold.runtime.UnsupportedModelException;
import dev.bnfold.runtime.format.NodeDef;
import dev.bnfold.runtime.kernels.ConvGeometry;
import dev.bnfold.runtime.kernels.DepthwiseKernel;
import dev.bnfold.runtime.kernels.ElementwiseKernel;
import dev.bnfold.runtime.kernels.Kernels;
import dev.bnfold.runtime.kernels.Pool;
import java.util.Arrays;

/**
 * MaxPool (pads, strides, dilations, ceil_mode, auto_pad) and AveragePool (pads, strides,
 * ceil_mode, count_include_pad, auto_pad) over X (N, C, in...), 1-D to 3-D. MaxPool's Indices
 * output is not supported.
 */
final class PoolOp extends Op {
  private final boolean isMax;
  private final Window win;
  private final boolean countIncludePad;

  PoolOp(NodeDef n, Attrs a, boolean isMax) {
    super(n);
    arity(1, 1, 1);
    this.isMax = isMax;
    long[] ks = a.ints("kernel_shape", null);
    if (ks == null) {
      throw a.missing("kernel_shape");
    }
    if (ks.length < 1 || ks.length > 3) {
      throw new UnsupportedModelException(
          "node " + n.describe() + ": " + ks.length + "-D pooling is not supported");
    }
    this.win = new Window(n, a, ks.length, ks, true);
    this.countIncludePad = !isMax && a.i("count_include_pad", 0) != 0;
    if (isMax && a.i("storage_order", 0) != 0) {
      throw a.unsupported("storage_order", "= 1 is not supported");
    }
    if (!isMax) {
      for (int d : win.dilations) {
        if (d != 1) {
          throw a.unsupported("dilations", "other than 1 are not supported for AveragePool");
        }
      }
    }
  }

  @Override
  public int[][] inferShapes(int[][] in) {
    int[] x = in[0];
    if (x.length != win.spatial + 2) {
      throw shapeError("input " + Shapes.str(x) + " must have rank " + (win.spatial + 2));
    }
    int[] sp = Arrays.copyOfRange(x, 2, x.length);
    int[] o = win.outSize(sp, win.resolvePads(sp));
    int[] out = Arrays.copyOf(x, x.length);
    System.arraycopy(o, 0, out, 2, o.length);
    return new int[][] {out};
  }

  @Override
  public Step bind(Binding b) {
    int[] x = b.in[0];
    int[] sp = Arrays.copyOfRange(x, 2, x.length);
    int[][] pads = win.resolvePads(sp);
    int[] y = b.out[0];
    ConvGeometry g =
        new ConvGeometry(
            x[0],
            x[1],
            x[1],
            1,
            Window.to3(sp, 1),
            Window.to3(Arrays.copyOfRange(y, 2, y.length), 1),
            Window.to3(win.kernel, 1),
            Window.to3(win.strides, 1),
            Window.to3(win.dilations, 1),
            Window.to3(pads[0], 0));
    int[] padEnd = Window.to3(pads[1], 0);
    int ix = b.inIds[0];
    int iy = b.outIds[0];
    // The 2x2 stride-2 kernel's per-output branches win on planes narrower than a vector only
    // (measured: 16x14x14 2.0 vs 4.5 us; 32x28x28 34 vs 9 us; 64x112x112 2379 vs 237 us).
    if (isMax && Pool.isSeparable(g) && (!Pool.isMax2x2(g) || g.in[2] >= 16)) {
      b.needScratch(Pool.separableScratch(g));
      ElementwiseKernel k = Kernels.elementwiseFor(b.gemm);
      DepthwiseKernel split = Kernels.depthwiseFor(b.gemm);
      int planes = g.n * g.c;
      long work = (long) planes * g.inPlane();
      Parallel.FrameBody body =
          (f, w, p0, p1) ->
              Pool.maxSeparable(
                  f.buf[iy],
                  f.off[iy],
                  f.buf[ix],
                  f.off[ix],
                  g,
                  f.scratch,
                  w * f.scratchStride,
                  k,
                  split,
                  p0,
                  p1);
      return f -> {
        if (f.parallel.threads() == 1 || work < (1 << 15) || planes < 2) {
          Pool.maxSeparable(f.buf[iy], f.off[iy], f.buf[ix], f.off[ix], g, f.scratch, 0, k, split);
        } else {
          f.parallel.forRange(f, planes, body);
        }
      };
    }
    if (isMax) {
      return f -> Pool.max(f.buf[iy], f.off[iy], f.buf[ix], f.off[ix], g);
    }
    boolean cip = countIncludePad;
    return f -> Pool.average(f.buf[iy], f.off[iy], f.buf[ix], f.off[ix], g, padEnd, cip);
  }
}
