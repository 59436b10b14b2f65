package dev.bnfold.runtime.ops;

import dev.bnfold.runtime.ModelFormatException;
import dev.bnfold.runtime.format.NodeDef;
import java.util.Arrays;

/** Data-movement ops: Transpose, Concat, Split, Slice, Pad. Each is a small nested class. */
final class LayoutOps {
  private LayoutOps() {}

  /**
   * The step {@code y[i...] = x[base + sum_d i_d * st[d]]} over y's shape {@code y} (row-major):
   * Transpose and Slice. Axes of size 1 are dropped and neighbours that are contiguous in x merged
   * first, so a channel shuffle (perm 0,2,1,3,4 of [N,2,C/2,H,W]) copies N*C planes of H*W floats
   * with System.arraycopy and a channel Slice is one copy.
   */
  static Step gather(int ix, int iy, int base, int[] y, int[] st) {
    int total = Shapes.size(y);
    int[] shape = new int[y.length + 1];
    int[] stride = new int[y.length + 1];
    int r = 0;
    for (int d = 0; d < y.length; d++) {
      if (y[d] == 1) {
        continue;
      }
      if (r > 0 && stride[r - 1] == st[d] * y[d]) {
        shape[r - 1] *= y[d];
        stride[r - 1] = st[d];
        continue;
      }
      shape[r] = y[d];
      stride[r] = st[d];
      r++;
    }
    if (r == 0 || (r == 1 && stride[0] == 1)) {
      return f -> System.arraycopy(f.buf[ix], f.off[ix] + base, f.buf[iy], f.off[iy], total);
    }
    int inner = shape[r - 1];
    int innerStride = stride[r - 1];
    int outer = inner == 0 ? 0 : total / inner;
    int rank = r;
    int[] sh = Arrays.copyOf(shape, r);
    int[] sx = Arrays.copyOf(stride, r);
    return f -> {
      float[] xa = f.buf[ix];
      float[] ya = f.buf[iy];
      int y0 = f.off[iy];
      for (int o = 0; o < outer; o++) {
        int rem = o;
        int src = f.off[ix] + base;
        for (int d = rank - 2; d >= 0; d--) {
          src += (rem % sh[d]) * sx[d];
          rem /= sh[d];
        }
        int dst = y0 + o * inner;
        if (innerStride == 1) {
          System.arraycopy(xa, src, ya, dst, inner);
        } else {
          for (int j = 0; j < inner; j++) {
            ya[dst + j] = xa[src + j * innerStride];
          }
        }
      }
    };
  }

  /** Transpose with perm (default: reverse the axes). */
  static final class Transpose extends Op {
    private final long[] perm;

    Transpose(NodeDef n, Attrs a) {
      super(n);
      arity(1, 1, 1);
      this.perm = a.ints("perm", null);
    }

    private int[] perm(int rank) {
      int[] p = new int[rank];
      if (perm == null) {
        for (int i = 0; i < rank; i++) {
          p[i] = rank - 1 - i;
        }
        return p;
      }
      if (perm.length != rank) {
        throw shapeError("perm " + Arrays.toString(perm) + " does not fit rank " + rank);
      }
      boolean[] seen = new boolean[rank];
      for (int i = 0; i < rank; i++) {
        p[i] = Shapes.axis(perm[i], rank, "perm entry");
        if (seen[p[i]]) {
          throw shapeError("perm " + Arrays.toString(perm) + " is not a permutation");
        }
        seen[p[i]] = true;
      }
      return p;
    }

    @Override
    public int[][] inferShapes(int[][] in) {
      int[] p = perm(in[0].length);
      int[] out = new int[p.length];
      for (int i = 0; i < p.length; i++) {
        out[i] = in[0][p[i]];
      }
      return new int[][] {out};
    }

    @Override
    public Step bind(Binding b) {
      int[] x = b.in[0];
      int[] p = perm(x.length);
      int[] y = b.out[0];
      int r = x.length;
      int[] xs = Shapes.strides(x);
      int[] st = new int[r]; // input stride for each output axis
      for (int i = 0; i < r; i++) {
        st[i] = xs[p[i]];
      }
      return gather(b.inIds[0], b.outIds[0], 0, y, st);
    }
  }

