package dev.bnfold.runtime.ops;

import dev.bnfold.runtime.ModelFormatException;
import dev.bnfold.runtime.format.NodeDef;
import dev.bnfold.runtime.kernels.ElementwiseKernel;
import dev.bnfold.runtime.kernels.Kernels;

/**
 * Element-wise binary ops with numpy multidirectional broadcasting: Add, Sub, Mul, Div, Pow, PRelu
 * ({@code y = x < 0 ? slope*x : x}, slope unidirectionally broadcast to x), and the variadic Max
 * and Min (one or more inputs, all broadcast together; evaluated as a chain of two-input steps).
 */
final class BinaryOp extends Op {
  enum Kind {
    ADD,
    SUB,
    MUL,
    DIV,
    PRELU,
    MAX,
    MIN,
    POW
  }

  private final Kind kind;

  BinaryOp(NodeDef node, Kind kind) {
    super(node);
    this.kind = kind;
    if (variadic(kind)) {
      arity(1, Integer.MAX_VALUE, 1);
      for (int i = 1; i < node.inputs().size(); i++) {
        if (!hasInput(i)) {
          throw new ModelFormatException("node " + node.describe() + ": input " + i + " is empty");
        }
      }
    } else {
      arity(2, 2, 1);
    }
  }

  private static boolean variadic(Kind k) {
    return k == Kind.MAX || k == Kind.MIN;
  }

  @Override
  public int[][] inferShapes(int[][] in) {
    int[] out = in[0];
    for (int i = 1; i < in.length; i++) {
      out = Shapes.broadcast(out, in[i]);
    }
    if (kind == Kind.PRELU && !java.util.Arrays.equals(out, in[0])) {
      throw shapeError(
          "slope " + Shapes.str(in[1]) + " does not broadcast to x " + Shapes.str(in[0]));
    }
    return new int[][] {out};
  }

  /**
   * The input a per-channel scale multiplies: Mul of a 4-D tensor (N, C, H, W) and a scale (N, C,
   * 1, 1) in either order (the excitation of a squeeze-excitation block); -1 for any other Mul.
   */
  private int scaledInput(int[][] in) {
    if (kind != Kind.MUL || in.length != 2 || in[0] == null || in[1] == null) {
      return -1;
    }
    for (int i = 0; i < 2; i++) {
      int[] x = in[i];
      int[] s = in[1 - i];
      if (x.length == 4
          && s.length == 4
          && x[2] * x[3] > 1
          && s[0] == x[0]
          && s[1] == x[1]
          && s[2] == 1
          && s[3] == 1) {
        return i;
      }
    }
    return -1;
  }

  @Override
  public boolean blockable(
      int[][] in, int[][] out, dev.bnfold.runtime.kernels.BlockedKernels kernels) {
    return scaledInput(in) >= 0;
  }

  @Override
  public boolean acceptsBlocked(int input, int[][] in) {
    return input == scaledInput(in);
  }

  /** A per-channel scale in the blocked layout, converting a plain input or output in scratch. */
  private Step bindBlocked(Binding b) {
    dev.bnfold.runtime.kernels.BlockedKernels k = b.blocked();
    int xi = scaledInput(b.in);
    int[] x = b.in[xi];
    int n = x[0];
    int c = x[1];
    int plane = x[2] * x[3];
    int ix = b.inIds[xi];
    int is = b.inIds[1 - xi];
    int iy = b.outIds[0];
    boolean xBlocked = b.inBlocked(xi);
    boolean yBlocked = b.outBlocked();
    int blockedImage = dev.bnfold.runtime.kernels.BlockedKernels.padded(c) * plane;
    int xt = 0; // scratch: x converted, then y before conversion
    int yt = xBlocked ? 0 : blockedImage;
    b.needScratch(yt + (yBlocked ? 0 : blockedImage));
    b.kernel("blocked-channel-scale");
    return f -> {
      int so = f.scratchOff(0);
      for (int i = 0; i < n; i++) {
        float[] src = f.buf[ix];
        int xo = f.off[ix] + i * (xBlocked ? blockedImage : c * plane);
        if (!xBlocked) {
          k.toBlocked(f.scratch, so + xt, src, xo, c, plane);
          src = f.scratch;
          xo = so + xt;
        }
        float[] y = yBlocked ? f.buf[iy] : f.scratch;
        int yo = yBlocked ? f.off[iy] + i * blockedImage : so + yt;
        k.channelScale(y, yo, src, xo, f.buf[is], f.off[is] + i * c, c, plane);
        if (!yBlocked) {
          k.fromBlocked(f.buf[iy], f.off[iy] + i * c * plane, y, yo, c, plane);
        }
      }
    };
  }

