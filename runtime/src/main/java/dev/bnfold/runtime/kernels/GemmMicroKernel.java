package dev.bnfold.runtime.kernels;

/**
 * The inner tile of a packed matrix multiply: {@code C[mr x nr] (+)= Apanel * Bpanel} over {@code
 * kc} steps. Implementations: {@link ScalarGemmMicroKernel} (any JVM) and, when the {@code
 * jdk.incubator.vector} module is present, {@code vector.VectorGemmMicroKernel} (4 x 2 vectors) and
 * {@code vector.VectorGemmMicroKernel8} (8 x 2 vectors, for 32-register units).
 *
 * <p>Layouts (see {@link Gemm#packA} and {@link Gemm#packB}): the A panel is k-major with {@code
 * mr} rows interleaved ({@code a[k * mr + r]}), the B panel k-major with {@code nr} columns ({@code
 * b[k * nr + j]}); C is row-major with leading dimension {@code ldc}.
 */
public interface GemmMicroKernel {
  /** Rows per A panel. */
  int mr();

  /** Columns per B panel. */
  int nr();

  /**
   * Computes one tile.
   *
   * @param c output, row-major, tile origin at {@code cOff}
   * @param ldc leading dimension of C
   * @param a packed A panel, first k step at {@code aOff}
   * @param b packed B panel, first k step at {@code bOff}
   * @param kc number of k steps
   * @param m valid rows of the tile (1..mr); rows beyond are not written
   * @param n valid columns of the tile (1..nr); columns beyond are not written
   * @param accumulate add to C instead of overwriting it
   */
  void tile(
      float[] c,
      int cOff,
      int ldc,
      float[] a,
      int aOff,
      float[] b,
      int bOff,
      int kc,
      int m,
      int n,
      boolean accumulate);

  /** A short name for reports, e.g. {@code scalar-4x8}. */
  String name();

  /**
   * {@code C = min(max(C, lo), hi)} on a tile of m rows and n columns just written by {@link
   * #tile}, while it is in L1 (the fused ReLU / Clip of a convolution). NaN stays NaN.
   */
  default void clamp(float[] c, int cOff, int ldc, int m, int n, float lo, float hi) {
    for (int r = 0; r < m; r++) {
      for (int i = cOff + r * ldc; i < cOff + r * ldc + n; i++) {
        c[i] = Math.min(Math.max(c[i], lo), hi);
      }
    }
  }
}
