package dev.bnfold.runtime.kernels;

/**
 * Pooling kernels over NCDHW float data (1-D and 2-D as size-1 depth/height); {@code g.m == g.c}.
 */
public final class Pool {
  private Pool() {}

  /**
   * y (N, C, out...) = max over each dilated window of x (N, C, in...); padding is ignored (a
   * window with no input position gives -inf). NaN propagates.
   *
   * <p>Row-wise: each output row starts at -inf and every tap (kd, kh, kw) takes the max with its
   * input row over the range of columns whose input is inside the image, so the inner loop has no
   * bounds checks. {@link #maxReference} is the per-output loop it is tested against.
   */
  public static void max(float[] y, int yOff, float[] x, int xOff, ConvGeometry g) {
    if (isMax2x2(g)) {
      max2x2(y, yOff, x, xOff, g);
      return;
    }
    int inPlane = g.inPlane();
    int outPlane = g.outPlane();
    int ow1 = g.out[2];
    int iw1 = g.in[2];
    int sw = g.stride[2];
    // per kw: the range of output columns whose input column is inside the row (no divisions in
    // the loops below: computing it per row and tap cost ResNet-18's 3x3 pool a quarter of its
    // time)
    int[] los = new int[g.k[2]];
    int[] his = new int[g.k[2]];
    for (int kw = 0; kw < g.k[2]; kw++) {
      int shift = kw * g.dilation[2] - g.padBegin[2]; // input column = ow * sw + shift
      los[kw] = shift >= 0 ? 0 : Math.min(ow1, (-shift + sw - 1) / sw);
      int last = iw1 - 1 - shift;
      his[kw] = last < 0 ? los[kw] : Math.max(los[kw], Math.min(ow1, last / sw + 1));
    }
    for (int nc = 0; nc < g.n * g.c; nc++) {
      int xc = xOff + nc * inPlane;
      int yc = yOff + nc * outPlane;
      for (int od = 0; od < g.out[0]; od++) {
        for (int oh = 0; oh < g.out[1]; oh++) {
          int yr = yc + (od * g.out[1] + oh) * ow1;
          java.util.Arrays.fill(y, yr, yr + ow1, Float.NEGATIVE_INFINITY);
          for (int kd = 0; kd < g.k[0]; kd++) {
            int id = od * g.stride[0] - g.padBegin[0] + kd * g.dilation[0];
            if (id < 0 || id >= g.in[0]) {
              continue;
            }
            for (int kh = 0; kh < g.k[1]; kh++) {
              int ih = oh * g.stride[1] - g.padBegin[1] + kh * g.dilation[1];
              if (ih < 0 || ih >= g.in[1]) {
                continue;
              }
              int xr = xc + (id * g.in[1] + ih) * iw1;
              for (int kw = 0; kw < g.k[2]; kw++) {
                int lo = los[kw];
                int hi = his[kw];
                int xs = xr + kw * g.dilation[2] - g.padBegin[2];
                for (int ow = lo; ow < hi; ow++) {
                  y[yr + ow] = Math.max(y[yr + ow], x[xs + ow * sw]);
                }
              }
            }
          }
        }
      }
    }
  }

  /**
   * True if {@link #maxSeparable} applies: a 1-D or 2-D window without dilation (any size, stride
   * and padding).
   */
  public static boolean isSeparable(ConvGeometry g) {
    return g.in[0] == 1 && g.k[0] == 1 && g.dilation[1] == 1 && g.dilation[2] == 1;
  }

  /**
   * Scratch floats {@link #maxSeparable} needs: a padded input row (and one float of slack), then a
   * row of window maxima or, at column stride 2, the row's even and odd halves.
   */
  public static int separableScratch(ConvGeometry g) {
    int width = paddedRow(g);
    return width + 1 + Math.max((g.out[2] - 1) * g.stride[2] + 1, 2 * ((width + 1) / 2));
  }

  private static int paddedRow(ConvGeometry g) {
    return Math.max(g.padBegin[2] + g.in[2], (g.out[2] - 1) * g.stride[2] + g.k[2]);
  }

  /**
   * {@link #max} for {@link #isSeparable} windows, in contiguous passes per output row that {@code
   * k} vectorises: the max over the window's input rows into a padded row {@code p} (-inf in the
   * padding), then {@code m[i] = max(p[i .. i+kw))} for every start i, then {@code y[ow] = m[ow *
   * sw]}. At column stride 2 the padded row is split into its even and odd halves instead ({@link
   * DepthwiseKernel#split2}) and {@code y[ow]} is the max of {@code kw} unit-stride runs of them,
   * so no strided pick is left. A 3x3 stride-2 window costs about 2 + 2*2 vector-lane max per
   * output instead of 9 scalar ones (ShuffleNet's stem pool took 0.9 ms of its 3.9). Same result as
   * {@link #maxReference}, NaN included; {@code s} holds {@link #separableScratch} floats from
   * {@code sOff}.
   */
  public static void maxSeparable(
      float[] y,
      int yOff,
      float[] x,
      int xOff,
      ConvGeometry g,
      float[] s,
      int sOff,
      ElementwiseKernel k,
      DepthwiseKernel split) {
    maxSeparable(y, yOff, x, xOff, g, s, sOff, k, split, 0, g.n * g.c);
  }

