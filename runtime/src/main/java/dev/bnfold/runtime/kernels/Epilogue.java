package dev.bnfold.runtime.kernels;

/**
 * An in-place element-wise function applied by a kernel to each block of output it has just
 * written, while the block is still in cache (a fused activation). Clamps ({@link #clamp}: ReLU,
 * ReLU6, Clip) say so through {@link #clampBounds}, and the GEMM path then applies them to each
 * register tile as it is stored instead of in a pass of their own.
 */
@FunctionalInterface
public interface Epilogue {
  /** Applies the function to {@code y[off .. off+n)} in place. */
  void apply(float[] y, int off, int n);

  /**
   * {@code {lo, hi}} if the function is {@code min(max(y, lo), hi)}, else null. The array is the
   * epilogue's own (kernels ask for it on every call, so it is not copied): read it, never write
   * it.
   */
  default float[] clampBounds() {
    return null;
  }

  /**
   * {@code y = min(max(y, lo), hi)} with Math.max/min semantics (NaN stays NaN); needs {@code lo <=
   * hi}.
   */
  static Epilogue clamp(float lo, float hi) {
    return clamp(lo, hi, Kernels.scalarElementwise());
  }

  /** {@link #clamp(float, float)} applied by {@code kernels}. */
  static Epilogue clamp(float lo, float hi, ElementwiseKernel kernels) {
    float[] bounds = {lo, hi};
    return new Epilogue() {
      @Override
      public void apply(float[] y, int off, int n) {
        kernels.clamp(y, off, y, off, n, lo, hi);
      }

      @Override
      public float[] clampBounds() {
        return bounds;
      }
    };
  }
}
