package dev.bnfold.runtime.kernels;

/**
 * Plain-Java {@link DepthwiseKernel}; works on any JVM, Android included. The run is cut into
 * blocks of {@link #BLOCK} outputs that stay in L1; each block starts as the bias and every tap
 * adds {@code w * p-run} to it, a unit-stride loop that HotSpot's superword pass vectorizes, then
 * the block is clamped.
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
