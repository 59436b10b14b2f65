package dev.bnfold.runtime.kernels;

/**
 * The two inner loops of {@link Depthwise}: a multi-tap correlation over a flat run of a
 * phase-split, zero-padded input plane, and the even/odd column split that builds such a plane at
 * stride 2. Implementations: {@link ScalarDepthwiseKernel} (plain Java, any JVM) and, when the
 * {@code jdk.incubator.vector} module is present, {@code vector.VectorDepthwise}.
 */
public interface DepthwiseKernel {
  /** A short name for reports, e.g. {@code "vector"}. */
  String name();

  /**
   * {@code y[yOff + f] = min(max(bias + sum over t of w[wOff + t] * p[pOff + taps[t] + f], lo),
   * hi)} for f in [0, n): one output plane of {@link Depthwise} as one flat run (taps are the
   * kernel's (kh, kw) in weight order). {@code lo, hi} may be infinite (no clamp).
   */
  void taps(
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
      float hi);

  /**
   * Splits {@code 2n} consecutive floats into their even and odd halves: {@code dst[even + i] =
   * x[xOff + 2i]} and {@code dst[odd + i] = x[xOff + 2i + 1]} for i in [0, n).
   */
  void split2(float[] dst, int even, int odd, float[] x, int xOff, int n);
}
