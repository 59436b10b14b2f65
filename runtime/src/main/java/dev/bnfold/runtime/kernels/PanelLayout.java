package dev.bnfold.runtime.kernels;

import java.util.Arrays;

/**
 * A weight tensor stored as the row panels the GEMM micro-kernels read (the layout of {@link
 * Gemm#packA}), so that a model file can hold weights ready to run and loading is one bulk copy.
 * This class is the one definition of that layout: {@link Conv#packWeights} is {@code rows(group,
 * mr)} of a convolution's weights (M, C/group, k...), and {@link Gemm#packB} of a constant B is
 * {@code rows(1, nr)} of B (N, K) when transB, else {@code transposedRows(nr)} of B (K, N).
 *
 * <p>Layout, for a tensor T of shape (d0, d1, ..., d_{r-1}):
 *
 * <ul>
 *   <li>not transposed: T is split into {@code groups} matrices A_g of R = d0 / groups rows and K =
 *       d1 * ... * d_{r-1} columns, A_g[i, kk] = T viewed as (d0, K) at row g * R + i;
 *   <li>transposed (rank 2, one group): A = T^T, R = d1 rows, K = d0 columns, A[i, kk] = T[kk, i].
 * </ul>
 *
 * Each A_g becomes P = ceil(R / width) panels of width rows, k-major, rows interleaved and
 * zero-padded past R: {@code packed[(g * P + p) * width * K + kk * width + r] = A_g[p * width + r,
 * kk]}, so a layout holds {@code groups * P * width * K} floats.
 */
public final class PanelLayout {
  /** Largest panel width a layout may have (the micro-kernels use 4 to 32). */
  public static final int MAX_WIDTH = 256;

  private final int groups;
  private final int width;
  private final boolean transposed;

  private PanelLayout(int groups, int width, boolean transposed) {
    if (groups < 1 || width < 1 || width > MAX_WIDTH || (transposed && groups != 1)) {
      throw new IllegalArgumentException(
          "panel layout: groups " + groups + ", width " + width + ", transposed " + transposed);
    }
    this.groups = groups;
    this.width = width;
    this.transposed = transposed;
  }

  /** Rows of T, split into {@code groups} matrices, in panels of {@code width} rows. */
  public static PanelLayout rows(int groups, int width) {
    return new PanelLayout(groups, width, false);
  }

  /** Rows of T^T (T of rank 2), in panels of {@code width} rows. */
  public static PanelLayout transposedRows(int width) {
    return new PanelLayout(1, width, true);
  }

  /**
   * A layout from its stored fields, or null if they are out of range.
   *
   * @param groups at least 1; 1 if transposed
   * @param width 1 to {@link #MAX_WIDTH}
   */
  public static PanelLayout of(long groups, long width, boolean transposed) {
    if (groups < 1
        || groups > Integer.MAX_VALUE
        || width < 1
        || width > MAX_WIDTH
        || (transposed && groups != 1)) {
      return null;
    }
    return new PanelLayout((int) groups, (int) width, transposed);
  }

  /** The number of matrices T is split into. */
  public int groups() {
    return groups;
  }

  /** Rows per panel (the micro-kernel's mr for A, nr for B). */
  public int width() {
    return width;
  }

  /** True if the panels hold rows of T^T. */
  public boolean transposed() {
    return transposed;
  }

  /** Why this layout cannot hold a tensor of {@code shape}, or null if it can. */
  public String misfit(long[] shape) {
    if (transposed ? shape.length != 2 : shape.length < 1) {
      return "a "
          + (transposed ? "transposed panel layout needs rank 2" : "panel layout needs rank >= 1")
          + ", shape is "
          + Arrays.toString(shape);
    }
    if (shape[0] % groups != 0) {
      return "dimension 0 of shape " + Arrays.toString(shape) + " is not a multiple of " + groups;
    }
    return null;
  }

  /** {@link #misfit(long[])} for an int shape. */
  public String misfit(int[] shape) {
    return misfit(toLong(shape));
  }

  /** Rows R of each matrix A_g; {@code shape} must fit (see {@link #misfit}). */
  private long rowsOf(long[] shape) {
    return transposed ? shape[1] : shape[0] / groups;
  }

  /** Columns K of each matrix A_g. */
  private static long depthOf(long[] shape, boolean transposed) {
    if (transposed) {
      return shape[0];
    }
    long k = 1;
    for (int i = 1; i < shape.length; i++) {
      k *= shape[i];
    }
    return k;
  }

