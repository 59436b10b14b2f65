package dev.bnfold.runtime.kernels;

/**
 * Convolution kernels over NCDHW float data (1-D and 2-D as size-1 depth/height). Weights are (M,
 * C/group, kd, kh, kw), bias (M) or null. {@link #reference} is the direct loop every other path is
 * tested against.
 */
public final class Conv {
  private Conv() {}

  /** Reference direct convolution: y (N, M, out...) = conv(x (N, C, in...), w) + b. */
  public static void reference(
      float[] y,
      int yOff,
      float[] x,
      int xOff,
      float[] w,
      int wOff,
      float[] b,
      int bOff,
      ConvGeometry g) {
    int cg = g.c / g.group;
    int mg = g.m / g.group;
    int inPlane = g.inPlane();
    int outPlane = g.outPlane();
    int ks = g.kernelSize();
    for (int n = 0; n < g.n; n++) {
      for (int o = 0; o < g.m; o++) {
        int grp = o / mg;
        float bias = b == null ? 0f : b[bOff + o];
        for (int od = 0; od < g.out[0]; od++) {
          for (int oh = 0; oh < g.out[1]; oh++) {
            for (int ow = 0; ow < g.out[2]; ow++) {
              float sum = bias;
              for (int ci = 0; ci < cg; ci++) {
                int xc = xOff + (n * g.c + grp * cg + ci) * inPlane;
                int wc = wOff + (o * cg + ci) * ks;
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
                    for (int kw = 0; kw < g.k[2]; kw++) {
                      int iw = ow * g.stride[2] - g.padBegin[2] + kw * g.dilation[2];
                      if (iw < 0 || iw >= g.in[2]) {
                        continue;
                      }
                      sum +=
                          x[xc + (id * g.in[1] + ih) * g.in[2] + iw]
                              * w[wc + (kd * g.k[1] + kh) * g.k[2] + kw];
                    }
                  }
                }
              }
              y[yOff + (n * g.m + o) * outPlane + (od * g.out[1] + oh) * g.out[2] + ow] = sum;
            }
          }
        }
      }
    }
  }

  /** Columns per im2col block of the GEMM path (a multiple of every nr in use). */
  public static final int NC = 256;

  /** Floats of pre-packed weights for {@link #gemmPath}: one packed A matrix per group. */
  public static int packedWeightSize(ConvGeometry g, int mr) {
    int k = g.c / g.group * g.kernelSize();
    return Math.multiplyExact(g.group, Gemm.packedASize(g.m / g.group, k, mr));
  }

  /** Packs weights (M, C/g, k...) into per-group A panels for {@link #gemmPath}. */
  public static void packWeights(float[] dst, float[] w, int wOff, ConvGeometry g, int mr) {
    int mg = g.m / g.group;
    int k = g.c / g.group * g.kernelSize();
    int per = Gemm.packedASize(mg, k, mr);
    for (int grp = 0; grp < g.group; grp++) {
      Gemm.packA(dst, grp * per, w, wOff + grp * mg * k, k, false, mg, k, mr);
    }
  }

  /** Scratch floats needed by {@link #gemmPath}. */
  public static int scratchSize(ConvGeometry g, int nr) {
    int k = g.c / g.group * g.kernelSize();
    return Math.multiplyExact(k, Math.min(NC, Gemm.panels(g.outPlane(), nr) * nr));
  }

  /**
   * Convolution as packed GEMM: per image and group, Y_g (M/g, P) = W_g (M/g, K) * cols (K, P) with
   * K = C/g * taps, P = output plane; columns are built block by block straight into packed B
   * panels (im2col), or packed from the input directly for a pointwise conv. Bias is added
   * afterwards ({@code b} may be null). Needs {@link #scratchSize} floats of scratch.
   */
  public static void gemmPath(
      GemmMicroKernel kern,
      float[] y,
      int yOff,
      float[] x,
      int xOff,
      float[] packedW,
      float[] b,
      int bOff,
      ConvGeometry g,
      float[] scratch) {
    gemmPathJobs(kern, y, yOff, x, xOff, packedW, b, bOff, g, scratch, 0, 0, gemmJobs(g));
  }

  /** Independent jobs of {@link #gemmPath}: (image, group, column block) triples. */
  public static int gemmJobs(ConvGeometry g) {
    int blocks = (g.outPlane() + NC - 1) / NC;
    return Math.multiplyExact(Math.multiplyExact(g.n, g.group), Math.max(blocks, 0));
  }

  /**
   * Jobs {@code [job0, job1)} of {@link #gemmPath} (see {@link #gemmJobs}); each job writes its own
   * output columns, so ranges can run on different threads given separate scratch regions ({@link
   * #scratchSize} floats at {@code sOff}).
   */
  public static void gemmPathJobs(
      GemmMicroKernel kern,
      float[] y,
      int yOff,
      float[] x,
      int xOff,
      float[] packedW,
      float[] b,
      int bOff,
      ConvGeometry g,
      float[] scratch,
      int sOff,
      int job0,
      int job1) {
    int nr = kern.nr();
    int cg = g.c / g.group;
    int mg = g.m / g.group;
    int k = cg * g.kernelSize();
    int p = g.outPlane();
    int inPlane = g.inPlane();
    int per = Gemm.packedASize(mg, k, kern.mr());
    boolean pointwise = g.isPointwise();
    int blocks = (p + NC - 1) / NC;
    for (int job = job0; job < job1; job++) {
      int block = job % blocks;
      int grp = (job / blocks) % g.group;
      int n = job / blocks / g.group;
      int xg = xOff + (n * g.c + grp * cg) * inPlane;
      int yg = yOff + (n * g.m + grp * mg) * p;
      int c0 = block * NC;
      int nc = Math.min(NC, p - c0);
      if (pointwise) {
        Gemm.packB(scratch, sOff, x, xg + c0, inPlane, false, k, nc, nr);
      } else {
        im2colPacked(scratch, sOff, x, xg, cg, g, c0, nc, nr);
      }
      Gemm.multiplyPacked(
          kern,
          y,
          yg + c0,
          p,
          packedW,
          grp * per,
          scratch,
          sOff,
          mg,
          nc,
          k,
          false,
          0,
          Gemm.panels(nc, nr));
      if (b != null) {
        for (int o = 0; o < mg; o++) {
          float bias = b[bOff + grp * mg + o];
          int base = yg + o * p + c0;
          for (int i = 0; i < nc; i++) {
            y[base + i] += bias;
          }
        }
      }
    }
  }

  /**
   * Writes columns {@code [c0, c0+nc)} of the im2col matrix (K = cg*taps rows) of one image/group
   * into packed B panels of width nr: {@code dst[q*nr*K + kk*nr + j]}; out-of-image taps are 0.
   */
  static void im2colPacked(
      float[] dst, int dOff, float[] x, int xg, int cg, ConvGeometry g, int c0, int nc, int nr) {
    int k = cg * g.kernelSize();
    int inPlane = g.inPlane();
    int oh1 = g.out[1];
    int ow1 = g.out[2];
    int panels = Gemm.panels(nc, nr);
    int kk = 0;
    for (int ci = 0; ci < cg; ci++) {
      int xc = xg + ci * inPlane;
      for (int kd = 0; kd < g.k[0]; kd++) {
        for (int kh = 0; kh < g.k[1]; kh++) {
          for (int kw = 0; kw < g.k[2]; kw++, kk++) {
            int col = c0;
            int od = col / (oh1 * ow1);
            int rem = col - od * oh1 * ow1;
            int oh = rem / ow1;
            int ow = rem - oh * ow1;
            for (int j = 0; j < panels * nr; j++) {
              float v = 0f;
              if (j < nc) {
                int id = od * g.stride[0] - g.padBegin[0] + kd * g.dilation[0];
                int ih = oh * g.stride[1] - g.padBegin[1] + kh * g.dilation[1];
                int iw = ow * g.stride[2] - g.padBegin[2] + kw * g.dilation[2];
                if (id >= 0 && id < g.in[0] && ih >= 0 && ih < g.in[1] && iw >= 0 && iw < g.in[2]) {
                  v = x[xc + (id * g.in[1] + ih) * g.in[2] + iw];
                }
                if (++ow == ow1) {
                  ow = 0;
                  if (++oh == oh1) {
                    oh = 0;
                    od++;
                  }
                }
              }
              dst[dOff + (j / nr) * nr * k + kk * nr + (j % nr)] = v;
            }
          }
        }
      }
    }
  }

  /** True if {@link #depthwise} applies: one input channel per group (C == group). */
  public static boolean isDepthwise(ConvGeometry g) {
    return g.group == g.c && g.group > 1 && g.k[0] == 1 && g.in[0] == 1;
  }

  /**
   * Direct depthwise 2-D convolution (C == group, M = C * multiplier, kd = 1): each output channel
   * o reads input channel o / multiplier. Row-wise: for every tap (kh, kw) the output row gets
   * {@code w * x-row} added over the range of columns whose input is inside the image, so the inner
   * loop has no bounds checks and, at stride 1, is a contiguous axpy that C2 vectorises.
   */
  public static void depthwise(
      float[] y,
      int yOff,
      float[] x,
      int xOff,
      float[] w,
      int wOff,
      float[] b,
      int bOff,
      ConvGeometry g) {
    depthwise(y, yOff, x, xOff, w, wOff, b, bOff, g, 0, g.n * g.m);
  }

  /** {@link #depthwise} for (image, output channel) planes {@code [plane0, plane1)} only. */
  public static void depthwise(
      float[] y,
      int yOff,
      float[] x,
      int xOff,
      float[] w,
      int wOff,
      float[] b,
      int bOff,
      ConvGeometry g,
      int plane0,
      int plane1) {
    int mult = g.m / g.c;
    int ih1 = g.in[1];
    int iw1 = g.in[2];
    int oh1 = g.out[1];
    int ow1 = g.out[2];
    int kh1 = g.k[1];
    int kw1 = g.k[2];
    int sh = g.stride[1];
    int sw = g.stride[2];
    int dh = g.dilation[1];
    int dw = g.dilation[2];
    int ph = g.padBegin[1];
    int pw = g.padBegin[2];
    for (int plane = plane0; plane < plane1; plane++) {
      int n = plane / g.m;
      int o = plane % g.m;
      {
        int xc = xOff + (n * g.c + o / mult) * ih1 * iw1;
        int wc = wOff + o * kh1 * kw1;
        int yc = yOff + (n * g.m + o) * oh1 * ow1;
        float bias = b == null ? 0f : b[bOff + o];
        for (int oh = 0; oh < oh1; oh++) {
          int yr = yc + oh * ow1;
          java.util.Arrays.fill(y, yr, yr + ow1, bias);
          for (int kh = 0; kh < kh1; kh++) {
            int ih = oh * sh - ph + kh * dh;
            if (ih < 0 || ih >= ih1) {
              continue;
            }
            int xr = xc + ih * iw1;
            for (int kw = 0; kw < kw1; kw++) {
              float wv = w[wc + kh * kw1 + kw];
              int shift = kw * dw - pw; // input column = ow * sw + shift
              int lo = shift >= 0 ? 0 : Math.min(ow1, (-shift + sw - 1) / sw);
              int last = iw1 - 1 - shift; // inside while ow * sw <= last
              int hi = last < 0 ? lo : Math.max(lo, Math.min(ow1, last / sw + 1));
              int xs = xr + shift;
              if (sw == 1) {
                for (int ow = lo; ow < hi; ow++) {
                  y[yr + ow] += wv * x[xs + ow];
                }
              } else {
                for (int ow = lo; ow < hi; ow++) {
                  y[yr + ow] += wv * x[xs + ow * sw];
                }
              }
            }
          }
        }
      }
    }
  }
}
