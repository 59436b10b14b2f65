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

  /**
   * {@link #tile} that starts row r of the tile from {@code bias[biasOff + r]} instead of from C
   * (or from 0 when {@code bias} is null): {@code C = bias + Apanel * Bpanel}, C not read. A
   * convolution's bias then costs no pass over its output of its own.
   */
  default void tileBias(
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
      float[] bias,
      int biasOff) {
    if (bias == null) {
      tile(c, cOff, ldc, a, aOff, b, bOff, kc, m, n, false);
      return;
    }
    for (int r = 0; r < m; r++) {
      java.util.Arrays.fill(c, cOff + r * ldc, cOff + r * ldc + n, bias[biasOff + r]);
    }
    tile(c, cOff, ldc, a, aOff, b, bOff, kc, m, n, true);
  }

  /**
   * One output row against one packed B panel (the M = 1 matrix-vector case): {@code c[cOff + j] =
   * sum over kk < kc of a[aOff + kk] * b[bOff + kk * nr + j]} for {@code j < n} (1..nr); A is a
   * plain contiguous row, not packed, and nothing beyond n columns is written.
   */
  default void row(float[] c, int cOff, float[] a, int aOff, float[] b, int bOff, int kc, int n) {
    int nr = nr();
    for (int j = 0; j < n; j++) {
      c[cOff + j] = 0f;
    }
    for (int kk = 0; kk < kc; kk++) {
      float av = a[aOff + kk];
      int bi = bOff + kk * nr;
      for (int j = 0; j < n; j++) {
        c[cOff + j] += av * b[bi + j];
      }
    }
  }

  /**
   * A full mr x nr tile whose B operand is read in place instead of from a packed panel: {@code
   * B[kk][j] = p[rows[rOff + kk] + pOff + j]} (a convolution's taps over a zero-padded input plane,
   * see {@link GatherConv}). Same contract as {@link #tile} with m = mr, except that C gets all mr
   * rows and at least n (1..nr) columns: up to nr, so C must have nr columns of room.
   */
  default void tileGather(
      float[] c,
      int cOff,
      int ldc,
      float[] a,
      int aOff,
      float[] p,
      int[] rows,
      int rOff,
      int pOff,
      int kc,
      int n,
      boolean accumulate) {
    int mr = mr();
    int nr = nr();
    for (int r = 0; r < mr; r++) {
      for (int j = 0; j < nr; j++) {
        float s = accumulate ? c[cOff + r * ldc + j] : 0f;
        for (int kk = 0; kk < kc; kk++) {
          s += a[aOff + kk * mr + r] * p[rows[rOff + kk] + pOff + j];
        }
        c[cOff + r * ldc + j] = s;
      }
    }
  }

  /**
   * {@link #tileGather} of a full mr x nr tile that starts row r from {@code bias[biasOff + r]} (0
   * when bias is null) instead of from C, then clamps: {@code C = min(max(bias + Apanel * B, lo),
   * hi)}, C not read; no clamp when lo is -inf and hi +inf.
   */
  default void tileGatherBias(
      float[] c,
      int cOff,
      int ldc,
      float[] a,
      int aOff,
      float[] p,
      int[] rows,
      int rOff,
      int pOff,
      int kc,
      float[] bias,
      int biasOff,
      float lo,
      float hi) {
    int mr = mr();
    for (int r = 0; r < mr; r++) {
      int row = cOff + r * ldc;
      java.util.Arrays.fill(c, row, row + nr(), bias == null ? 0f : bias[biasOff + r]);
    }
    tileGather(c, cOff, ldc, a, aOff, p, rows, rOff, pOff, kc, nr(), true);
    if (lo != Float.NEGATIVE_INFINITY || hi != Float.POSITIVE_INFINITY) {
      clamp(c, cOff, ldc, mr, nr(), lo, hi);
    }
  }

  /**
   * The few columns {@code j < n} of an mr-row tile with B read in place as in {@link #tileGather},
   * computed column by column: {@code C[r][j] = sum over kk < kc of a[aOff + kk * mr + r] *
   * p[rows[rOff + kk] + pOff + j]} for every r < mr (C overwritten, nothing read or written past n
   * columns). For the last one to three columns of a plane, where a tile of full or half width
   * would mostly compute padding.
   */
  default void tileNarrow(
      float[] c,
      int cOff,
      int ldc,
      float[] a,
      int aOff,
      float[] p,
      int[] rows,
      int rOff,
      int pOff,
      int kc,
      int n) {
    int mr = mr();
    for (int j = 0; j < n; j++) {
      for (int r = 0; r < mr; r++) {
        float s = 0f;
        for (int kk = 0; kk < kc; kk++) {
          s += a[aOff + kk * mr + r] * p[rows[rOff + kk] + pOff + j];
        }
        c[cOff + r * ldc + j] = s;
      }
    }
  }

  /** True if {@link #tileGather} is as fast as {@link #tile} (then convolutions may use it). */
  default boolean fastGather() {
    return false;
  }

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
