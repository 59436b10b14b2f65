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
   * Whether {@link Depthwise} should run 3x3 stride-1 planes of {@code cols} output columns through
   * {@link #rows3x3} rather than the flat {@link #taps} run: true where the kernel's own rows3x3 is
   * the faster one.
   */
  default boolean prefersRows3x3(int cols) {
    return false;
  }

  /**
   * 3x3, stride 1, dilation 1 over a zero-padded plane, row by row straight into the output: {@code
   * y[yOff + r * yPitch + c] = min(max(bias + sum over kh, kw of w[wOff + 3 * kh + kw] * p[pOff +
   * (r + kh) * pPitch + c + kw], lo), hi)} for r in [0, rows), c in [0, cols). Like {@link
   * #rows5x5}, a kernel may compute a row {@code max(cols, V)} wide, writing past narrow rows and
   * reading past the plane. The default sums one kernel row per pass over the output row (three
   * unit-stride loops that superword vectorizes) and is exact.
   */
  default void rows3x3(
      float[] y,
      int yOff,
      int yPitch,
      int rows,
      int cols,
      float[] p,
      int pOff,
      int pPitch,
      float[] w,
      int wOff,
      float bias,
      float lo,
      float hi) {
    float w0 = w[wOff], w1 = w[wOff + 1], w2 = w[wOff + 2];
    float w3 = w[wOff + 3], w4 = w[wOff + 4], w5 = w[wOff + 5];
    float w6 = w[wOff + 6], w7 = w[wOff + 7], w8 = w[wOff + 8];
    for (int r = 0; r < rows; r++) {
      int d = yOff + r * yPitch;
      int q0 = pOff + r * pPitch;
      int q1 = q0 + pPitch;
      int q2 = q1 + pPitch;
      for (int c = 0; c < cols; c++) {
        y[d + c] = bias + w0 * p[q0 + c] + w1 * p[q0 + c + 1] + w2 * p[q0 + c + 2];
      }
      for (int c = 0; c < cols; c++) {
        y[d + c] += w3 * p[q1 + c] + w4 * p[q1 + c + 1] + w5 * p[q1 + c + 2];
      }
      for (int c = 0; c < cols; c++) {
        float s = y[d + c] + w6 * p[q2 + c] + w7 * p[q2 + c + 1] + w8 * p[q2 + c + 2];
        y[d + c] = Math.min(Math.max(s, lo), hi);
      }
    }
  }

  /**
   * Copies a short row into a zero-padded plane: {@code dst[dOff + i] = x[xOff + i]} for i in [0,
   * n), and {@code dst[dOff + n + i] = 0} for i in [0, lanes()): the padding after the row (and
   * whatever follows, which the caller writes later). dst must have that room.
   */
  default void copyPadded(float[] dst, int dOff, float[] x, int xOff, int n) {
    System.arraycopy(x, xOff, dst, dOff, n);
    java.util.Arrays.fill(dst, dOff + n, dOff + n + lanes(), 0f);
  }

  /**
   * Copies a run keeping the positions whose column is in a window: {@code dst[dOff + i] = lo <=
   * col[i] < hi ? x[xOff + i] : 0} for i in [0, n) (a shifted input plane with the columns that
   * left the image zeroed; see GatherConv). Only [0, n) is read and written.
   */
  default void copyMasked(
      float[] dst, int dOff, float[] x, int xOff, float[] col, int n, float lo, float hi) {
    for (int i = 0; i < n; i++) {
      dst[dOff + i] = col[i] >= lo && col[i] < hi ? x[xOff + i] : 0f;
    }
  }

  /** As {@link #prefersRows3x3} for {@link #rows5x5} on planes of {@code rows x cols} outputs. */
  default boolean prefersRows5x5(int rows, int cols) {
    return false;
  }

  /**
   * 5x5, stride 1, dilation 1 over a zero-padded plane, as {@link #rows3x3}. A kernel may compute a
   * row {@code max(cols, V)} wide for some width V of its own (its {@link #lanes}): with {@code
   * cols < V} the extra outputs land after each row, in the next rows (which are written after it)
   * and after the last one, so y must have room for them and the padded plane must have {@code V -
   * cols} readable floats after its last row. The default is exact.
   */
  default void rows5x5(
      float[] y,
      int yOff,
      int yPitch,
      int rows,
      int cols,
      float[] p,
      int pOff,
      int pPitch,
      float[] w,
      int wOff,
      float bias,
      float lo,
      float hi) {
    for (int r = 0; r < rows; r++) {
      int d = yOff + r * yPitch;
      for (int c = 0; c < cols; c++) {
        float s = bias;
        for (int kh = 0; kh < 5; kh++) {
          int q = pOff + (r + kh) * pPitch + c;
          for (int kw = 0; kw < 5; kw++) {
            s += w[wOff + 5 * kh + kw] * p[q + kw];
          }
        }
        y[d + c] = Math.min(Math.max(s, lo), hi);
      }
    }
  }

  /**
   * Whether {@link Depthwise} should run a k x k stride-2 plane of {@code cols} output columns
   * through {@link #stride2}.
   */
  default boolean prefersStride2(int k, int cols) {
    return false;
  }

  /** Floats of scratch {@link #stride2} uses for k x k taps and {@code cols} output columns. */
  default int stride2Scratch(int k, int cols) {
    return 0;
  }

  /**
   * k x k (k odd), stride 2, dilation 1, padding {@code (k - 1) / 2} on every side, over an
   * unpadded input plane of {@code inRows x 2 * cols}: {@code y[yOff + r * cols + c] = min(max(bias
   * + sum over kh, kw of w[wOff + k * kh + kw] * x[xOff + (2r + kh - pad) * 2cols + 2c + kw - pad],
   * lo), hi)} for r in [0, rows), c in [0, cols), reads outside the plane being zero. Uses {@link
   * #stride2Scratch} floats of tmp at tmpOff. The default is the formula.
   */
  default void stride2(
      float[] y,
      int yOff,
      int rows,
      int cols,
      float[] x,
      int xOff,
      int inRows,
      int k,
      float[] w,
      int wOff,
      float bias,
      float lo,
      float hi,
      float[] tmp,
      int tmpOff) {
    int pad = (k - 1) / 2;
    int iw = 2 * cols;
    for (int r = 0; r < rows; r++) {
      for (int c = 0; c < cols; c++) {
        float s = bias;
        for (int kh = 0; kh < k; kh++) {
          int ih = 2 * r + kh - pad;
          if (ih < 0 || ih >= inRows) {
            continue;
          }
          for (int kw = 0; kw < k; kw++) {
            int iw0 = 2 * c + kw - pad;
            if (iw0 >= 0 && iw0 < iw) {
              s += w[wOff + k * kh + kw] * x[xOff + ih * iw + iw0];
            }
          }
        }
        y[yOff + r * cols + c] = Math.min(Math.max(s, lo), hi);
      }
    }
  }

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
