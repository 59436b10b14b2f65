package dev.bnfold.runtime.ops;

import dev.bnfold.runtime.ModelFormatException;
import dev.bnfold.runtime.format.NodeDef;
import java.util.Arrays;

/**
 * Ops whose output has the input's elements in the same order: Identity, Dropout (inference),
 * Flatten, Reshape (0 copies a dim unless allowzero, -1 is inferred), Squeeze and Unsqueeze (axes
 * as attribute before opset 13, as a constant input after). The planner lets the output share the
 * input's buffer, so these cost nothing at run time.
 */
final class ViewOp extends Op {
  enum Kind {
    IDENTITY,
    FLATTEN,
    RESHAPE,
    SQUEEZE,
    UNSQUEEZE
  }

  private final Kind kind;
  private final long axis; // Flatten
  private final long[] target; // Reshape shape, Squeeze/Unsqueeze axes (null = all ones)
  private final boolean allowZero;

  private ViewOp(NodeDef n, Kind kind, long axis, long[] target, boolean allowZero) {
    super(n);
    this.kind = kind;
    this.axis = axis;
    this.target = target;
    this.allowZero = allowZero;
  }

  static Op identity(NodeDef n, Attrs a, OpContext c) {
    ViewOp op = new ViewOp(n, Kind.IDENTITY, 0, null, false);
    op.arity(1, 1, 1);
    return op;
  }

  /** Dropout at inference: identity; ratio/seed ignored, training_mode must be absent or false. */
  static Op dropout(NodeDef n, Attrs a, OpContext c) {
    a.f("ratio", 0.5f);
    a.i("seed", 0);
    a.i("is_test", 1);
    ViewOp op = new ViewOp(n, Kind.IDENTITY, 0, null, false);
    op.arity(1, 3, 1);
    if (op.hasInput(2)) {
      long[] t = c.constantLongs(n.inputs().get(2));
      float[] tf = c.constantFloats(n.inputs().get(2));
      boolean training =
          (t != null && t.length == 1 && t[0] != 0) || (tf != null && tf.length == 1 && tf[0] != 0);
      if (training || (t == null && tf == null)) {
        throw a.unsupported("training_mode", "must be a false constant (inference only)");
      }
    }
    return op;
  }

  static Op flatten(NodeDef n, Attrs a, OpContext c) {
    ViewOp op = new ViewOp(n, Kind.FLATTEN, a.i("axis", 1), null, false);
    op.arity(1, 1, 1);
    return op;
  }

  static Op reshape(NodeDef n, Attrs a, OpContext c) {
    boolean allowZero = a.i("allowzero", 0) != 0;
    ViewOp probe = new ViewOp(n, Kind.RESHAPE, 0, null, false);
    probe.arity(2, 2, 1);
    return new ViewOp(n, Kind.RESHAPE, 0, probe.constantLongs(c, 1, "shape"), allowZero);
  }

  static Op squeeze(NodeDef n, Attrs a, OpContext c, boolean unsqueeze) {
    Kind k = unsqueeze ? Kind.UNSQUEEZE : Kind.SQUEEZE;
    ViewOp probe = new ViewOp(n, k, 0, null, false);
    probe.arity(1, 2, 1);
    long[] axes = a.ints("axes", null);
    if (probe.hasInput(1)) {
      axes = probe.constantLongs(c, 1, "axes");
    }
    if (unsqueeze && axes == null) {
      throw new ModelFormatException("node " + n.describe() + ": Unsqueeze needs axes");
    }
    return new ViewOp(n, k, 0, axes, false);
  }

  @Override
  public boolean loadTimeInput(int index) {
    return index >= 1;
  }

  @Override
  public boolean isView() {
    return true;
  }

  @Override
  public int[][] inferShapes(int[][] in) {
    int[] x = in[0];
    int[] out;
    switch (kind) {
      case IDENTITY:
        out = x.clone();
        break;
      case FLATTEN:
        {
          int ax = axis == x.length ? x.length : Shapes.axis(axis, x.length, "axis");
          if (axis < 0) {
            ax = (int) (axis + x.length);
          }
          out = new int[] {Shapes.size(x, 0, ax), Shapes.size(x, ax, x.length)};
          break;
        }
      case RESHAPE:
        out = reshape(x);
        break;
      case SQUEEZE:
        {
          boolean[] drop = new boolean[x.length];
          if (target == null) {
            for (int i = 0; i < x.length; i++) {
              drop[i] = x[i] == 1;
            }
          } else {
            for (long t : target) {
              int i = Shapes.axis(t, x.length, "axis");
              if (x[i] != 1) {
                throw shapeError("cannot squeeze axis " + t + " of size " + x[i]);
              }
              drop[i] = true;
            }
          }
          int[] o = new int[x.length];
          int k = 0;
          for (int i = 0; i < x.length; i++) {
            if (!drop[i]) {
              o[k++] = x[i];
            }
          }
          out = Arrays.copyOf(o, k);
          break;
        }
      default:
        {
          int r = x.length + target.length;
          boolean[] ins = new boolean[r];
          for (long t : target) {
            int i = Shapes.axis(t, r, "axis");
            if (ins[i]) {
              throw shapeError("axis " + t + " listed twice");
            }
            ins[i] = true;
          }
          out = new int[r];
          int k = 0;
          for (int i = 0; i < r; i++) {
            out[i] = ins[i] ? 1 : x[k++];
          }
        }
    }
    return new int[][] {out};
  }

  private int[] reshape(int[] x) {
    int[] out = new int[target.length];
    int infer = -1;
    long known = 1;
    for (int i = 0; i < target.length; i++) {
      long t = target[i];
      if (t == -1) {
        if (infer >= 0) {
          throw shapeError("shape " + Arrays.toString(target) + " has more than one -1");
        }
        infer = i;
        continue;
      }
      if (t == 0 && !allowZero) {
        if (i >= x.length) {
          throw shapeError(
              "shape " + Arrays.toString(target) + ": 0 at " + i + " has no input dim");
        }
        t = x[i];
      }
      if (t < 0 || t > Integer.MAX_VALUE) {
        throw shapeError("invalid dimension " + t + " in shape " + Arrays.toString(target));
      }
      out[i] = (int) t;
      known *= t;
      if (known > Integer.MAX_VALUE) {
        throw shapeError("shape " + Arrays.toString(target) + " is too large");
      }
    }
    int size = Shapes.size(x);
    if (infer >= 0) {
      if (known == 0 || size % known != 0) {
        throw shapeError("cannot reshape " + Shapes.str(x) + " to " + Arrays.toString(target));
      }
      out[infer] = (int) (size / known);
    } else if (known != size) {
      throw shapeError("cannot reshape " + Shapes.str(x) + " to " + Arrays.toString(target));
    }
    return out;
  }

  @Override
  public Step bind(Binding b) {
    int ix = b.inIds[0];
    int iy = b.outIds[0];
    int n = Shapes.size(b.in[0]);
    // Used only if the planner could not alias the buffers.
    return f -> System.arraycopy(f.buf[ix], f.off[ix], f.buf[iy], f.off[iy], n);
  }
}
