package dev.bnfold.runtime.ops;

import dev.bnfold.runtime.UnsupportedModelException;
import dev.bnfold.runtime.format.NodeDef;

/**
 * Per-channel affine maps over axis 1: {@code ChannelAffine} ({@code y = x * scale[c] + bias[c]};
 * inputs x, scale, bias) and inference-form BatchNormalization (inputs x, gamma, beta, mean, var;
 * epsilon default 1e-5), which is turned into scale and bias at load when its parameters are
 * constants (computed in double, rounded once).
 */
final class AffineOps extends Op {
  private final float[] scale; // constant scale per channel, or null (read inputs at run time)
  private final float[] bias;
  private final boolean batchNorm;
  private final float epsilon;

  private AffineOps(NodeDef n, float[] scale, float[] bias, boolean batchNorm, float epsilon) {
    super(n);
    this.scale = scale;
    this.bias = bias;
    this.batchNorm = batchNorm;
    this.epsilon = epsilon;
  }

  static Op channelAffine(NodeDef n, Attrs a, OpContext c) {
    new AffineOps(n, null, null, false, 0).arity(3, 3, 1);
    return new AffineOps(n, null, null, false, 0);
  }

  static Op batchNorm(NodeDef n, Attrs a, OpContext c) {
    AffineOps probe = new AffineOps(n, null, null, true, 0);
    probe.arity(5, 5, 1);
    float eps = a.f("epsilon", 1e-5f);
    a.f("momentum", 0.9f);
    if (a.i("training_mode", 0) != 0) {
      throw a.unsupported("training_mode", "= 1 is not supported (inference only)");
    }
    if (a.i("spatial", 1) == 0) {
      throw a.unsupported("spatial", "= 0 is not supported");
    }
    a.i("is_test", 1);
    a.i("consumed_inputs", 0);
    float[] g = c.constantFloats(n.inputs().get(1));
    float[] b = c.constantFloats(n.inputs().get(2));
    float[] m = c.constantFloats(n.inputs().get(3));
    float[] v = c.constantFloats(n.inputs().get(4));
    if (g == null || b == null || m == null || v == null) {
      return new AffineOps(n, null, null, true, eps);
    }
    int ch = g.length;
    if (b.length != ch || m.length != ch || v.length != ch) {
      throw new UnsupportedModelException("node " + n.describe() + ": parameter lengths differ");
    }
    float[] s = new float[ch];
    float[] t = new float[ch];
    for (int i = 0; i < ch; i++) {
      double sc = g[i] / Math.sqrt((double) v[i] + eps);
      s[i] = (float) sc;
      t[i] = (float) (b[i] - m[i] * sc);
    }
    return new AffineOps(n, s, t, true, eps);
  }

  @Override
  public int[][] inferShapes(int[][] in) {
    int[] x = in[0];
    if (x.length < 2) {
      throw shapeError("input " + Shapes.str(x) + " needs rank >= 2");
    }
    for (int i = 1; i < in.length; i++) {
      if (Shapes.size(in[i]) != x[1] || in[i].length != 1) {
        throw shapeError("parameter " + i + " " + Shapes.str(in[i]) + " must be [" + x[1] + "]");
      }
    }
    return new int[][] {x};
  }

  @Override
  public Step bind(Binding b) {
    int[] x = b.in[0];
    int n = x[0];
    int ch = x[1];
    int plane = Shapes.size(x, 2, x.length);
    int ix = b.inIds[0];
    int iy = b.outIds[0];
    int[] p = b.inIds.clone();
    float[] s0 = scale;
    float[] t0 = bias;
    boolean bn = batchNorm;
    float eps = epsilon;
    return f -> {
      float[] xa = f.buf[ix];
      float[] ya = f.buf[iy];
      for (int c = 0; c < ch; c++) {
        float s;
        float t;
        if (s0 != null) {
          s = s0[c];
          t = t0[c];
        } else if (!bn) {
          s = f.buf[p[1]][f.off[p[1]] + c];
          t = f.buf[p[2]][f.off[p[2]] + c];
        } else {
          double sc =
              f.buf[p[1]][f.off[p[1]] + c] / Math.sqrt((double) f.buf[p[4]][f.off[p[4]] + c] + eps);
          s = (float) sc;
          t = (float) (f.buf[p[2]][f.off[p[2]] + c] - f.buf[p[3]][f.off[p[3]] + c] * sc);
        }
        for (int i = 0; i < n; i++) {
          int base = (i * ch + c) * plane;
          int xo = f.off[ix] + base;
          int yo = f.off[iy] + base;
          for (int j = 0; j < plane; j++) {
            ya[yo + j] = xa[xo + j] * s + t;
          }
        }
      }
    };
  }
}
