package dev.bnfold.runtime.kernels;

/**
 * The inner loops of {@link Depthwise}. Planar path: a multi-tap correlation over a flat run of a
 * phase-split, zero-padded input plane, and the even/odd column split that builds such a plane at
 * stride 2. Channel-interleaved path (only if {@link #lanes} {@code > 0}): the transposes of a
 * block of L = {@link #lanes} channel planes to and from pixel-major order (one L-float group per
 * pixel, lane l = channel l of the block), and the correlation over such a block, where every tap
 * is one L-wide load times a per-channel weight group. The default methods are the plain-Java
 * reference of the interleaved path, for any L. Implementations: {@link ScalarDepthwiseKernel}
 * (plain Java, any JVM; planar only) and, when the {@code jdk.incubator.vector} module is present,
 * {@code vector.VectorDepthwise}.
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

  /**
   * Channels per block of the interleaved path, 0 if this kernel runs only the planar path. The
   * default methods below work for any positive value.
   */
  default int lanes() {
    return 0;
  }

  /**
   * Pixel-major copy of L = {@link #lanes} channel runs: {@code dst[dOff + p * L + l] = x[xOff +
   * index[l] + p * step]} for p in [0, n), l in [0, L) (index: each lane's channel-plane offset;
   * step: the column stride, which splits the stride phases).
   */
  default void interleave(
      float[] dst, int dOff, float[] x, int xOff, int step, int[] index, int n) {
    int lanes = lanes();
    for (int l = 0; l < lanes; l++) {
      int src = xOff + index[l];
      for (int p = 0; p < n; p++) {
        dst[dOff + p * lanes + l] = x[src + p * step];
      }
    }
  }

  /**
   * The inverse of {@link #interleave} for the first {@code count} lanes, through a pixel map:
   * {@code y[yOff + l * plane + k] = src[sOff + map[k] + l]} for k in [0, n), l in [0, count).
   */
  default void deinterleave(
      float[] y, int yOff, int plane, float[] src, int sOff, int[] map, int n, int count) {
    for (int l = 0; l < count; l++) {
      int d = yOff + l * plane;
      for (int k = 0; k < n; k++) {
        y[d + k] = src[sOff + map[k] + l];
      }
    }
  }

  /**
   * Multi-tap correlation over a flat run of n interleaved pixels, L = {@link #lanes}: {@code
   * out[outOff + f * L + l] = min(max(wb[wbOff + T * L + l] + sum over t of wb[wbOff + t * L + l] *
   * p[pOff + taps[t] + f * L + l], lo), hi)} for f in [0, n), l in [0, L), T = taps.length: the
   * per-lane weights of each tap, then the per-lane bias.
   */
  default void tapsInterleaved(
      float[] out,
      int outOff,
      int n,
      float[] p,
      int pOff,
      int[] taps,
      float[] wb,
      int wbOff,
      float lo,
      float hi) {
    int lanes = lanes();
    int nt = taps.length;
    for (int f = 0; f < n * lanes; f += lanes) {
      for (int l = 0; l < lanes; l++) {
        float a = wb[wbOff + nt * lanes + l];
        for (int t = 0; t < nt; t++) {
          a += wb[wbOff + t * lanes + l] * p[pOff + taps[t] + f + l];
        }
        out[outOff + f + l] = Math.min(Math.max(a, lo), hi);
      }
    }
  }
}