  /** Concat along axis (required). */
  static final class Concat extends Op {
    private final long axis;

    Concat(NodeDef n, Attrs a) {
      super(n);
      arity(1, Integer.MAX_VALUE, 1);
      if (!a.has("axis")) {
        throw a.missing("axis");
      }
      this.axis = a.i("axis", 0);
      for (int i = 0; i < n.inputs().size(); i++) {
        if (!hasInput(i)) {
          throw new ModelFormatException("node " + n.describe() + ": input " + i + " is empty");
        }
      }
    }

    @Override
    public int[][] inferShapes(int[][] in) {
      int[] out = in[0].clone();
      int ax = Shapes.axis(axis, out.length, "axis");
      for (int i = 1; i < in.length; i++) {
        if (in[i].length != out.length) {
          throw shapeError(
              "input "
                  + i
                  + " "
                  + Shapes.str(in[i])
                  + " has another rank than "
                  + Shapes.str(in[0]));
        }
        for (int d = 0; d < out.length; d++) {
          if (d != ax && in[i][d] != out[d]) {
            throw shapeError(
                "input "
                    + i
                    + " "
                    + Shapes.str(in[i])
                    + " differs from "
                    + Shapes.str(in[0])
                    + " outside axis "
                    + axis);
          }
        }
        out[ax] += in[i][ax];
      }
      return new int[][] {out};
    }

    @Override
    public Step bind(Binding b) {
      int[] y = b.out[0];
      int ax = Shapes.axis(axis, y.length, "axis");
      int outer = Shapes.size(y, 0, ax);
      int inner = Shapes.size(y, ax + 1, y.length);
      int k = b.in.length;
      int[] chunk = new int[k];
      for (int i = 0; i < k; i++) {
        chunk[i] = b.in[i][ax] * inner;
      }
      int row = y[ax] * inner;
      int[] ids = b.inIds.clone();
      int iy = b.outIds[0];
      return f -> {
        float[] ya = f.buf[iy];
        int y0 = f.off[iy];
        for (int o = 0; o < outer; o++) {
          int dst = y0 + o * row;
          for (int i = 0; i < k; i++) {
            System.arraycopy(f.buf[ids[i]], f.off[ids[i]] + o * chunk[i], ya, dst, chunk[i]);
            dst += chunk[i];
          }
        }
      };
    }
  }

  /** Split along axis into parts given by the split attribute/input, num_outputs, or equally. */
  static final class Split extends Op {
    private final long axis;
    private final long[] split;

    Split(NodeDef n, Attrs a, OpContext c) {
      super(n);
      arity(1, 2, Integer.MAX_VALUE);
      this.axis = a.i("axis", 0);
      long[] s = a.ints("split", null);
      if (hasInput(1)) {
        s = constantLongs(c, 1, "split");
      }
      long num = a.i("num_outputs", n.outputs().size());
      if (num != n.outputs().size()) {
        throw new ModelFormatException(
            "node "
                + n.describe()
                + ": num_outputs "
                + num
                + " but "
                + n.outputs().size()
                + " outputs");
      }
      if (s != null && s.length != n.outputs().size()) {
        throw new ModelFormatException(
            "node "
                + n.describe()
                + ": split has "
                + s.length
                + " parts for "
                + n.outputs().size()
                + " outputs");
      }
      this.split = s;
    }

    @Override
    public boolean loadTimeInput(int index) {
      return index == 1;
    }

    private int[] parts(int len) {
      int k = node.outputs().size();
      int[] p = new int[k];
      if (split != null) {
        long sum = 0;
        for (int i = 0; i < k; i++) {
          if (split[i] < 0) {
            throw shapeError("negative split " + split[i]);
          }
          p[i] = (int) split[i];
          sum += split[i];
        }
        if (sum != len) {
          throw shapeError("split " + Arrays.toString(split) + " does not sum to " + len);
        }
        return p;
      }
      int each = (len + k - 1) / k;
      for (int i = 0; i < k; i++) {
        p[i] = Math.max(0, Math.min(each, len - i * each));
      }
      return p;
    }

