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
    int panels = Math.multiplyExact(k, Math.min(NC, Gemm.panels(g.outPlane(), nr) * nr));
    return Math.addExact(panels, phaseRowsSize(g, nr));
  }

  /**
   * True if im2col first splits the input rows it needs by column phase ({@link #phaseRows}): 2-D
   * convolutions with column stride 2 or more and kernels wider than 1, whose taps are then
   * unit-stride copies instead of strided gathers (ResNet-18's 7x7 stride-2 stem: im2col 1.85 ms of
   * 3.6).
   */
  static boolean usesPhaseRows(ConvGeometry g) {
    // a 1-wide kernel reads each input column once: splitting would only copy twice
    return g.stride[2] > 1 && g.k[2] > 1 && g.in[0] == 1 && g.k[0] == 1 && g.out[0] == 1;
  }

  /** Input rows one column block of {@link #gemmPathJobs} reads, at most. */
  private static int phaseRowCount(ConvGeometry g, int nr) {
    int cols = Math.min(NC, Gemm.panels(g.outPlane(), nr) * nr);
    int outRows = (cols - 1) / g.out[2] + 2;
    return Math.min(g.in[1], (outRows - 1) * g.stride[1] + (g.k[1] - 1) * g.dilation[1] + 1);
  }

  /** Floats of phase-split rows after the im2col panels in the scratch (0 if not used). */
  private static int phaseRowsSize(ConvGeometry g, int nr) {
    if (!usesPhaseRows(g)) {
      return 0;
    }
    return Math.multiplyExact(g.c / g.group, Math.multiplyExact(phaseRowCount(g, nr), g.in[2]));
  }

  /**
   * Copies input rows {@code [ih0, ih1)} of the cg channels at xg into {@code dst[dOff..]}, each
   * row split by column phase: row (ci, ih) starts at {@code dOff + (ci*(ih1-ih0) + ih-ih0) * W},
   * and input column {@code col} goes to {@code phaseStart(col % sw) + col / sw} with phase q
   * starting after the {@code (W - p + sw - 1) / sw} columns of every phase p &lt; q.
   */
  static void phaseRows(
      float[] dst, int dOff, float[] x, int xg, int cg, ConvGeometry g, int ih0, int ih1) {
    int iw1 = g.in[2];
    int sw = g.stride[2];
    int plane = g.inPlane();
    int rows = ih1 - ih0;
    for (int ci = 0; ci < cg; ci++) {
      for (int ih = ih0; ih < ih1; ih++) {
        int src = xg + ci * plane + ih * iw1;
        int d = dOff + (ci * rows + ih - ih0) * iw1;
        for (int q = 0; q < sw; q++) {
          for (int col = q; col < iw1; col += sw) {
            dst[d++] = x[src + col];
          }
        }
      }
    }
  }

  /**
   * Convolution as packed GEMM: per image and group, Y_g (M/g, P) = W_g (M/g, K) * cols (K, P) with
   * K = C/g * taps, P = output plane; columns are built block by block straight into packed B
   * panels (im2col), or packed from the input directly for a pointwise conv. Per column block, the
   * micro-kernel starts each tile from the bias ({@code b} may be null; {@link
   * GemmMicroKernel#tileBias}), and the block gets {@code epilogue} (may be null) while it is still
   * in cache; a clamp epilogue (ReLU, ReLU6) is applied by the micro-kernel to each tile as it is
   * stored instead. (Applying bias and epilogue per nr-wide panel instead measured slower:
   * MobileNetV2 16 ms against 13.5.) Needs {@link #scratchSize} floats of scratch.
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
    gemmPathJobs(
        kern, y, yOff, x, xOff, packedW, b, bOff, null, g, 1, scratch, 0, 0, gemmJobs(g, 1));
  }

  /**
   * Row chunks per column block so that the jobs of {@link #gemmPath} split evenly over {@code
   * threads} when the image has few column blocks (late ResNet layers: 14x14 and 7x7 planes are one
   * block): the fewest chunks that make the job count a multiple of the thread count. Each chunk is
   * a whole number of mr-row panels and repeats its block's im2col, which is why there are no more
   * of them (four chunks of ResNet-18's 256->512 stride-2 conv on two threads did its im2col four
   * times: a 1.16x speed-up).
   */
  public static int rowChunks(ConvGeometry g, int mr, int threads) {
    int blocks = (g.outPlane() + NC - 1) / NC;
    long jobs = (long) g.n * g.group * blocks;
    if (threads <= 1 || jobs >= 2L * threads || jobs % threads == 0 || jobs == 0) {
      return 1;
    }
    long chunks = threads / gcd(jobs, threads);
    int panels = (g.m / g.group + mr - 1) / mr;
    return (int) Math.max(1, Math.min(panels, chunks));
  }

  private static long gcd(long a, long b) {
    return b == 0 ? a : gcd(b, a % b);
  }

  /** Independent jobs of {@link #gemmPathJobs}: (image, group, column block, row chunk). */
  public static int gemmJobs(ConvGeometry g, int rowChunks) {
    int blocks = (g.outPlane() + NC - 1) / NC;
    return Math.multiplyExact(
        Math.multiplyExact(Math.multiplyExact(g.n, g.group), Math.max(blocks, 0)), rowChunks);
  }

  /**
   * Jobs {@code [job0, job1)} of {@link #gemmPath} (see {@link #gemmJobs}); each job writes its own
   * output rows and columns, so ranges can run on different threads given separate scratch regions
   * ({@link #scratchSize} floats at {@code sOff}).
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
      Epilogue epilogue,
      ConvGeometry g,
      int rowChunks,
      float[] scratch,
      int sOff,
      int job0,
      int job1) {
    gemmPathJobs(
        kern, y, yOff, x, xOff, packedW, b, bOff, null, 0, epilogue, g, rowChunks, scratch, sOff,
        job0, job1);
  }

  /**
   * {@link #gemmPathJobs} that also adds {@code addend} (same layout as y, at addOff; may be null)
   * before the epilogue, a fused residual connection: each output block starts as bias + addend
   * instead of the bias, so the addition costs no pass of its own. The addend may be y itself.
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
      float[] addend,
      int addOff,
      Epilogue epilogue,
      ConvGeometry g,
      int rowChunks,
      float[] scratch,
      int sOff,
      int job0,
      int job1) {
    int nr = kern.nr();
    int mr = kern.mr();
    int cg = g.c / g.group;
    int mg = g.m / g.group;
    int k = cg * g.kernelSize();
    int p = g.outPlane();
    int inPlane = g.inPlane();
    int per = Gemm.packedASize(mg, k, mr);
    int rowPanels = (mg + mr - 1) / mr;
    boolean pointwise = g.isPointwise();
    int blocks = (p + NC - 1) / NC;
    int colPanels = Gemm.panels(p, nr);
    float[] clamp = epilogue == null ? null : epilogue.clampBounds(); // applied per register tile
    float lo = clamp == null ? Float.NEGATIVE_INFINITY : clamp[0];
    float hi = clamp == null ? Float.POSITIVE_INFINITY : clamp[1];
    for (int job = job0; job < job1; job++) {
      int chunk = job % rowChunks;
      int block = job / rowChunks % blocks;
      int grp = job / rowChunks / blocks % g.group;
      int n = job / rowChunks / blocks / g.group;
      int xg = xOff + (n * g.c + grp * cg) * inPlane;
      int yg = yOff + (n * g.m + grp * mg) * p;
      // blocks are runs of whole nr-column panels, as equal as panels allow (not NC, NC, ..., rest:
      // 784 columns as 256, 256, 256, 16 left one of two threads a quarter of the work)
      int c0 = (int) ((long) colPanels * block / blocks) * nr;
      int nc = Math.min(p, (int) ((long) colPanels * (block + 1) / blocks) * nr) - c0;
      int r0 = Math.min(mg, rowPanels * chunk / rowChunks * mr);
      int r1 = Math.min(mg, rowPanels * (chunk + 1) / rowChunks * mr);
      if (r0 >= r1) {
        continue;
      }
      if (pointwise) {
        Gemm.packB(scratch, sOff, x, xg + c0, inPlane, false, k, nc, nr);
      } else {
        im2colPacked(
            scratch, sOff, x, xg, cg, g, c0, nc, nr, sOff + k * Math.min(NC, colPanels * nr));
      }
      if (addend != null) { // the block starts as bias + addend, accumulated into
        for (int o = r0; o < r1; o++) {
          int base = yg + o * p + c0;
          float bias = b == null ? 0f : b[bOff + grp * mg + o];
          int a = base - yOff + addOff;
          for (int i = 0; i < nc; i++) {
            y[base + i] = addend[a + i] + bias;
          }
        }
      }
      Gemm.multiplyPacked(
          kern,
          y,
          yg + r0 * p + c0,
          p,
          packedW,
          grp * per + r0 * k,
          scratch,
          sOff,
          r1 - r0,
          nc,
          k,
          addend != null,
          addend == null ? b : null, // else the bias is in the block already
          bOff + grp * mg + r0,
          0,
          Gemm.panels(nc, nr),
          lo,
          hi);
      if (epilogue != null && clamp == null) {
        for (int o = r0; o < r1; o++) {
          epilogue.apply(y, yg + o * p + c0, nc);
        }
      }
    }
  }

  /**
   * Writes columns {@code [c0, c0+nc)} of the im2col matrix (K = cg*taps rows) of one image/group
   * into packed B panels of width nr: {@code dst[q*nr*K + kk*nr + j]}; out-of-image taps are 0.
   * Works in runs of consecutive output columns that stay in one output row and one panel, so the
   * inner loop is a plain copy (stride 1) or a strided gather, with the padding zeroed around it.
   */
  static void im2colPacked(
      float[] dst, int dOff, float[] x, int xg, int cg, ConvGeometry g, int c0, int nc, int nr) {
    im2colPacked(dst, dOff, x, xg, cg, g, c0, nc, nr, -1);
  }

  /**
   * {@link #im2colPacked} that, when {@link #usesPhaseRows} and {@code phaseOff >= 0}, first splits
   * the input rows of the block by column phase into {@code dst[phaseOff..]} ({@link
   * #phaseRowsSize} floats), so that every run is a plain copy.
   */
  static void im2colPacked(
      float[] dst,
      int dOff,
      float[] x,
      int xg,
      int cg,
      ConvGeometry g,
      int c0,
      int nc,
      int nr,
      int phaseOff) {
    if (phaseOff >= 0 && usesPhaseRows(g)) {
      im2colPhased(dst, dOff, x, xg, cg, g, c0, nc, nr, phaseOff);
      return;
    }
    int k = cg * g.kernelSize();
    int inPlane = g.inPlane();
    int in1 = g.in[1];
    int in2 = g.in[2];
    int oh1 = g.out[1];
    int ow1 = g.out[2];
    int sw = g.stride[2];
    int padded = Gemm.panels(nc, nr) * nr;
    int kk = 0;
    for (int ci = 0; ci < cg; ci++) {
      int xc = xg + ci * inPlane;
      for (int kd = 0; kd < g.k[0]; kd++) {
        for (int kh = 0; kh < g.k[1]; kh++) {
          for (int kw = 0; kw < g.k[2]; kw++, kk++) {
            int shift = kw * g.dilation[2] - g.padBegin[2]; // input column = ow * sw + shift
            int od = c0 / (oh1 * ow1);
            int rem = c0 - od * oh1 * ow1;
            int oh = rem / ow1;
            int ow = rem - oh * ow1;
            int j = 0;
            int jp = 0; // j % nr, kept without a division
            while (j < nc) {
              int len = Math.min(Math.min(ow1 - ow, nc - j), nr - jp);
              int d = dOff + (j - jp) * k + kk * nr + jp;
              int id = od * g.stride[0] - g.padBegin[0] + kd * g.dilation[0];
              int ih = oh * g.stride[1] - g.padBegin[1] + kh * g.dilation[1];
              if (id < 0 || id >= g.in[0] || ih < 0 || ih >= in1) {
                zero(dst, d, len);
              } else {
                int xr = xc + (id * in1 + ih) * in2 + shift;
                // columns t in [lo, hi) of the run read inside the row: 0 <= (ow+t)*sw+shift < in2
                int first = ow * sw + shift;
                int lo;
                int hi;
                if (sw == 1) { // no integer divisions on the common path
                  lo = Math.min(len, Math.max(0, -first));
                  hi = Math.max(lo, Math.min(len, in2 - first));
                } else {
                  lo = first >= 0 ? 0 : Math.min(len, (-first + sw - 1) / sw);
                  int last = in2 - 1 - first;
                  hi = last < 0 ? lo : Math.max(lo, Math.min(len, last / sw + 1));
                }
                zero(dst, d, lo);
                int xs = xr + ow * sw;
                if (sw == 1) {
                  if (hi > lo) {
                    System.arraycopy(x, xs + lo, dst, d + lo, hi - lo);
                  }
                } else {
                  for (int t = lo; t < hi; t++) {
                    dst[d + t] = x[xs + t * sw];
                  }
                }
                zero(dst, d + hi, len - hi);
              }
              j += len;
              jp += len;
              if (jp == nr) {
                jp = 0;
              }
              ow += len;
              if (ow == ow1) {
                ow = 0;
                if (++oh == oh1) {
                  oh = 0;
                  od++;
                }
              }
            }
            for (; j < padded; j++) {
              dst[dOff + (j - j % nr) * k + kk * nr + j % nr] = 0f;
            }
          }
        }
      }
    }
  }

  /**
   * {@link #im2colPacked} for column strides sw &gt;= 2 (2-D only): the input rows under the block
   * are split by column phase ({@link #phaseRows}), after which a run of output columns reads input
   * columns {@code first, first + sw, ...}: consecutive entries of phase {@code first % sw}.
   */
  private static void im2colPhased(
      float[] dst,
      int dOff,
      float[] x,
      int xg,
      int cg,
      ConvGeometry g,
      int c0,
      int nc,
      int nr,
      int pOff) {
    int k = cg * g.kernelSize();
    int in1 = g.in[1];
    int in2 = g.in[2];
    int ow1 = g.out[2];
    int sh = g.stride[1];
    int sw = g.stride[2];
    int padded = Gemm.panels(nc, nr) * nr;
    int oh0 = c0 / ow1;
    int ohLast = (c0 + nc - 1) / ow1;
    int ih0 = Math.max(0, oh0 * sh - g.padBegin[1]);
    int ih1 = Math.min(in1, ohLast * sh - g.padBegin[1] + (g.k[1] - 1) * g.dilation[1] + 1);
    if (ih1 > ih0) {
      phaseRows(dst, pOff, x, xg, cg, g, ih0, ih1);
    }
    int rows = Math.max(0, ih1 - ih0);
    int kk = 0;
    for (int ci = 0; ci < cg; ci++) {
      for (int kh = 0; kh < g.k[1]; kh++) {
        for (int kw = 0; kw < g.k[2]; kw++, kk++) {
          int shift = kw * g.dilation[2] - g.padBegin[2]; // input column = ow * sw + shift
          int oh = oh0;
          int ow = c0 - oh0 * ow1;
          int j = 0;
          int jp = 0;
          while (j < nc) {
            int len = Math.min(Math.min(ow1 - ow, nc - j), nr - jp);
            int d = dOff + (j - jp) * k + kk * nr + jp;
            int ih = oh * sh - g.padBegin[1] + kh * g.dilation[1];
            if (ih < 0 || ih >= in1) {
              zero(dst, d, len);
            } else {
              int first = ow * sw + shift;
              int lo = first >= 0 ? 0 : Math.min(len, (-first + sw - 1) / sw);
              int last = in2 - 1 - first;
              int hi = last < 0 ? lo : Math.max(lo, Math.min(len, last / sw + 1));
              zero(dst, d, lo);
              if (hi > lo) {
                int col = first + lo * sw; // >= 0
                int q = col % sw;
                int start = phaseOffset(in2, sw, q);
                int src = pOff + (ci * rows + ih - ih0) * in2 + start + col / sw;
                System.arraycopy(dst, src, dst, d + lo, hi - lo);
              }
              zero(dst, d + hi, len - hi);
            }
            j += len;
            jp += len;
            if (jp == nr) {
              jp = 0;
            }
            ow += len;
            if (ow == ow1) {
              ow = 0;
              oh++;
            }
          }
          for (; j < padded; j++) {
            dst[dOff + (j - j % nr) * k + kk * nr + j % nr] = 0f;
          }
        }
      }
    }
  }

  /** Where phase q starts in a row of W columns split by {@link #phaseRows} with stride sw. */
  private static int phaseOffset(int w, int sw, int q) {
    int off = 0;
    for (int p = 0; p < q; p++) {
      off += (w - p + sw - 1) / sw;
    }
    return off;
  }

  /** {@code a[off .. off+n) = 0}; the runs here are short, where a loop beats Arrays.fill. */
  private static void zero(float[] a, int off, int n) {
    for (int i = 0; i < n; i++) {
      a[off + i] = 0f;
    }
  }
}
