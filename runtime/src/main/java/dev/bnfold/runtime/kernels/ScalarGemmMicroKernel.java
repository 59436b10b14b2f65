package dev.bnfold.runtime.kernels;

/** Plain-Java 4x8 micro-kernel over packed panels; works on any JVM, Android included. */
public final class ScalarGemmMicroKernel implements GemmMicroKernel {
  /** Creates the kernel. */
  public ScalarGemmMicroKernel() {}

  @Override
  public int mr() {
    return 4;
  }

  @Override
  public int nr() {
    return 8;
  }

  @Override
  public String name() {
    return "scalar-4x8";
  }

  @Override
  public void tile(
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
      boolean accumulate) {
    // acc (4, 8): four rows of C, eight columns.
    float c00 = 0, c01 = 0, c02 = 0, c03 = 0, c04 = 0, c05 = 0, c06 = 0, c07 = 0;
    float c10 = 0, c11 = 0, c12 = 0, c13 = 0, c14 = 0, c15 = 0, c16 = 0, c17 = 0;
    float c20 = 0, c21 = 0, c22 = 0, c23 = 0, c24 = 0, c25 = 0, c26 = 0, c27 = 0;
    float c30 = 0, c31 = 0, c32 = 0, c33 = 0, c34 = 0, c35 = 0, c36 = 0, c37 = 0;
    int ai = aOff;
    int bi = bOff;
    for (int k = 0; k < kc; k++, ai += 4, bi += 8) {
      float a0 = a[ai], a1 = a[ai + 1], a2 = a[ai + 2], a3 = a[ai + 3];
      float b0 = b[bi], b1 = b[bi + 1], b2 = b[bi + 2], b3 = b[bi + 3];
      float b4 = b[bi + 4], b5 = b[bi + 5], b6 = b[bi + 6], b7 = b[bi + 7];
      c00 += a0 * b0;
      c01 += a0 * b1;
      c02 += a0 * b2;
      c03 += a0 * b3;
      c04 += a0 * b4;
      c05 += a0 * b5;
      c06 += a0 * b6;
      c07 += a0 * b7;
      c10 += a1 * b0;
      c11 += a1 * b1;
      c12 += a1 * b2;
      c13 += a1 * b3;
      c14 += a1 * b4;
      c15 += a1 * b5;
      c16 += a1 * b6;
      c17 += a1 * b7;
      c20 += a2 * b0;
      c21 += a2 * b1;
      c22 += a2 * b2;
      c23 += a2 * b3;
      c24 += a2 * b4;
      c25 += a2 * b5;
      c26 += a2 * b6;
      c27 += a2 * b7;
      c30 += a3 * b0;
      c31 += a3 * b1;
      c32 += a3 * b2;
      c33 += a3 * b3;
      c34 += a3 * b4;
      c35 += a3 * b5;
      c36 += a3 * b6;
      c37 += a3 * b7;
    }
    store(c, cOff, n, accumulate, c00, c01, c02, c03, c04, c05, c06, c07);
    if (m > 1) {
      store(c, cOff + ldc, n, accumulate, c10, c11, c12, c13, c14, c15, c16, c17);
    }
    if (m > 2) {
      store(c, cOff + 2 * ldc, n, accumulate, c20, c21, c22, c23, c24, c25, c26, c27);
    }
    if (m > 3) {
      store(c, cOff + 3 * ldc, n, accumulate, c30, c31, c32, c33, c34, c35, c36, c37);
    }
  }

  private static void store(
      float[] c,
      int off,
      int n,
      boolean acc,
      float v0,
      float v1,
      float v2,
      float v3,
      float v4,
      float v5,
      float v6,
      float v7) {
    if (n == 8) {
      if (acc) {
        c[off] += v0;
        c[off + 1] += v1;
        c[off + 2] += v2;
        c[off + 3] += v3;
        c[off + 4] += v4;
        c[off + 5] += v5;
        c[off + 6] += v6;
        c[off + 7] += v7;
      } else {
        c[off] = v0;
        c[off + 1] = v1;
        c[off + 2] = v2;
        c[off + 3] = v3;
        c[off + 4] = v4;
        c[off + 5] = v5;
        c[off + 6] = v6;
        c[off + 7] = v7;
      }
      return;
    }
    for (int j = 0; j < n; j++) {
      float v;
      switch (j) {
        case 0:
          v = v0;
          break;
        case 1:
          v = v1;
          break;
        case 2:
          v = v2;
          break;
        case 3:
          v = v3;
          break;
        case 4:
          v = v4;
          break;
        case 5:
          v = v5;
          break;
        case 6:
          v = v6;
          break;
        default:
          v = v7;
      }
      c[off + j] = acc ? c[off + j] + v : v;
    }
  }
}
