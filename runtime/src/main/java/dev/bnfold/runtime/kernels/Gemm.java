package dev.bnfold.runtime.kernels;

/**
 * Matrix multiply kernels. {@link #reference} is the plain triple loop every other path is tested
 * against; {@link #packA}, {@link #packB} and {@link #multiplyPacked} are the blocked path driven
 * by a {@link GemmMicroKernel}. All matrices are row-major {@code float[]} with explicit offsets
 * and leading dimensions; outputs come first.
 */
public final class Gemm {
  /** k-block length: a k-block of one B panel (KC x nr floats) stays in L1/L2. */
  public static final int KC = 256;

  private Gemm() {}

  /**
   * Reference {@code C = alpha * op(A) * op(B) + beta * C}.
   *
   * <p>Layout: C (m, n) leading dim ldc; op(A) (m, k): A stored (m, k) or, transposed, (k, m) with
   * leading dim lda; op(B) (k, n): B stored (k, n) or (n, k) with leading dim ldb. When beta is 0,
   * C is not read (NaNs in it do not propagate).
   */
  public static void reference(
      float[] c,
      int cOff,
      int ldc,
      float[] a,
      int aOff,
      int lda,
      boolean transA,
      float[] b,
      int bOff,
      int ldb,
      boolean transB,
      int m,
      int n,
      int k,
      float alpha,
      float beta) {
    for (int i = 0; i < m; i++) {
      for (int j = 0; j < n; j++) {
        float sum = 0;
        for (int p = 0; p < k; p++) {
          float av = transA ? a[aOff + p * lda + i] : a[aOff + i * lda + p];
          float bv = transB ? b[bOff + j * ldb + p] : b[bOff + p * ldb + j];
          sum += av * bv;
        }
        int ci = cOff + i * ldc + j;
        c[ci] = beta == 0 ? alpha * sum : alpha * sum + beta * c[ci];
      }
    }
  }

  /** Floats needed by {@link #packA} for an (m, k) matrix with panels of mr rows. */
  public static int packedASize(int m, int k, int mr) {
    return Math.multiplyExact((m + mr - 1) / mr * mr, k);
  }

  /** Floats needed by {@link #packB} for a (k, n) matrix with panels of nr columns. */
  public static int packedBSize(int k, int n, int nr) {
    return Math.multiplyExact((n + nr - 1) / nr * nr, k);
  }

  /**
   * Packs op(A) (m, k) into row panels: panel p holds rows {@code p*mr ..}, k-major, rows
   * interleaved: {@code dst[dOff + p*mr*k + kk*mr + r] = op(A)[p*mr + r, kk]}, zero-padded.
   */
  public static void packA(
      float[] dst, int dOff, float[] a, int aOff, int lda, boolean transA, int m, int k, int mr) {
    for (int p = 0; p * mr < m; p++) {
      int base = dOff + p * mr * k;
      for (int r = 0; r < mr; r++) {
        int i = p * mr + r;
        if (i >= m) {
          for (int kk = 0; kk < k; kk++) {
            dst[base + kk * mr + r] = 0;
          }
        } else if (transA) {
          for (int kk = 0; kk < k; kk++) {
            dst[base + kk * mr + r] = a[aOff + kk * lda + i];
          }
        } else {
          int row = aOff + i * lda;
          for (int kk = 0; kk < k; kk++) {
            dst[base + kk * mr + r] = a[row + kk];
          }
        }
      }
    }
  }

  /**
   * Packs op(B) (k, n) into column panels: panel q holds columns {@code q*nr ..}, k-major: {@code
   * dst[dOff + q*nr*k + kk*nr + j] = op(B)[kk, q*nr + j]}, zero-padded.
   */
  public static void packB(
      float[] dst, int dOff, float[] b, int bOff, int ldb, boolean transB, int k, int n, int nr) {
    for (int q = 0; q * nr < n; q++) {
      int base = dOff + q * nr * k;
      int cols = Math.min(nr, n - q * nr);
      for (int kk = 0; kk < k; kk++) {
        int d = base + kk * nr;
        if (transB) {
          for (int j = 0; j < cols; j++) {
            dst[d + j] = b[bOff + (q * nr + j) * ldb + kk];
          }
        } else {
          System.arraycopy(b, bOff + kk * ldb + q * nr, dst, d, cols);
        }
        for (int j = cols; j < nr; j++) {
          dst[d + j] = 0;
        }
      }
    }
  }