  /**
   * Floats of a packed tensor of {@code shape} (which must fit and have at most 2^31 elements):
   * {@code groups * ceil(R / width) * width * K}, at most {@code (MAX_WIDTH + 1)} times the element
   * count, so it never overflows a long.
   */
  public long packedSize(long[] shape) {
    long r = rowsOf(shape);
    long k = depthOf(shape, transposed);
    return groups * ((r + width - 1) / width * width) * k;
  }

  /** {@link #packedSize(long[])} for an int shape. */
  public long packedSize(int[] shape) {
    return packedSize(toLong(shape));
  }

  /**
   * Packs {@code src} (T in row-major order, {@code shape}) into {@code dst} ({@link #packedSize}
   * floats).
   */
  public void pack(float[] dst, float[] src, long[] shape) {
    int r = (int) rowsOf(shape);
    int k = (int) depthOf(shape, transposed);
    int per = Gemm.packedASize(r, k, width);
    for (int g = 0; g < groups; g++) {
      // not transposed: A_g starts at row g * r of T (K columns); transposed: A = T^T, lda = d1
      Gemm.packA(dst, g * per, src, g * r * k, transposed ? r : k, transposed, r, k, width);
    }
  }

  /** Packs an int-shaped tensor; see {@link #pack(float[], float[], long[])}. */
  public void pack(float[] dst, float[] src, int[] shape) {
    pack(dst, src, toLong(shape));
  }

  /** The inverse of {@link #pack}: {@code dst} gets T in row-major order (padding is dropped). */
  public void unpack(float[] dst, float[] src, long[] shape) {
    int r = (int) rowsOf(shape);
    int k = (int) depthOf(shape, transposed);
    int per = Gemm.packedASize(r, k, width);
    for (int g = 0; g < groups; g++) {
      for (int i = 0; i < r; i++) {
        int s = g * per + i / width * width * k + i % width;
        if (transposed) {
          for (int kk = 0; kk < k; kk++) {
            dst[kk * r + i] = src[s + kk * width];
          }
        } else {
          int d = (g * r + i) * k;
          for (int kk = 0; kk < k; kk++) {
            dst[d + kk] = src[s + kk * width];
          }
        }
      }
    }
  }

  /**
   * Packs {@code src}, a tensor of {@code shape} stored in this layout, into {@code dst} in layout
   * {@code to} ({@code to.packedSize(shape)} floats): the same as {@link #unpack} then {@code
   * to.pack}, without the row-major copy when only the panel width differs (a file written for
   * another kernel).
   */
  public void repack(float[] dst, PanelLayout to, float[] src, long[] shape) {
    if (to.groups != groups || to.transposed != transposed) {
      float[] rowMajor =
          new float[Math.toIntExact(rowsOf(shape) * groups * depthOf(shape, transposed))];
      unpack(rowMajor, src, shape);
      to.pack(dst, rowMajor, shape);
      return;
    }
    int r = (int) rowsOf(shape);
    int k = (int) depthOf(shape, transposed);
    int per = Gemm.packedASize(r, k, width);
    int wt = to.width;
    int perTo = Gemm.packedASize(r, k, wt);
    int padded = (r + wt - 1) / wt * wt;
    for (int g = 0; g < groups; g++) {
      for (int i = 0; i < padded; i++) { // row i of A_g: stride width in src, wt in dst
        int d = g * perTo + i / wt * wt * k + i % wt;
        if (i >= r) {
          for (int kk = 0; kk < k; kk++) {
            dst[d + kk * wt] = 0f;
          }
          continue;
        }
        int sr = g * per + i / width * width * k + i % width;
        for (int kk = 0; kk < k; kk++) {
          dst[d + kk * wt] = src[sr + kk * width];
        }
      }
    }
  }

  /** {@link #repack(float[], PanelLayout, float[], long[])} for an int shape. */
  public void repack(float[] dst, PanelLayout to, float[] src, int[] shape) {
    repack(dst, to, src, toLong(shape));
  }

  private static long[] toLong(int[] shape) {
    long[] s = new long[shape.length];
    for (int i = 0; i < s.length; i++) {
      s[i] = shape[i];
    }
    return s;
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof PanelLayout
        && ((PanelLayout) o).groups == groups
        && ((PanelLayout) o).width == width
        && ((PanelLayout) o).transposed == transposed;
  }

  @Override
  public int hashCode() {
    return (groups * 31 + width) * 2 + (transposed ? 1 : 0);
  }

  @Override
  public String toString() {
    return (transposed ? "panels(T^T, width " : "panels(groups " + groups + ", width ")
        + width
        + ")";
  }
}
