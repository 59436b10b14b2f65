package dev.bnfold.runtime.ops;

import dev.bnfold.runtime.format.NodeDef;

/**
 * Element-wise binary ops with numpy multidirectional broadcasting: Add, Sub, Mul, Div, and PRelu
 * ({@code y = x < 0 ? slope*x : x}, slope unidirectionally broadcast to x).
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
    arity(2, 2, 1);
  }

  @Override
  public int[][] inferShapes(int[][] in) {
    int[] out = Shapes.broadcast(in[0], in[1]);
    if (kind == Kind.PRELU && !java.util.Arrays.equals(out, in[0])) {
      throw shapeError(
          "slope " + Shapes.str(in[1]) + " does not broadcast to x " + Shapes.str(in[0]));
    }
    return new int[][] {out};
  }

  @Override
  public Step bind(Binding b) {
    int[] out = b.out[0];
    int r = Math.max(out.length, 1);
    int[] shape = out.length == 0 ? new int[] {1} : out;
    int[] sa = out.length == 0 ? new int[] {1} : Shapes.broadcastStrides(b.in[0], out);
    int[] sb = out.length == 0 ? new int[] {1} : Shapes.broadcastStrides(b.in[1], out);
    int ia = b.inIds[0];
    int ib = b.inIds[1];
    int iy = b.outIds[0];
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
