package dev.bnfold.runtime.ops;

import dev.bnfold.runtime.ModelFormatException;
import dev.bnfold.runtime.format.NodeDef;

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

  @Override
  public Step bind(Binding b) {
    int[] out = b.out[0];
    int iy = b.outIds[0];
    if (b.in.length == 1) { // Max/Min of one input: a copy (the shapes are equal)
      int ix = b.inIds[0];
      int n = Shapes.size(out);
      return f -> System.arraycopy(f.buf[ix], f.off[ix], f.buf[iy], f.off[iy], n);
    }
    Step first = bind(kind, b.inIds[0], b.in[0], b.inIds[1], b.in[1], iy, out);
    if (b.in.length == 2) {
      return first;
    }
    // y = op(op(op(x0, x1), x2), ...): y already has the output shape, so it is read in place.
    Step[] rest = new Step[b.in.length - 2];
    for (int i = 2; i < b.in.length; i++) {
      rest[i - 2] = bind(kind, iy, out, b.inIds[i], b.in[i], iy, out);
    }
    return f -> {
      first.run(f);
      for (Step s : rest) {
        s.run(f);
      }
    };
  }

  /** The step {@code y = op(a, b)}, a and b broadcast to y's shape {@code out}. */
  private static Step bind(
      Kind kind, int ia, int[] aShape, int ib, int[] bShape, int iy, int[] out) {
    int r = Math.max(out.length, 1);
    int[] shape = out.length == 0 ? new int[] {1} : out;
    int[] sa = out.length == 0 ? new int[] {1} : Shapes.broadcastStrides(aShape, out);
    int[] sb = out.length == 0 ? new int[] {1} : Shapes.broadcastStrides(bShape, out);
    int total = Shapes.size(out);
    int inner = shape[r - 1];
    int outer = inner == 0 ? 0 : total / inner;
    int da = sa[r - 1];
    int db = sb[r - 1];
    Kind k = kind;
    return f -> {
      float[] a = f.buf[ia];
      float[] bb = f.buf[ib];
      float[] y = f.buf[iy];
      int y0 = f.off[iy];
      for (int o = 0; o < outer; o++) {
        // Offsets of row o in a and b: decompose o over dims [0, r-1).
        int rem = o;
        int pa = f.off[ia];
        int pb = f.off[ib];
        for (int d = r - 2; d >= 0; d--) {
          int idx = rem % shape[d];
          rem /= shape[d];
          pa += idx * sa[d];
          pb += idx * sb[d];
        }
        row(k, y, y0 + o * inner, a, pa, da, bb, pb, db, inner);
      }
    };
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