  @Override
  public Step bind(Binding b) {
    if (b.blocked() != null) {
      return bindBlocked(b);
    }
    int[] out = b.out[0];
    int iy = b.outIds[0];
    if (b.in.length == 1) { // Max/Min of one input: a copy (the shapes are equal)
      int ix = b.inIds[0];
      int n = Shapes.size(out);
      return f -> System.arraycopy(f.buf[ix], f.off[ix], f.buf[iy], f.off[iy], n);
    }
    ElementwiseKernel kern = Kernels.elementwiseFor(b.gemm);
    Step first = bind(kind, b.inIds[0], b.in[0], b.inIds[1], b.in[1], iy, out, kern);
    if (b.in.length == 2) {
      return first;
    }
    // y = op(op(op(x0, x1), x2), ...): y already has the output shape, so it is read in place.
    Step[] rest = new Step[b.in.length - 2];
    for (int i = 2; i < b.in.length; i++) {
      rest[i - 2] = bind(kind, iy, out, b.inIds[i], b.in[i], iy, out, kern);
    }
    return f -> {
      first.run(f);
      for (Step s : rest) {
        s.run(f);
      }
    };
  }

  /**
   * The step {@code y = op(a, b)}, a and b broadcast to y's shape {@code out}. The broadcast is
   * first collapsed: size-1 output axes are dropped and neighbouring axes merged where both
   * operands are contiguous (or both broadcast) across them, so equal shapes become one flat row
   * and an {@code [N,C,1,1]} scale of an {@code [N,C,H,W]} tensor becomes N*C rows of H*W times a
   * scalar. Add and Mul rows of those two forms run on {@code kernels}; the rest on {@link #row}.
   */
  private static Step bind(
      Kind kind,
      int ia,
      int[] aShape,
      int ib,
      int[] bShape,
      int iy,
      int[] out,
      ElementwiseKernel kernels) {
    int[][] c =
        collapse(out, Shapes.broadcastStrides(aShape, out), Shapes.broadcastStrides(bShape, out));
    int[] shape = c[0];
    int[] sa = c[1];
    int[] sb = c[2];
    return new Bound(kind, ia, ib, iy, shape, sa, sb, Shapes.size(out), kernels);
  }

  /**
   * A bound {@code y = op(a, b)} over collapsed axes, run as pieces: the rows, or, when there is
   * one row (equal shapes), blocks of it, so that large ops split across the frame's workers.
   */
  private static final class Bound implements Step {
    /** Floats per piece of a single-row op. */
    private static final int BLOCK = 8192;

    /** Below this many outputs the op stays on the calling thread (waking a worker costs more). */
    private static final int MIN_PARALLEL = 1 << 15;

    private final Kind kind;
    private final int ia;
    private final int ib;
    private final int iy;
    private final int[] shape;
    private final int[] sa;
    private final int[] sb;
    private final int total;
    private final int inner;
    private final int outer;
    private final int da;
    private final int db;
    private final int parts; // pieces per row
    private final boolean fast;
    private final ElementwiseKernel kernels;
    private final Parallel.FrameBody body = (f, w, p0, p1) -> pieces(f, p0, p1);

    Bound(
        Kind kind,
        int ia,
        int ib,
        int iy,
        int[] shape,
        int[] sa,
        int[] sb,
        int total,
        ElementwiseKernel kernels) {
      int r = shape.length;
      this.kind = kind;
      this.ia = ia;
      this.ib = ib;
      this.iy = iy;
      this.shape = shape;
      this.sa = sa;
      this.sb = sb;
      this.total = total;
      this.inner = shape[r - 1];
      this.outer = inner == 0 ? 0 : total / inner;
      this.da = sa[r - 1];
      this.db = sb[r - 1];
      this.parts = outer == 1 ? Math.max(1, (inner + BLOCK - 1) / BLOCK) : 1;
      this.fast = (kind == Kind.ADD || kind == Kind.MUL) && (da == 1 || db == 1);
      this.kernels = kernels;
    }

    @Override
    public void run(Frame f) {
      int pieces = outer * parts;
      if (f.parallel.threads() == 1 || total < MIN_PARALLEL || pieces < 2) {
        pieces(f, 0, pieces);
      } else {
        f.parallel.forRange(f, pieces, body);
      }
    }