  /** {@link #maxSeparable} over the planes (image, channel) {@code [p0, p1)} only. */
  public static void maxSeparable(
      float[] y,
      int yOff,
      float[] x,
      int xOff,
      ConvGeometry g,
      float[] s,
      int sOff,
      ElementwiseKernel k,
      DepthwiseKernel split,
      int p0,
      int p1) {
    int inPlane = g.inPlane();
    int outPlane = g.outPlane();
    int ih1 = g.in[1];
    int iw1 = g.in[2];
    int ow1 = g.out[2];
    int kh = g.k[1];
    int kw = g.k[2];
    int sw = g.stride[2];
    int width = paddedRow(g);
    int mOff = sOff + width + 1; // window maxima, or the even half at stride 2
    int starts = (ow1 - 1) * sw + 1;
    boolean halves = sw == 2 && kw >= 2;
    int pairs = (width + 1) / 2;
    int oOff = mOff + pairs; // the odd half
    java.util.Arrays.fill(s, sOff, sOff + width + 1, Float.NEGATIVE_INFINITY);
    int t0 = sOff + g.padBegin[2]; // scratch position of input column 0
    for (int nc = p0; nc < p1; nc++) {
      int xc = xOff + nc * inPlane;
      int yc = yOff + nc * outPlane;
      for (int oh = 0; oh < g.out[1]; oh++) {
        int h0 = oh * g.stride[1] - g.padBegin[1];
        int lo = Math.max(h0, 0);
        int hi = Math.min(h0 + kh, ih1);
        int yr = yc + oh * ow1;
        if (lo >= hi) {
          java.util.Arrays.fill(y, yr, yr + ow1, Float.NEGATIVE_INFINITY);
          continue;
        }
        if (hi - lo == 1) {
          System.arraycopy(x, xc + lo * iw1, s, t0, iw1);
        } else {
          k.max(s, t0, x, xc + lo * iw1, x, xc + (lo + 1) * iw1, iw1);
          for (int ih = lo + 2; ih < hi; ih++) {
            k.max(s, t0, s, t0, x, xc + ih * iw1, iw1);
          }
        }
        if (halves) { // y[ow] = max over j < kw of row[2 ow + j], j even: E[ow + j/2], odd: O[..]
          split.split2(s, mOff, oOff, s, sOff, pairs);
          k.max(y, yr, s, mOff, s, oOff, ow1);
          for (int j = 2; j < kw; j++) {
            k.max(y, yr, y, yr, s, (j % 2 == 0 ? mOff : oOff) + j / 2, ow1);
          }
          continue;
        }
        if (kw == 1) {
          System.arraycopy(s, sOff, s, mOff, starts);
        } else {
          k.max(s, mOff, s, sOff, s, sOff + 1, starts);
          for (int j = 2; j < kw; j++) {
            k.max(s, mOff, s, mOff, s, sOff + j, starts);
          }
        }
        for (int ow = 0; ow < ow1; ow++) {
          y[yr + ow] = s[mOff + ow * sw];
        }
      }
    }
  }

  /** True if {@link #max2x2} applies: 2-D 2x2 window, stride 2, no padding or dilation. */
  public static boolean isMax2x2(ConvGeometry g) {
    return g.in[0] == 1
        && g.k[0] == 1
        && g.k[1] == 2
        && g.k[2] == 2
        && g.stride[1] == 2
        && g.stride[2] == 2
        && g.dilation[1] == 1
        && g.dilation[2] == 1
        && g.padBegin[1] == 0
        && g.padBegin[2] == 0
        && g.out[1] * 2 <= g.in[1]
        && g.out[2] * 2 <= g.in[2];
  }

