package dev.bnfold.runtime.ops;

import dev.bnfold.runtime.format.NodeDef;

/**
 * Softmax, LogSoftmax. Opset >= 13: over the single axis {@code axis} (default -1). Opset < 13: the
 * input is viewed as 2-D (dims before axis, dims from axis; default axis 1) and normalised over the
 * second. Max-subtracted for stability.
 */
final class SoftmaxOp extends Op {
  private final long axis;
  private final boolean legacy;
  private final boolean log;

  SoftmaxOp(NodeDef n, Attrs a, OpContext c, boolean log) {
    super(n);
    arity(1, 1, 1);
    this.legacy = c.opset() > 0 && c.opset() < 13;
    this.axis = a.i("axis", legacy ? 1 : -1);
    this.log = log;
  }

  @Override
  public int[][] inferShapes(int[][] in) {
    Shapes.axis(axis, in[0].length, "axis");
    return new int[][] {in[0]};
  }

  @Override
  public Step bind(Binding b) {
    int[] s = b.in[0];
    int ax = Shapes.axis(axis, s.length, "axis");
    int outer;
    int len;
    int inner;
    if (legacy) {
      outer = Shapes.size(s, 0, ax);
      len = Shapes.size(s, ax, s.length);
      inner = 1;
    } else {
      outer = Shapes.size(s, 0, ax);
      len = s[ax];
      inner = Shapes.size(s, ax + 1, s.length);
    }
    int ix = b.inIds[0];
    int iy = b.outIds[0];
    boolean lg = log;
    return f -> softmax(f.buf[iy], f.off[iy], f.buf[ix], f.off[ix], outer, len, inner, lg);
  }

  /** y, x (outer, len, inner): softmax over the middle axis. */
  static void softmax(
      float[] y, int yOff, float[] x, int xOff, int outer, int len, int inner, boolean log) {
    for (int o = 0; o < outer; o++) {
      for (int i = 0; i < inner; i++) {
        int base = o * len * inner + i;
        float max = Float.NEGATIVE_INFINITY;
        for (int j = 0; j < len; j++) {
          max = Math.max(max, x[xOff + base + j * inner]);
        }
        double sum = 0;
        for (int j = 0; j < len; j++) {
          float e = (float) Math.exp(x[xOff + base + j * inner] - max);
          y[yOff + base + j * inner] = e;
          sum += e;
        }
        if (log) {
          float ls = (float) Math.log(sum);
          for (int j = 0; j < len; j++) {
            y[yOff + base + j * inner] = x[xOff + base + j * inner] - max - ls;
          }
        } else {
          float inv = (float) (1.0 / sum);
          for (int j = 0; j < len; j++) {
            y[yOff + base + j * inner] *= inv;
          }
        }
      }
    }
  }
}