    private void pieces(Frame f, int p0, int p1) {
      float[] a = f.buf[ia];
      float[] b = f.buf[ib];
      float[] y = f.buf[iy];
      int r = shape.length;
      for (int p = p0; p < p1; p++) {
        int o = p / parts;
        int from = parts == 1 ? 0 : (p % parts) * BLOCK;
        int n = parts == 1 ? inner : Math.min(inner - from, BLOCK);
        // Offsets of row o in a and b: decompose o over dims [0, r-1).
        int rem = o;
        int pa = f.off[ia] + from * da;
        int pb = f.off[ib] + from * db;
        for (int d = r - 2; d >= 0; d--) {
          int idx = rem % shape[d];
          rem /= shape[d];
          pa += idx * sa[d];
          pb += idx * sb[d];
        }
        int yo = f.off[iy] + o * inner + from;
        if (fast) {
          fastRow(kernels, kind == Kind.ADD, y, yo, a, pa, da, b, pb, db, n);
        } else {
          row(kind, y, yo, a, pa, da, b, pb, db, n);
        }
      }
    }
  }

  /**
   * {@code {shape, stridesA, stridesB}} of {@code out} with size-1 axes dropped and mergeable
   * neighbours merged; at least one axis.
   */
  static int[][] collapse(int[] out, int[] sa, int[] sb) {
    int[] shape = new int[out.length + 1];
    int[] ca = new int[out.length + 1];
    int[] cb = new int[out.length + 1];
    int r = 0;
    for (int d = 0; d < out.length; d++) {
      if (out[d] == 1) {
        continue;
      }
      if (r > 0 && ca[r - 1] == sa[d] * out[d] && cb[r - 1] == sb[d] * out[d]) {
        shape[r - 1] *= out[d];
        ca[r - 1] = sa[d];
        cb[r - 1] = sb[d];
        continue;
      }
      shape[r] = out[d];
      ca[r] = sa[d];
      cb[r] = sb[d];
      r++;
    }
    if (r == 0) {
      return new int[][] {{1}, {1}, {1}};
    }
    return new int[][] {
      java.util.Arrays.copyOf(shape, r),
      java.util.Arrays.copyOf(ca, r),
      java.util.Arrays.copyOf(cb, r)
    };
  }

  /** An Add or Mul row with at least one contiguous operand (the other contiguous or a scalar). */
  private static void fastRow(
      ElementwiseKernel kern,
      boolean add,
      float[] y,
      int yo,
      float[] a,
      int pa,
      int da,
      float[] b,
      int pb,
      int db,
      int n) {
    if (da == 1 && db == 1) {
      if (add) {
        kern.add(y, yo, a, pa, b, pb, n);
      } else {
        kern.mul(y, yo, a, pa, b, pb, n);
      }
    } else if (da == 1 && db == 0) {
      if (add) {
        kern.addScalar(y, yo, a, pa, b[pb], n);
      } else {
        kern.mulScalar(y, yo, a, pa, b[pb], n);
      }
    } else if (da == 0 && db == 1) {
      if (add) {
        kern.addScalar(y, yo, b, pb, a[pa], n);
      } else {
        kern.mulScalar(y, yo, b, pb, a[pa], n);
      }
    } else {
      row(add ? Kind.ADD : Kind.MUL, y, yo, a, pa, da, b, pb, db, n);
    }
  }

  private static void row(
      Kind k, float[] y, int yo, float[] a, int pa, int da, float[] b, int pb, int db, int n) {
    switch (k) {
      case ADD:
        for (int i = 0; i < n; i++) {
          y[yo + i] = a[pa + i * da] + b[pb + i * db];
        }
        break;
      case SUB:
        for (int i = 0; i < n; i++) {
          y[yo + i] = a[pa + i * da] - b[pb + i * db];
        }
        break;
      case MUL:
        for (int i = 0; i < n; i++) {
          y[yo + i] = a[pa + i * da] * b[pb + i * db];
        }
        break;
      case DIV:
        for (int i = 0; i < n; i++) {
          y[yo + i] = a[pa + i * da] / b[pb + i * db];
        }
        break;
      case PRELU:
        for (int i = 0; i < n; i++) {
          float x = a[pa + i * da];
          y[yo + i] = x < 0 ? x * b[pb + i * db] : x;
        }
        break;
      case MAX:
        for (int i = 0; i < n; i++) {
          y[yo + i] = Math.max(a[pa + i * da], b[pb + i * db]);
        }
        break;
      case MIN:
        for (int i = 0; i < n; i++) {
          y[yo + i] = Math.min(a[pa + i * da], b[pb + i * db]);
        }
        break;
      default:
        for (int i = 0; i < n; i++) {
          y[yo + i] = (float) Math.pow(a[pa + i * da], b[pb + i * db]);
        }
    }
  }
}