    @Override
    public int[][] inferShapes(int[][] in) {
      int ax = Shapes.axis(axis, in[0].length, "axis");
      int[] p = parts(in[0][ax]);
      int[][] out = new int[p.length][];
      for (int i = 0; i < p.length; i++) {
        out[i] = in[0].clone();
        out[i][ax] = p[i];
      }
      return out;
    }

    @Override
    public Step bind(Binding b) {
      int[] x = b.in[0];
      int ax = Shapes.axis(axis, x.length, "axis");
      int[] p = parts(x[ax]);
      int outer = Shapes.size(x, 0, ax);
      int inner = Shapes.size(x, ax + 1, x.length);
      int row = x[ax] * inner;
      int ix = b.inIds[0];
      int[] ids = b.outIds.clone();
      return f -> {
        float[] xa = f.buf[ix];
        for (int o = 0; o < outer; o++) {
          int src = f.off[ix] + o * row;
          for (int i = 0; i < p.length; i++) {
            int len = p[i] * inner;
            if (ids[i] >= 0) {
              System.arraycopy(xa, src, f.buf[ids[i]], f.off[ids[i]] + o * len, len);
            }
            src += len;
          }
        }
      };
    }
  }

  /** Slice with constant starts/ends/axes/steps (inputs from opset 10, attributes before). */
  static final class Slice extends Op {
    private final long[] starts;
    private final long[] ends;
    private final long[] axes;
    private final long[] steps;

    Slice(NodeDef n, Attrs a, OpContext c) {
      super(n);
      arity(1, 5, 1);
      if (hasInput(1)) {
        starts = constantLongs(c, 1, "starts");
        ends = constantLongs(c, 2, "ends");
        axes = hasInput(3) ? constantLongs(c, 3, "axes") : null;
        steps = hasInput(4) ? constantLongs(c, 4, "steps") : null;
      } else {
        starts = a.ints("starts", null);
        ends = a.ints("ends", null);
        axes = a.ints("axes", null);
        steps = null;
        if (starts == null || ends == null) {
          throw a.missing("starts/ends");
        }
      }
      if (starts.length != ends.length
          || (axes != null && axes.length != starts.length)
          || (steps != null && steps.length != starts.length)) {
        throw new ModelFormatException(
            "node " + n.describe() + ": starts, ends, axes and steps differ in length");
      }
    }

    @Override
    public boolean loadTimeInput(int index) {
      return index >= 1;
    }

    /** Per axis: {start, step, count}. */
    private int[][] resolve(int[] x) {
      int r = x.length;
      int[][] res = new int[r][];
      for (int d = 0; d < r; d++) {
        res[d] = new int[] {0, 1, x[d]};
      }
      for (int i = 0; i < starts.length; i++) {
        int d = Shapes.axis(axes == null ? i : axes[i], r, "axis");
        long step = steps == null ? 1 : steps[i];
        if (step == 0) {
          throw shapeError("step 0");
        }
        long dim = x[d];
        long s = starts[i] < 0 ? starts[i] + dim : starts[i];
        long e = ends[i] < 0 ? ends[i] + dim : ends[i];
        long count;
        if (step > 0) {
          s = Math.max(0, Math.min(dim, s));
          e = Math.max(0, Math.min(dim, e));
          count = e > s ? (e - s + step - 1) / step : 0;
        } else {
          s = Math.max(-1, Math.min(dim - 1, s));
          e = Math.max(-1, Math.min(dim - 1, e));
          count = s > e ? (s - e + (-step) - 1) / (-step) : 0;
        }
        res[d] =
            new int[] {
              (int) s,
              (int) Math.max(Math.min(step, Integer.MAX_VALUE), Integer.MIN_VALUE),
              (int) count
            };
      }
      return res;
    }

    @Override
    public int[][] inferShapes(int[][] in) {
      int[][] res = resolve(in[0]);
      int[] out = new int[res.length];
      for (int d = 0; d < res.length; d++) {
        out[d] = res[d][2];
      }
      return new int[][] {out};
    }

