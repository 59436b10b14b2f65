package dev.bnfold.runtime.ops;

import dev.bnfold.runtime.format.NodeDef;
import dev.bnfold.runtime.kernels.ElementwiseKernel;
import dev.bnfold.runtime.kernels.Kernels;
import java.util.Arrays;

/**
 * ReduceMean, ReduceSum, ReduceMax and GlobalAveragePool / GlobalMaxPool (reduce over every spatial
 * axis, keepdims). Axes come from the attribute (ReduceMean/Max opset < 18, ReduceSum opset < 13)
 * or a constant int64 input; no axes means all axes unless noop_with_empty_axes.
 */
final class ReduceOp extends Op {
  enum Kind {
    MEAN,
    SUM,
    MAX
  }

  private final Kind kind;
  private final long[] axes; // null = all (or spatial for global pools)
  private final boolean keepDims;
  private final boolean noop;
  private final boolean global;

  private ReduceOp(
      NodeDef n, Kind kind, long[] axes, boolean keepDims, boolean noop, boolean global) {
    super(n);
    this.kind = kind;
    this.axes = axes;
    this.keepDims = keepDims;
    this.noop = noop;
    this.global = global;
  }

  static Op reduce(NodeDef n, Attrs a, OpContext c, Kind kind) {
    ReduceOp probe = new ReduceOp(n, kind, null, true, false, false);
    probe.arity(1, 2, 1);
    long[] axes = a.ints("axes", null);
    if (probe.hasInput(1)) {
      axes = probe.constantLongs(c, 1, "axes");
    }
    boolean keep = a.i("keepdims", 1) != 0;
    boolean noop = a.i("noop_with_empty_axes", 0) != 0;
    if (axes != null && axes.length == 0) {
      axes = null;
    }
    return new ReduceOp(n, kind, axes, keep, noop, false);
  }

  static Op global(NodeDef n, Kind kind) {
    ReduceOp op = new ReduceOp(n, kind, null, true, false, true);
    op.arity(1, 1, 1);
    return op;
  }

  @Override
  public boolean loadTimeInput(int index) {
    return index == 1;
  }

  private boolean[] reduced(int rank) {
    boolean[] r = new boolean[rank];
    if (global) {
      if (rank < 3) {
        throw shapeError("global pooling needs rank >= 3, got " + rank);
      }
      for (int i = 2; i < rank; i++) {
        r[i] = true;
      }
    } else if (axes == null) {
      if (!noop) {
        Arrays.fill(r, true);
      }
    } else {
      for (long ax : axes) {
        int i = Shapes.axis(ax, rank, "axis");
        if (r[i]) {
          throw shapeError("axis " + ax + " listed twice");
        }
        r[i] = true;
      }
    }
    return r;
  }

  @Override
  public int[][] inferShapes(int[][] in) {
    int[] x = in[0];
    boolean[] r = reduced(x.length);
    int[] out = new int[x.length];
    int k = 0;
    for (int i = 0; i < x.length; i++) {
      if (!r[i]) {
        out[k++] = x[i];
      } else if (keepDims) {
        out[k++] = 1;
      }
    }
    return new int[][] {Arrays.copyOf(out, k)};
  }

  /** GlobalAveragePool of a 4-D tensor. */
  @Override
  public boolean blockable(
      int[][] in, int[][] out, dev.bnfold.runtime.kernels.BlockedKernels kernels) {
    return global && kind == Kind.MEAN && in[0].length == 4;
  }

  /**
   * GlobalAveragePool of a blocked input, written plain; (the plan keeps a pool's output plain: no
   * blocked op reads a 1x1 plane) a blocked output is converted from the plain result.
   */
  private Step bindBlocked(Binding b) {
    dev.bnfold.runtime.kernels.BlockedKernels k = b.blocked();
    int[] x = b.in[0];
    int n = x[0];
    int c = x[1];
    int plane = x[2] * x[3];
    int ix = b.inIds[0];
    int iy = b.outIds[0];
    boolean xBlocked = b.inBlocked(0);
    boolean yBlocked = b.outBlocked();
    int xImage = (xBlocked ? dev.bnfold.runtime.kernels.BlockedKernels.padded(c) : c) * plane;
    int yImage = yBlocked ? dev.bnfold.runtime.kernels.BlockedKernels.padded(c) : c;
    if (yBlocked) {
      b.needScratch(c);
    }
    ElementwiseKernel kern = Kernels.elementwiseFor(b.gemm);
    return f -> {
      for (int i = 0; i < n; i++) {
        float[] y = yBlocked ? f.scratch : f.buf[iy];
        int yo = yBlocked ? f.scratchOff(0) : f.off[iy] + i * yImage;
        int xo = f.off[ix] + i * xImage;
        if (xBlocked) {
          k.globalAverage(y, yo, f.buf[ix], xo, c, plane);
        } else {
          sums(kern, true, y, yo, f.buf[ix], xo, plane, 0, c);
        }
        if (yBlocked) {
          k.toBlocked(f.buf[iy], f.off[iy] + i * yImage, y, yo, c, 1);
        }
      }
    };
  }

