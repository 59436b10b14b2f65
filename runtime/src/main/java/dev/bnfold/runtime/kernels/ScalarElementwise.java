package dev.bnfold.runtime.kernels;

/**
 * Plain-Java {@link ElementwiseKernel}: one loop per function, the transcendental ones in double
 * through {@link Math#exp} and {@link Math#tanh} (intrinsics, faster here than a float polynomial
 * in scalar code). It is the reference the vector kernel is tested against, and the fallback on a
 * JVM without the Vector API.
 */
public final class ScalarElementwise implements ElementwiseKernel {
  /** Creates the kernel. */
  public ScalarElementwise() {}

  /** The reference sigmoid of one value. */
  public static float sigmoid(float x) {
    return (float) (1.0 / (1.0 + Math.exp(-x)));
  }

  @Override
  public void sigmoid(float[] y, int yOff, float[] x, int xOff, int n) {
    for (int i = 0; i < n; i++) {
      y[yOff + i] = sigmoid(x[xOff + i]);
    }
  }

  @Override
  public void silu(float[] y, int yOff, float[] x, int xOff, int n) {
    for (int i = 0; i < n; i++) {
      float v = x[xOff + i];
      y[yOff + i] = v * sigmoid(v);
    }
  }

  @Override
  public void tanh(float[] y, int yOff, float[] x, int xOff, int n) {
    for (int i = 0; i < n; i++) {
      y[yOff + i] = (float) Math.tanh(x[xOff + i]);
    }
  }

  @Override
  public void hardSigmoid(
      float[] y, int yOff, float[] x, int xOff, int n, float alpha, float beta) {
    for (int i = 0; i < n; i++) {
      y[yOff + i] = Math.max(0f, Math.min(1f, alpha * x[xOff + i] + beta));
    }
  }

  @Override
  public void hardSwish(float[] y, int yOff, float[] x, int xOff, int n, float alpha, float beta) {
    for (int i = 0; i < n; i++) {
      float v = x[xOff + i];
      y[yOff + i] = v * Math.max(0f, Math.min(1f, alpha * v + beta));
    }
  }

  @Override
  public void clamp(float[] y, int yOff, float[] x, int xOff, int n, float lo, float hi) {
    for (int i = 0; i < n; i++) {
      y[yOff + i] = Math.min(Math.max(x[xOff + i], lo), hi);
    }
  }

  @Override
  public void add(float[] y, int yOff, float[] a, int aOff, float[] b, int bOff, int n) {
    for (int i = 0; i < n; i++) {
      y[yOff + i] = a[aOff + i] + b[bOff + i];
    }
  }

  @Override
  public void mul(float[] y, int yOff, float[] a, int aOff, float[] b, int bOff, int n) {
    for (int i = 0; i < n; i++) {
      y[yOff + i] = a[aOff + i] * b[bOff + i];
    }
  }

  @Override
  public void max(float[] y, int yOff, float[] a, int aOff, float[] b, int bOff, int n) {
    for (int i = 0; i < n; i++) {
      y[yOff + i] = Math.max(a[aOff + i], b[bOff + i]);
    }
  }

  @Override
  public void addScalar(float[] y, int yOff, float[] a, int aOff, float s, int n) {
    for (int i = 0; i < n; i++) {
      y[yOff + i] = a[aOff + i] + s;
    }
  }

  @Override
  public void mulScalar(float[] y, int yOff, float[] a, int aOff, float s, int n) {
    for (int i = 0; i < n; i++) {
      y[yOff + i] = a[aOff + i] * s;
    }
  }

  /** Per panel, the width row sums accumulate side by side as the panel is read in order. */
  @Override
  public void gemvPanels(
      float[] y, int yOff, float[] w, int wOff, int width, float[] x, int xOff, int m, int k) {
    for (int r0 = 0; r0 < m; r0 += width) {
      int rows = Math.min(width, m - r0);
      int p = wOff + r0 * k; // panel r0 / width starts at (r0 / width) * width * k
      java.util.Arrays.fill(y, yOff + r0, yOff + r0 + rows, 0f);
      for (int kk = 0; kk < k; kk++) {
        float xv = x[xOff + kk];
        int q = p + kk * width;
        for (int r = 0; r < rows; r++) {
          y[yOff + r0 + r] += w[q + r] * xv;
        }
      }
    }
  }

  /** Four partial sums, so the adds pipeline instead of waiting on one another. */
  @Override
  public float sum(float[] x, int off, int n) {
    float s0 = 0;
    float s1 = 0;
    float s2 = 0;
    float s3 = 0;
    int i = 0;
    for (; i + 4 <= n; i += 4) {
      s0 += x[off + i];
      s1 += x[off + i + 1];
      s2 += x[off + i + 2];
      s3 += x[off + i + 3];
    }
    for (; i < n; i++) {
      s0 += x[off + i];
    }
    return (s0 + s1) + (s2 + s3);
  }
}
