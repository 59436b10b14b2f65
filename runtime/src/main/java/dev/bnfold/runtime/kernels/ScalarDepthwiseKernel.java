package dev.bnfold.runtime.kernels;

/**
 * Plain-Java {@link DepthwiseKernel}; works on any JVM, Android included. 3x3 sums each output's
 * nine taps in one pass; other sizes cut the run into blocks of {@link #BLOCK} outputs that stay in
 * L1; each block starts as the bias and every tap adds {@code w * p-run} to it, a unit-stride loop
 * that HotSpot's superword pass vectorizes, then the block is clamped.
 */
public final class ScalarDepthwiseKernel implements DepthwiseKernel {
  /** Outputs per block. */
  static final int BLOCK = 256;

  /** Creates the kernel. */
  public ScalarDepthwiseKernel() {}

  @Override
  public String name() {
    return "scalar";
  }

  @Override
  public void taps(
      float[] y,
      int yOff,
      int n,
      float[] p,
      int pOff,
      int[] taps,
      float[] w,
      int wOff,
      float bias,
      float lo,
      float hi) {
    tapsScalar(y, yOff, n, p, pOff, taps, w, wOff, bias, lo, hi);
  }

  /** {@link #taps}, as a static method for the vector kernel's short runs. */
  public static void tapsScalar(
      float[] y,
      int yOff,
      int n,
      float[] p,
      int pOff,
      int[] taps,
      float[] w,
      int wOff,
      float bias,
      float lo,
      float hi) {
    int nt = taps.length;
    if (nt == 9) {
      taps9(y, yOff, n, p, pOff, taps, w, wOff, bias, lo, hi);
      return;
    }
    for (int f0 = 0; f0 < n; f0 += BLOCK) {
      int len = Math.min(BLOCK, n - f0);
      int d = yOff + f0;
      for (int i = 0; i < len; i++) {
        y[d + i] = bias;
      }
      for (int t = 0; t < nt; t++) {
        float wv = w[wOff + t];
        int q = pOff + taps[t] + f0;
        for (int i = 0; i < len; i++) {
          y[d + i] += wv * p[q + i];
        }
      }
      for (int i = 0; i < len; i++) {
        y[d + i] = Math.min(Math.max(y[d + i], lo), hi);
      }
    }
  }

  /**
   * {@link #tapsScalar} for nine taps (3x3): one pass, each output the sum of its nine taps with
   * the weights in registers (nine loads and one store per output, which superword vectorizes;
   * measured 1.6x the blocked tap-by-tap loop, which loads and stores the output nine times).
   */
  private static void taps9(
      float[] y,
      int yOff,
      int n,
      float[] p,
      int pOff,
      int[] taps,
      float[] w,
      int wOff,
      float bias,
      float lo,
      float hi) {
    int o0 = pOff + taps[0], o1 = pOff + taps[1], o2 = pOff + taps[2];
    int o3 = pOff + taps[3], o4 = pOff + taps[4], o5 = pOff + taps[5];
    int o6 = pOff + taps[6], o7 = pOff + taps[7], o8 = pOff + taps[8];
    float w0 = w[wOff], w1 = w[wOff + 1], w2 = w[wOff + 2];
    float w3 = w[wOff + 3], w4 = w[wOff + 4], w5 = w[wOff + 5];
    float w6 = w[wOff + 6], w7 = w[wOff + 7], w8 = w[wOff + 8];
    for (int i = 0; i < n; i++) {
      float s = bias + w0 * p[o0 + i] + w1 * p[o1 + i] + w2 * p[o2 + i];
      s += w3 * p[o3 + i] + w4 * p[o4 + i] + w5 * p[o5 + i];
      s += w6 * p[o6 + i] + w7 * p[o7 + i] + w8 * p[o8 + i];
      y[yOff + i] = Math.min(Math.max(s, lo), hi);
    }
  }

  @Override
  public void split2(float[] dst, int even, int odd, float[] x, int xOff, int n) {
    split2Scalar(dst, even, odd, x, xOff, n);
  }

  /** {@link #split2}, as a static method for the vector kernel's tails. */
  public static void split2Scalar(float[] dst, int even, int odd, float[] x, int xOff, int n) {
    for (int i = 0; i < n; i++) {
      dst[even + i] = x[xOff + 2 * i];
      dst[odd + i] = x[xOff + 2 * i + 1];
    }
  }
}