  @Override
  public Step bind(Binding b) {
    if (b.blocked() != null) {
      return bindBlocked(b);
    }
    int[] x = b.in[0];
    boolean[] r = reduced(x.length);
    int total = Shapes.size(x);
    int outSize = Shapes.size(b.out[0]);
    int count = outSize == 0 ? 0 : total / outSize;
    // Map each input element to its output index via strides of the kept dims.
    int[] outStride = new int[x.length];
    int s = 1;
    for (int i = x.length - 1; i >= 0; i--) {
      if (!r[i]) {
        outStride[i] = s;
        s *= x[i];
      }
    }
    int ix = b.inIds[0];
    int iy = b.outIds[0];
    Kind k = kind;
    int rank = x.length;
    // Fast path: reduced axes form a contiguous trailing block (e.g. global pooling).
    int firstReduced = rank;
    while (firstReduced > 0 && r[firstReduced - 1]) {
      firstReduced--;
    }
    boolean trailing = true;
    for (int i = 0; i < firstReduced; i++) {
      trailing &= !r[i];
    }
    if (trailing) {
      int inner = Shapes.size(x, firstReduced, rank);
      ElementwiseKernel kern = Kernels.elementwiseFor(b.gemm);
      if (k != Kind.MAX) {
        // sums (global average pooling, the squeeze of squeeze-excitation) on the vector kernels
        boolean mean = k == Kind.MEAN;
        Parallel.FrameBody body =
            (f, w, o0, o1) ->
                sums(kern, mean, f.buf[iy], f.off[iy], f.buf[ix], f.off[ix], inner, o0, o1);
        return f -> {
          if (f.parallel.threads() == 1 || total < (1 << 15) || outSize < 2) {
            sums(kern, mean, f.buf[iy], f.off[iy], f.buf[ix], f.off[ix], inner, 0, outSize);
          } else {
            f.parallel.forRange(f, outSize, body);
          }
        };
      }
      return f -> {
        float[] xs = f.buf[ix];
        float[] ys = f.buf[iy];
        int x0 = f.off[ix];
        int y0 = f.off[iy];
        for (int o = 0; o < outSize; o++) {
          ys[y0 + o] = reduceRow(k, xs, x0 + o * inner, inner);
        }
      };
    }
    return f -> {
      float[] xs = f.buf[ix];
      float[] ys = f.buf[iy];
      int x0 = f.off[ix];
      int y0 = f.off[iy];
      Arrays.fill(ys, y0, y0 + outSize, k == Kind.MAX ? Float.NEGATIVE_INFINITY : 0f);
      for (int e = 0; e < total; e++) {
        int o = 0;
        int rem = e;
        for (int d = rank - 1; d >= 0; d--) {
          o += (rem % x[d]) * outStride[d];
          rem /= x[d];
        }
        float v = xs[x0 + e];
        ys[y0 + o] = k == Kind.MAX ? Math.max(ys[y0 + o], v) : ys[y0 + o] + v;
      }
      if (k == Kind.MEAN) {
        for (int o = 0; o < outSize; o++) {
          ys[y0 + o] /= count;
        }
      }
    };
  }

  /** {@code y[o] = sum (or mean) of x[o*inner .. (o+1)*inner)} for o in [o0, o1). */
  private static void sums(
      ElementwiseKernel kern,
      boolean mean,
      float[] y,
      int y0,
      float[] x,
      int x0,
      int inner,
      int o0,
      int o1) {
    for (int o = o0; o < o1; o++) {
      float sum = kern.sum(x, x0 + o * inner, inner);
      y[y0 + o] = mean ? sum / inner : sum;
    }
  }

  private static float reduceRow(Kind k, float[] x, int off, int n) {
    if (k == Kind.MAX) {
      float m = Float.NEGATIVE_INFINITY;
      for (int i = 0; i < n; i++) {
        m = Math.max(m, x[off + i]);
      }
      return m;
    }
    float s = 0;
    for (int i = 0; i < n; i++) {
      s += x[off + i];
    }
    return k == Kind.MEAN ? s / n : s;
  }
}