    @Override
    public Step bind(Binding b) {
      int[] x = b.in[0];
      int[][] res = resolve(x);
      int r = x.length;
      int[] xs = Shapes.strides(x);
      int[] y = b.out[0];
      int total = Shapes.size(y);
      int ix = b.inIds[0];
      int iy = b.outIds[0];
      if (r == 0) {
        return f -> System.arraycopy(f.buf[ix], f.off[ix], f.buf[iy], f.off[iy], total);
      }
      int base = 0;
      int[] st = new int[r];
      for (int d = 0; d < r; d++) {
        base += res[d][0] * xs[d];
        st[d] = res[d][1] * xs[d];
      }
      return gather(ix, iy, base, y, st);
    }
  }

  /** Pad: constant (value), reflect or edge; pads as input (opset >= 11) or attribute. */
  static final class Pad extends Op {
    private final long[] pads;
    private final long[] axes;
    private final float value;
    private final String mode;

    Pad(NodeDef n, Attrs a, OpContext c) {
      super(n);
      arity(1, 4, 1);
      this.mode = a.s("mode", "constant");
      if (!mode.equals("constant") && !mode.equals("reflect") && !mode.equals("edge")) {
        throw a.unsupported("mode", "'" + mode + "' is not supported (constant, reflect, edge)");
      }
      if (hasInput(1)) {
        pads = constantLongs(c, 1, "pads");
        value = hasInput(2) ? constantScalar(c, 2, "constant_value") : 0f;
        axes = hasInput(3) ? constantLongs(c, 3, "axes") : null;
      } else {
        pads = a.ints("pads", null);
        if (pads == null) {
          throw a.missing("pads");
        }
        value = a.f("value", 0f);
        axes = null;
      }
    }

    @Override
    public boolean loadTimeInput(int index) {
      return index >= 1;
    }

    private int[][] resolve(int r) {
      int[] begin = new int[r];
      int[] end = new int[r];
      int k = axes == null ? r : axes.length;
      if (pads.length != 2 * k) {
        throw shapeError("pads has " + pads.length + " values, expected " + 2 * k);
      }
      for (int i = 0; i < k; i++) {
        int d = axes == null ? i : Shapes.axis(axes[i], r, "axis");
        begin[d] = Math.toIntExact(pads[i]);
        end[d] = Math.toIntExact(pads[i + k]);
      }
      return new int[][] {begin, end};
    }

    @Override
    public int[][] inferShapes(int[][] in) {
      int[] x = in[0];
      int[][] p = resolve(x.length);
      int[] out = new int[x.length];
      for (int d = 0; d < x.length; d++) {
        out[d] = x[d] + p[0][d] + p[1][d];
        if (out[d] < 0) {
          throw shapeError("negative output size on axis " + d);
        }
        if (!mode.equals("constant") && x[d] == 0 && (p[0][d] > 0 || p[1][d] > 0)) {
          throw shapeError(mode + " padding of the empty axis " + d);
        }
      }
      return new int[][] {out};
    }

    @Override
    public Step bind(Binding b) {
      int[] x = b.in[0];
      int r = x.length;
      int[] begin = resolve(r)[0];
      int[] y = b.out[0];
      int[] xs = Shapes.strides(x);
      int total = Shapes.size(y);
      int ix = b.inIds[0];
      int iy = b.outIds[0];
      int m = mode.equals("constant") ? 0 : mode.equals("reflect") ? 1 : 2;
      float v = value;
      return f -> {
        float[] xa = f.buf[ix];
        float[] ya = f.buf[iy];
        int x0 = f.off[ix];
        int y0 = f.off[iy];
        for (int e = 0; e < total; e++) {
          int rem = e;
          int src = x0;
          boolean inside = true;
          for (int d = r - 1; d >= 0; d--) {
            int i = rem % y[d] - begin[d];
            rem /= y[d];
            if (i < 0 || i >= x[d]) {
              if (m == 0) {
                inside = false;
                break;
              }
              i = m == 2 ? (i < 0 ? 0 : x[d] - 1) : reflect(i, x[d]);
            }
            src += i * xs[d];
          }
          ya[y0 + e] = inside ? xa[src] : v;
        }
      };
    }

    private static int reflect(int i, int n) {
      if (n == 1) {
        return 0;
      }
      int period = 2 * (n - 1);
      i = Math.floorMod(i, period);
      return i < n ? i : period - i;
    }
  }
}
