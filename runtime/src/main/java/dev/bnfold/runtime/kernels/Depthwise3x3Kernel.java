package dev.bnfold.runtime.kernels;

/**
 * The output plane of a 3x3 depthwise convolution read from a zero-padded input plane p (see {@link
 * Conv#depthwise}): for every output row oh in [0, oh1), with {@code r0 = pOff + oh * rowStep},
 * {@code r1 = r0 + width}, {@code r2 = r1 + width} and column offsets {@code (0, c1, c2)}, {@code
 * y[yOff + oh*ow1 + i] = bias + sum over r, c < 3 of w[wOff + 3r + c] * p[row_r + col_c + i]} for i
 * in [0, ow1). Stride 1 uses columns (0, 1, 2); stride 2 reads a plane whose even and odd columns
 * were split apart, so its taps are unit-stride too. Implementations: {@link Conv#depthwise3x3Rows}
 * (plain Java) and, when the {@code jdk.incubator.vector} module is present, {@code
 * vector.VectorDepthwise3x3} and {@code vector.VectorDepthwise3x3Half}.
 */
public interface Depthwise3x3Kernel {
  /** Computes one plane; see the interface comment for the formula. */
  void plane(
      float[] y,
      int yOff,
      int oh1,
      int ow1,
      float[] p,
      int pOff,
      int rowStep,
      int width,
      int c1,
      int c2,
      float[] w,
      int wOff,
      float bias,
      float lo,
      float hi);
}