  /**
   * The common 2x2 stride-2 unpadded max pool: every window is inside the input, so each output is
   * the max of four loads with no per-row range computations (which, with their integer divisions,
   * dominated small planes: 32 planes of 8x8 took 5 us). NaN propagates as in {@link #max}.
   */
  static void max2x2(float[] y, int yOff, float[] x, int xOff, ConvGeometry g) {
    int inPlane = g.inPlane();
    int outPlane = g.outPlane();
    int ow1 = g.out[2];
    int oh1 = g.out[1];
    int iw1 = g.in[2];
    for (int nc = 0; nc < g.n * g.c; nc++) {
      int xc = xOff + nc * inPlane;
      int yc = yOff + nc * outPlane;
      for (int oh = 0; oh < oh1; oh++) {
        int r0 = xc + 2 * oh * iw1;
        int r1 = r0 + iw1;
        int yr = yc + oh * ow1;
        for (int ow = 0; ow < ow1; ow++) {
          float a = max(x[r0 + 2 * ow], x[r0 + 2 * ow + 1]);
          float b = max(x[r1 + 2 * ow], x[r1 + 2 * ow + 1]);
          y[yr + ow] = max(a, b);
        }
      }
    }
  }

  /** The larger of a and b, NaN if either is (cheaper than Math.max, which also orders -0, 0). */
  private static float max(float a, float b) {
    return a >= b || a != a ? a : b;
  }

  /** Reference for {@link #max}: the per-output window loop. */
  public static void maxReference(float[] y, int yOff, float[] x, int xOff, ConvGeometry g) {
    int inPlane = g.inPlane();
    int outPlane = g.outPlane();
    for (int nc = 0; nc < g.n * g.c; nc++) {
      int xc = xOff + nc * inPlane;
      int yc = yOff + nc * outPlane;
      for (int od = 0; od < g.out[0]; od++) {
        for (int oh = 0; oh < g.out[1]; oh++) {
          for (int ow = 0; ow < g.out[2]; ow++) {
            float best = Float.NEGATIVE_INFINITY;
            for (int kd = 0; kd < g.k[0]; kd++) {
              int id = od * g.stride[0] - g.padBegin[0] + kd * g.dilation[0];
              if (id < 0 || id >= g.in[0]) {
                continue;
              }
              for (int kh = 0; kh < g.k[1]; kh++) {
                int ih = oh * g.stride[1] - g.padBegin[1] + kh * g.dilation[1];
                if (ih < 0 || ih >= g.in[1]) {
                  continue;
                }
                int row = xc + (id * g.in[1] + ih) * g.in[2];
                for (int kw = 0; kw < g.k[2]; kw++) {
                  int iw = ow * g.stride[2] - g.padBegin[2] + kw * g.dilation[2];
                  if (iw >= 0 && iw < g.in[2]) {
                    float v = x[row + iw];
                    if (v > best || v != v) {
                      best = v;
                    }
                  }
                }
              }
            }
            y[yc + (od * g.out[1] + oh) * g.out[2] + ow] = best;
          }
        }
      }
    }
  }

  /**
   * y (N, C, out...) = mean over each window of x (N, C, in...). With {@code countIncludePad} the
   * divisor counts padded positions up to the end padding ({@code padEnd}, per axis), as ONNX
   * Runtime does; otherwise only positions inside the input.
   */
  public static void average(
      float[] y,
      int yOff,
      float[] x,
      int xOff,
      ConvGeometry g,
      int[] padEnd,
      boolean countIncludePad) {
    int inPlane = g.inPlane();
    int outPlane = g.outPlane();
    for (int nc = 0; nc < g.n * g.c; nc++) {
      int xc = xOff + nc * inPlane;
      int yc = yOff + nc * outPlane;
      for (int od = 0; od < g.out[0]; od++) {
        int d0 = od * g.stride[0] - g.padBegin[0];
        int d1 = Math.min(d0 + g.k[0], g.in[0] + padEnd[0]);
        for (int oh = 0; oh < g.out[1]; oh++) {
          int h0 = oh * g.stride[1] - g.padBegin[1];
          int h1 = Math.min(h0 + g.k[1], g.in[1] + padEnd[1]);
          for (int ow = 0; ow < g.out[2]; ow++) {
            int w0 = ow * g.stride[2] - g.padBegin[2];
            int w1 = Math.min(w0 + g.k[2], g.in[2] + padEnd[2]);
            int padded = (d1 - d0) * (h1 - h0) * (w1 - w0);
            float sum = 0;
            int count = 0;
            for (int id = Math.max(d0, 0); id < Math.min(d1, g.in[0]); id++) {
              for (int ih = Math.max(h0, 0); ih < Math.min(h1, g.in[1]); ih++) {
                int row = xc + (id * g.in[1] + ih) * g.in[2];
                for (int iw = Math.max(w0, 0); iw < Math.min(w1, g.in[2]); iw++) {
                  sum += x[row + iw];
                  count++;
                }
              }
            }
            int div = countIncludePad ? padded : count;
            y[yc + (od * g.out[1] + oh) * g.out[2] + ow] = div == 0 ? 0f : sum / div;
          }
        }
      }
    }
  }
}
