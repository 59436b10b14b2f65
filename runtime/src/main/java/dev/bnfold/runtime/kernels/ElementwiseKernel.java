package dev.bnfold.runtime.kernels;

/**
 * Element-wise kernels over flat float runs: activations {@code y[yOff+i] = f(x[xOff+i])}, binary
 * ops {@code y = a op b} on equal-length runs or with a scalar b (a channel of an {@code [N,C,1,1]}
 * tensor broadcast over its {@code H*W} plane), and a sum for mean reductions. Every method allows
 * {@code y == x} with equal offsets (in place). Implementations: {@link ScalarElementwise} (plain
 * Java, the reference) and, when the {@code jdk.incubator.vector} module is present, {@code
 * vector.VectorElementwise}; {@link Kernels#elementwiseFor} picks one.
 */
public interface ElementwiseKernel {
  /** {@code y = 1 / (1 + exp(-x))}. */
  void sigmoid(float[] y, int yOff, float[] x, int xOff, int n);

  /** {@code y = x * sigmoid(x)} (SiLU, Swish). */
  void silu(float[] y, int yOff, float[] x, int xOff, int n);

  /** {@code y = tanh(x)}. */
  void tanh(float[] y, int yOff, float[] x, int xOff, int n);

  /** {@code y = max(0, min(1, alpha*x + beta))}. */
  void hardSigmoid(float[] y, int yOff, float[] x, int xOff, int n, float alpha, float beta);

  /** {@code y = x * max(0, min(1, alpha*x + beta))} (HardSwish with alpha 1/6, beta 1/2). */
  void hardSwish(float[] y, int yOff, float[] x, int xOff, int n, float alpha, float beta);

  /** {@code y = min(max(x, lo), hi)} with Math.max/min semantics (NaN stays NaN); lo &lt;= hi. */
  void clamp(float[] y, int yOff, float[] x, int xOff, int n, float lo, float hi);

  /** {@code y = a + b}. */
  void add(float[] y, int yOff, float[] a, int aOff, float[] b, int bOff, int n);

  /** {@code y = a * b}. */
  void mul(float[] y, int yOff, float[] a, int aOff, float[] b, int bOff, int n);

  /**
   * {@code y = max(a, b)} with Math.max semantics (NaN if either is NaN). Also allows {@code y ==
   * a} or {@code y == b} at equal offsets; no other overlap.
   */
  void max(float[] y, int yOff, float[] a, int aOff, float[] b, int bOff, int n);

  /** {@code y = a + s}. */
  void addScalar(float[] y, int yOff, float[] a, int aOff, float s, int n);

  /** {@code y = a * s}. */
  void mulScalar(float[] y, int yOff, float[] a, int aOff, float s, int n);

  /**
   * Matrix times vector, {@code y (m) = W (m, k) x (k)} (any summation order), with W in the
   * row-panel layout of {@link Gemm#packA}, the layout packed weights are kept in: panels of {@code
   * width} rows, k-major, zero-padded past row m, so {@code y[yOff + p*width + r] = sum_kk w[wOff +
   * p*width*k + kk*width + r] * x[xOff + kk]}. For convolutions whose output plane is 1x1
   * (squeeze-excitation), where the GEMM path would use one column of its micro-kernel's tiles.
   */
  void gemvPanels(
      float[] y, int yOff, float[] w, int wOff, int width, float[] x, int xOff, int m, int k);

  /** The sum of {@code x[off .. off+n)} (any summation order). */
  float sum(float[] x, int off, int n);
}