  /**
   * {@code C (m, n) = PA * PB} (or {@code +=} when accumulate) from panels packed by {@link #packA}
   * and {@link #packB} with the kernel's mr and nr. Only panels {@code [q0, q1)} of B are computed,
   * so that callers can split columns across threads.
   */
  public static void multiplyPacked(
      GemmMicroKernel kernel,
      float[] c,
      int cOff,
      int ldc,
      float[] pa,
      int paOff,
      float[] pb,
      int pbOff,
      int m,
      int n,
      int k,
      boolean accumulate,
      int q0,
      int q1) {
    multiplyPacked(
        kernel,
        c,
        cOff,
        ldc,
        pa,
        paOff,
        pb,
        pbOff,
        m,
        n,
        k,
        accumulate,
        q0,
        q1,
        Float.NEGATIVE_INFINITY,
        Float.POSITIVE_INFINITY);
  }

  /**
   * {@link #multiplyPacked} that also clamps each finished tile to {@code [lo, hi]} ({@link
   * GemmMicroKernel#clamp}) right after its last k-block is stored; no clamp when lo is -inf and hi
   * is +inf.
   */
  public static void multiplyPacked(
      GemmMicroKernel kernel,
      float[] c,
      int cOff,
      int ldc,
      float[] pa,
      int paOff,
      float[] pb,
      int pbOff,
      int m,
      int n,
      int k,
      boolean accumulate,
      int q0,
      int q1,
      float lo,
      float hi) {
    multiplyPacked(
        kernel, c, cOff, ldc, pa, paOff, pb, pbOff, m, n, k, accumulate, null, 0, q0, q1, lo, hi);
  }

  /**
   * {@link #multiplyPacked} with a per-row bias: unless accumulating, row i of C starts from {@code
   * bias[biasOff + i]} ({@link GemmMicroKernel#tileBias}; bias may be null for 0), so C is not
   * filled beforehand.
   */
  public static void multiplyPacked(
      GemmMicroKernel kernel,
      float[] c,
      int cOff,
      int ldc,
      float[] pa,
      int paOff,
      float[] pb,
      int pbOff,
      int m,
      int n,
      int k,
      boolean accumulate,
      float[] bias,
      int biasOff,
      int q0,
      int q1,
      float lo,
      float hi) {
    int mr = kernel.mr();
    int nr = kernel.nr();
    boolean clamp = lo != Float.NEGATIVE_INFINITY || hi != Float.POSITIVE_INFINITY;
    if (k == 0) {
      if (!accumulate) {
        for (int i = 0; i < m; i++) {
          java.util.Arrays.fill(
              c,
              cOff + i * ldc + q0 * nr,
              cOff + i * ldc + Math.min(n, q1 * nr),
              bias == null ? 0f : bias[biasOff + i]);
        }
      }
      if (clamp && n > q0 * nr) {
        kernel.clamp(c, cOff + q0 * nr, ldc, m, Math.min(n, q1 * nr) - q0 * nr, lo, hi);
      }
      return;
    }
    for (int k0 = 0; k0 < k; k0 += KC) {
      int kc = Math.min(KC, k - k0);
      boolean acc = accumulate || k0 > 0;
      for (int q = q0; q < q1; q++) {
        int bp = pbOff + q * nr * k + k0 * nr;
        int cols = Math.min(nr, n - q * nr);
        for (int p = 0; p * mr < m; p++) {
          int rows = Math.min(mr, m - p * mr);
          if (acc || bias == null) {
            kernel.tile(
                c,
                cOff + p * mr * ldc + q * nr,
                ldc,
                pa,
                paOff + p * mr * k + k0 * mr,
                pb,
                bp,
                kc,
                rows,
                cols,
                acc);
          } else {
            kernel.tileBias(
                c,
                cOff + p * mr * ldc + q * nr,
                ldc,
                pa,
                paOff + p * mr * k + k0 * mr,
                pb,
                bp,
                kc,
                rows,
                cols,
                bias,
                biasOff + p * mr);
          }
          if (clamp && k0 + kc == k) {
            kernel.clamp(c, cOff + p * mr * ldc + q * nr, ldc, rows, cols, lo, hi);
          }
        }
      }
    }
  }

  /**
   * {@code C (1, n) = a (1, k) * PB} for a single row: A is read in place (contiguous, unpacked)
   * and each B panel {@code [q0, q1)} goes through {@link GemmMicroKernel#row}, so neither the
   * mr-row packing of A (mostly zero padding) nor the edge-tile copies of the micro-kernel are paid
   * for a batch-1 fully connected layer.
   */
  public static void multiplyRow(
      GemmMicroKernel kernel,
      float[] c,
      int cOff,
      float[] a,
      int aOff,
      float[] pb,
      int pbOff,
      int n,
      int k,
      int q0,
      int q1) {
    int nr = kernel.nr();
    for (int q = q0; q < q1; q++) {
      kernel.row(c, cOff + q * nr, a, aOff, pb, pbOff + q * nr * k, k, Math.min(nr, n - q * nr));
    }
  }

  /** Number of B panels for n columns. */
  public static int panels(int n, int nr) {
    return (n + nr - 1) / nr;
  }
}
