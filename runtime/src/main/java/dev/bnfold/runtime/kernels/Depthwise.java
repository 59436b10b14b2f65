package dev.bnfold.runtime.kernels;

import java.util.Arrays;

/**
 * Direct depthwise 2-D convolution: x (N, C, ih, iw), w (M, 1, kh, kw) with M = C * multiplier and
 * group == C, bias (M) or null, y (N, M, oh, ow); output channel o reads input channel o /
 * multiplier. Any kernel size, stride, dilation and padding. {@link Conv#reference} is the
 * reference it is tested against.
 *
 * <p>Planar path: per input plane, the plane is first copied into scratch with its zero padding
 * made explicit (the padding is zeroed once per call: it is the same for every plane) and split by
 * stride phase: padded row r goes to row-phase {@code r % sh}, row {@code r / sh}; padded column c
 * to column-phase {@code c % sw}, column {@code c / sw}; each of the {@code sh * sw} sub-planes is
 * {@link #rows} x {@link #pitch}. Tap (kh, kw) of output (oh, ow) then reads sub-plane element
 * {@code (oh + kh*dh/sh, ow + kw*dw/sw)} of phase {@code (kh*dh % sh, kw*dw % sw)}: at flat index
 * {@code f = oh * pitch + ow}, every tap is the fixed offset {@code taps[t]} from f. So the whole
 * plane is one unit-stride multi-tap correlation over {@code (oh-1) * pitch + ow} flat outputs
 * ({@link DepthwiseKernel#taps}, bias and clamp fused), the {@code pitch - ow} columns between rows
 * computed and dropped as the rows are copied out. 3x3 at stride 1 without dilation instead runs
 * {@link DepthwiseKernel#rows3x3} over the padded plane, row by row straight into the output, if
 * the kernel prefers it (the vector kernel, which shares each loaded input row between two output
 * rows). Any other activation runs on the finished plane while it is in cache.
 *
 * <p>Channel-interleaved path (a plan with {@link #lanes} L {@code > 0}, for kernels with {@link
 * DepthwiseKernel#lanes} L): L consecutive output channels at a time, in bands of {@link #band}
 * output rows. The band's input rows of the L input channels are transposed into scratch pixel by
 * pixel, into the same phase-split, zero-padded sub-planes as above but with L floats per element
 * (lane l = channel l of the block): tap t of flat output f is then the L floats at {@code f * L +
 * itaps[t]}, one L-wide load times the tap's per-channel weights, and the band is one flat run of
 * {@code ((rows - 1) * pitch + ow) * L} floats (bias and clamp fused) with no per-plane edges or
 * tails. The finished band is transposed back into the L output planes, dropping the {@code pitch -
 * ow} columns between rows through {@link #map}. It trades the planar path's per-plane costs for
 * two transposes (a gather per pixel), so {@link #plan(ConvGeometry, DepthwiseKernel)} takes it for
 * small planes and strided layers (see {@link #interleaves}).
 *
 * <p>Created per geometry ({@link #plan}) at bind time, so the hot path allocates nothing.
 */
public final class Depthwise {
  /** Target floats of the interleaved input band: 64 KiB, the best of 16-128 KiB measured. */
  private static final int BAND_FLOATS = 16 * 1024;

  /** Output planes of at most this many pixels take the interleaved path (see interleaves). */
  private static final int SMALL_PLANE = 196;

  /**
   * Floats a kernel may reach past a plane (a vector of up to 2048 bits): rows5x5's outputs and
   * reads, copyPadded's zeros.
   */
  private static final int SLACK = 64;

  /** Input rows of at most this many floats are copied with copyPadded. */
  private static final int SHORT_ROW = 16;

  private final ConvGeometry g;
  private final int rows; // rows of one phase sub-plane
  private final int pitch; // row pitch of the sub-planes and of the flat output
  private final int sub; // floats of one sub-plane
  private final int padded; // floats of all sub-planes
  private final int flat; // outputs of the flat run: (oh - 1) * pitch + ow
  private final int[] taps; // (kh, kw): offset of the tap from the flat output index
  private final int[] colLo; // per column phase: columns [colLo, colHi) are inside the image
  private final int[] colHi;
  private final int split0; // at stride 2: columns [split0, split1) inside in both phases
  private final int split1;
  private final boolean rows3x3; // 3x3, stride 1, dilation 1: DepthwiseKernel#rows3x3 applies
  private final boolean rows5x5; // 5x5, stride 1, dilation 1: DepthwiseKernel#rows5x5 applies
  private final int stride2Scratch; // > 0: planes run through DepthwiseKernel#stride2
  // channel-interleaved path (lanes > 0)
  private final int lanes; // channels per block, 0 for the planar path
  private final int band; // output rows per band
  private final int isub; // floats of one phase sub-plane of a band: (band + reach, pitch, lanes)
  private final int iin; // floats of the band's sub-planes: sh * sw * isub
  private final int iout; // floats of the band's flat output: ((band - 1) * pitch + ow) * lanes
  private final int[] itaps; // (kh, kw): float offset of the tap from its flat output's
  private final int[] map; // output pixel k of a band -> its float offset in the flat output
  private final int[][] index; // [(o0 % mult) * lanes + count - 1]: per-lane input plane offsets
  private final int[][] weightIndex; // [count - 1]: per-lane offset of its channel's weights

  private Depthwise(ConvGeometry g, int lanes, int stride2Scratch) {
    this.g = g;
    this.lanes = lanes;
    this.stride2Scratch = stride2Scratch;
    int sh = g.stride[1];
    int sw = g.stride[2];
    this.rows = g.out[1] + (g.k[1] - 1) * g.dilation[1] / sh;
    this.pitch = g.out[2] + (g.k[2] - 1) * g.dilation[2] / sw;
    this.sub = Math.multiplyExact(rows, pitch);
    this.padded = Math.multiplyExact(sh * sw, sub);
    this.flat = (g.out[1] - 1) * pitch + g.out[2];
    this.taps = new int[g.k[1] * g.k[2]];
    for (int kh = 0; kh < g.k[1]; kh++) {
      for (int kw = 0; kw < g.k[2]; kw++) {
        int r = kh * g.dilation[1];
        int c = kw * g.dilation[2];
        taps[kh * g.k[2] + kw] = (r % sh * sw + c % sw) * sub + r / sh * pitch + c / sw;
      }
    }
    // column i of phase cp is padded column i * sw + cp, input column i * sw + cp - padLeft
    this.colLo = new int[sw];
    this.colHi = new int[sw];
    int pl = g.padBegin[2];
    for (int cp = 0; cp < sw; cp++) {
      colLo[cp] = Math.min(pitch, (pl - cp + sw - 1) / sw);
      colHi[cp] = Math.min(pitch, Math.max(colLo[cp], (g.in[2] + pl - cp + sw - 1) / sw));
    }
    this.split0 = sw == 2 ? Math.max(colLo[0], colLo[1]) : 0;
    this.split1 = sw == 2 ? Math.max(split0, Math.min(colHi[0], colHi[1])) : 0;
    this.rows3x3 = threeByThree(g);
    this.rows5x5 = fiveByFive(g);
    int oh1 = g.out[1];
    int ow1 = g.out[2];
    int reach = (g.k[1] - 1) * g.dilation[1] / sh; // sub-plane rows beyond the band's outputs
    int phases = sh * sw;
    this.band =
        lanes == 0 ? 0 : Math.max(1, Math.min(oh1, BAND_FLOATS / (phases * pitch * lanes) - reach));
    this.isub = lanes == 0 ? 0 : Math.multiplyExact((band + reach) * pitch, lanes);
    this.iin = Math.multiplyExact(phases, isub);
    this.iout = lanes == 0 ? 0 : ((band - 1) * pitch + ow1) * lanes;
    this.itaps = new int[lanes == 0 ? 0 : taps.length];
    for (int t = 0; t < itaps.length; t++) {
      int r = t / g.k[2] * g.dilation[1];
      int c = t % g.k[2] * g.dilation[2];
      itaps[t] = (r % sh * sw + c % sw) * isub + (r / sh * pitch + c / sw) * lanes;
    }
    this.map = new int[lanes == 0 ? 0 : band * ow1];
    for (int k = 0; k < map.length; k++) {
      map[k] = (k / ow1 * pitch + k % ow1) * lanes;
    }
    int mult = g.m / g.c;
    this.index = new int[lanes == 0 ? 0 : mult * lanes][];
    for (int ph = 0; ph < index.length / Math.max(1, lanes); ph++) {
      for (int count = 1; count <= lanes; count++) {
        int[] ix = new int[lanes];
        for (int l = 0; l < lanes; l++) {
          ix[l] = (ph + Math.min(l, count - 1)) / mult * g.inPlane();
        }
        index[ph * lanes + count - 1] = ix;
      }
    }
    this.weightIndex = new int[lanes][lanes];
    for (int count = 1; count <= lanes; count++) {
      for (int l = 0; l < lanes; l++) {
        weightIndex[count - 1][l] = Math.min(l, count - 1) * g.kernelSize();
      }
    }
  }

  /** True if {@link #plan} applies: one input channel per group (C == group), 2-D. */
  public static boolean isDepthwise(ConvGeometry g) {
    return g.group == g.c
        && g.group > 1
        && g.k[0] == 1
        && g.in[0] == 1
        && g.out[0] == 1
        && g.out[1] > 0
        && g.out[2] > 0;
  }

  /** The planar plan for geometry g, which must satisfy {@link #isDepthwise}. */
  public static Depthwise plan(ConvGeometry g) {
    return plan(g, 0);
  }

  /**
   * The plan for geometry g (which must satisfy {@link #isDepthwise}) that runs fastest with {@code
   * kernel}: the channel-interleaved path if the kernel has one and it pays ({@link #interleaves}),
   * else the planar path.
   */
  public static Depthwise plan(ConvGeometry g, DepthwiseKernel kernel) {
    if (isDepthwise(g) && halves(g) && kernel.prefersStride2(g.k[1], g.out[2])) {
      return new Depthwise(g, 0, Math.max(1, kernel.stride2Scratch(g.k[1], g.out[2])));
    }
    // a plane the kernel's rows3x3 or rows5x5 runs well stays planar: no transposes
    boolean rows =
        fiveByFive(g) && kernel.prefersRows5x5(g.out[1], g.out[2])
            || threeByThree(g) && kernel.prefersRows3x3(g.out[2]);
    return plan(g, !rows && interleaves(g, kernel.lanes()) ? kernel.lanes() : 0);
  }

  /**
   * The plan for geometry g, which must satisfy {@link #isDepthwise}: the planar path if {@code
   * lanes == 0}, else the channel-interleaved path in blocks of {@code lanes} channels, run by
   * kernels whose {@link DepthwiseKernel#lanes} is {@code lanes}.
   */
  public static Depthwise plan(ConvGeometry g, int lanes) {
    if (!isDepthwise(g)) {
      throw new IllegalArgumentException("not a depthwise convolution");
    }
    if (lanes < 0) {
      throw new IllegalArgumentException("lanes " + lanes);
    }
    return new Depthwise(g, lanes, 0);
  }

  /**
   * Whether the interleaved path in blocks of {@code lanes} channels pays for g (at most {@code
   * lanes} output channels per input channel). Its fixed cost is the two transposes (a gather per
   * pixel, about half a cycle per float); the planar path's is per plane (padding, row copies,
   * vector tails on short rows) plus the phase split at a stride. Measured side by side
   * (KernelBenchmark {@code -p path=planar,interleaved}, AVX-512, 1 thread): interleaved wins on
   * output planes up to 14x14 (3x3 on 7x7 1.6x, 5x5 on 7x7 1.6-1.8x, 3x3 on 14x14 1.3x, 5x5 on
   * 14x14 even) and on strided layers with few taps per input pixel (3x3 stride 2: 1.1x on 112x112,
   * 1.5x on 56x56, 3.1x on 14x14); planar wins on larger stride-1 planes (3x3 on 56x56 1.8x, on
   * 112x112 2.2x); 5x5 stride 2 on 56x56 measured even.
   */
  /**
   * Square odd kernel at stride 2, dilation 1, padding (k - 1) / 2 and an input twice the output
   * wide: {@link DepthwiseKernel#stride2} applies.
   */
  private static boolean halves(ConvGeometry g) {
    int k = g.k[1];
    int pad = (k - 1) / 2;
    return k == g.k[2]
        && k % 2 == 1
        && g.stride[1] == 2
        && g.stride[2] == 2
        && g.dilation[1] == 1
        && g.dilation[2] == 1
        && g.padBegin[1] == pad
        && g.padBegin[2] == pad
        && g.in[2] == 2 * g.out[2]
        && g.out[1] == (g.in[1] + 2 * pad - k) / 2 + 1;
  }

  /** 3x3, stride 1, dilation 1: {@link DepthwiseKernel#rows3x3} applies. */
  private static boolean threeByThree(ConvGeometry g) {
    return g.k[1] == 3
        && g.k[2] == 3
        && g.stride[1] == 1
        && g.stride[2] == 1
        && g.dilation[1] == 1
        && g.dilation[2] == 1;
  }

  /** 5x5, stride 1, dilation 1: {@link DepthwiseKernel#rows5x5} applies. */
  private static boolean fiveByFive(ConvGeometry g) {
    return g.k[1] == 5
        && g.k[2] == 5
        && g.stride[1] == 1
        && g.stride[2] == 1
        && g.dilation[1] == 1
        && g.dilation[2] == 1;
  }

  static boolean interleaves(ConvGeometry g, int lanes) {
    if (lanes <= 0 || g.m / g.c > lanes) {
      return false;
    }
    int taps = g.k[1] * g.k[2];
    int strides = g.stride[1] * g.stride[2];
    return g.outPlane() <= SMALL_PLANE || taps <= 3 * strides;
  }

  /** Channels per block of the interleaved path; 0 if this plan runs the planar path. */
  public int lanes() {
    return lanes;
  }

  /** The geometry planned for. */
  public ConvGeometry geometry() {
    return g;
  }

  /** Rows of one phase sub-plane: {@code oh + (kh - 1) * dh / sh}. */
  public int rows() {
    return rows;
  }

  /** Row pitch of the sub-planes and the flat output: {@code ow + (kw - 1) * dw / sw}. */
  public int pitch() {
    return pitch;
  }

  /**
   * Scratch floats {@link #run} needs per worker: the padded planes, then the flat output; on the
   * interleaved path the band's sub-planes, its flat output, then the block's weights and bias.
   */
  public int scratchSize() {
    if (lanes > 0) {
      return Math.addExact(Math.addExact(iin, iout), (g.kernelSize() + 1) * lanes);
    }
    if (stride2Scratch > 0) {
      return stride2Scratch;
    }
    // rows5x5 may read and write up to a vector past a plane: SLACK covers any vector width
    int out = Math.max(pitch == g.out[2] ? 0 : flat, rows3x3 || rows5x5 ? g.outPlane() : 0);
    out += SLACK;
    return Math.addExact(padded, out);
  }

  /**
   * Units of work for {@link #runJobs}: one per output plane on the planar path, one per block of
   * up to {@link #lanes} channels of one image on the interleaved path (so that a split of the jobs
   * across workers never cuts a block).
   */
  public int jobs() {
    return lanes == 0 ? g.n * g.m : g.n * ((g.m + lanes - 1) / lanes);
  }

  /** {@link #run} over the output planes of jobs {@code [job0, job1)} (see {@link #jobs}). */
  public void runJobs(
      DepthwiseKernel kernel,
      float[] y,
      int yOff,
      float[] x,
      int xOff,
      float[] w,
      int wOff,
      float[] b,
      int bOff,
      Epilogue epilogue,
      float[] scratch,
      int sOff,
      int job0,
      int job1) {
    int plane0 = job0;
    int plane1 = job1;
    if (lanes > 0) {
      int blocks = (g.m + lanes - 1) / lanes; // per image
      plane0 = job0 / blocks * g.m + job0 % blocks * lanes;
      plane1 = job1 / blocks * g.m + Math.min(g.m, job1 % blocks * lanes);
    }
    run(kernel, y, yOff, x, xOff, w, wOff, b, bOff, epilogue, scratch, sOff, plane0, plane1);
  }

  /**
   * Output planes {@code [plane0, plane1)} of (image, output channel), in {@code N * M} order;
   * ranges may run on different threads given separate scratch regions ({@link #scratchSize} floats
   * at {@code sOff}). {@code b} and {@code epilogue} may be null; a clamp epilogue is fused into
   * the kernel, any other runs on each finished plane.
   */
  public void run(
      DepthwiseKernel kernel,
      float[] y,
      int yOff,
      float[] x,
      int xOff,
      float[] w,
      int wOff,
      float[] b,
      int bOff,
      Epilogue epilogue,
      float[] scratch,
      int sOff,
      int plane0,
      int plane1) {
    int mult = g.m / g.c;
    int inPlane = g.inPlane();
    int outPlane = g.outPlane();
    int ow1 = g.out[2];
    int ks = g.k[1] * g.k[2];
    float[] clamp = epilogue == null ? null : epilogue.clampBounds();
    float lo = clamp == null ? Float.NEGATIVE_INFINITY : clamp[0];
    float hi = clamp == null ? Float.POSITIVE_INFINITY : clamp[1];
    if (lanes > 0) {
      if (kernel.lanes() != lanes) {
        throw new IllegalArgumentException(
            "planned for " + lanes + " lanes, kernel " + kernel.name() + " has " + kernel.lanes());
      }
      runInterleaved(
          kernel,
          y,
          yOff,
          x,
          xOff,
          w,
          wOff,
          b,
          bOff,
          epilogue,
          clamp == null,
          lo,
          hi,
          scratch,
          sOff,
          plane0,
          plane1);
      return;
    }
    if (stride2Scratch > 0) {
      for (int plane = plane0; plane < plane1; plane++) {
        int n = plane / g.m;
        int o = plane % g.m;
        int yc = yOff + (n * g.m + o) * outPlane;
        kernel.stride2(
            y,
            yc,
            g.out[1],
            ow1,
            x,
            xOff + (n * g.c + o / mult) * inPlane,
            g.in[1],
            g.k[1],
            w,
            wOff + o * ks,
            b == null ? 0f : b[bOff + o],
            lo,
            hi,
            scratch,
            sOff);
        if (epilogue != null && clamp == null) {
          epilogue.apply(y, yc, outPlane);
        }
      }
      return;
    }
    boolean direct = pitch == ow1; // the flat run is the output plane
    int fOff = sOff + padded;
    if (plane1 > plane0) {
      Arrays.fill(scratch, sOff, sOff + padded, 0f); // the padding; copyIn writes the rest
    }
    for (int plane = plane0; plane < plane1; plane++) {
      int n = plane / g.m;
      int o = plane % g.m;
      // consecutive output channels of one input channel (multiplier > 1) share the padded planes
      if (plane == plane0 || o % mult == 0) {
        copyIn(kernel, scratch, sOff, x, xOff + (n * g.c + o / mult) * inPlane);
      }
      int yc = yOff + (n * g.m + o) * outPlane;
      float bias = b == null ? 0f : b[bOff + o];
      boolean by3 = rows3x3 && kernel.prefersRows3x3(ow1);
      if (by3 || rows5x5 && kernel.prefersRows5x5(g.out[1], ow1)) {
        // rows narrower than a vector spill into the next plane, which this range writes later;
        // the range's last plane goes through the buffer
        int spill = Math.max(0, kernel.lanes() - ow1);
        boolean inPlace = spill == 0 || plane + 1 < plane1 && spill <= outPlane;
        float[] dst = inPlace ? y : scratch;
        int d = inPlace ? yc : fOff;
        if (by3) {
          kernel.rows3x3(
              dst, d, ow1, g.out[1], ow1, scratch, sOff, pitch, w, wOff + o * ks, bias, lo, hi);
        } else {
          kernel.rows5x5(
              dst, d, ow1, g.out[1], ow1, scratch, sOff, pitch, w, wOff + o * ks, bias, lo, hi);
        }
        if (!inPlace) {
          System.arraycopy(scratch, fOff, y, yc, outPlane);
        }
      } else if (direct) {
        kernel.taps(y, yc, flat, scratch, sOff, taps, w, wOff + o * ks, bias, lo, hi);
      } else {
        kernel.taps(scratch, fOff, flat, scratch, sOff, taps, w, wOff + o * ks, bias, lo, hi);
        for (int oh = 0; oh < g.out[1]; oh++) {
          System.arraycopy(scratch, fOff + oh * pitch, y, yc + oh * ow1, ow1);
        }
      }
      if (epilogue != null && clamp == null) {
        epilogue.apply(y, yc, outPlane);
      }
    }
  }

  /**
   * {@link #run} on the interleaved path: blocks of up to {@link #lanes} consecutive output
   * channels of one image (a block cut short by the range or the image repeats its last channel in
   * the spare lanes and writes back only its own), each in bands of {@link #band} output rows.
   */
  private void runInterleaved(
      DepthwiseKernel kernel,
      float[] y,
      int yOff,
      float[] x,
      int xOff,
      float[] w,
      int wOff,
      float[] b,
      int bOff,
      Epilogue epilogue,
      boolean applyEpilogue,
      float lo,
      float hi,
      float[] scratch,
      int sOff,
      int plane0,
      int plane1) {
    int lanes = this.lanes;
    int mult = g.m / g.c;
    int inPlane = g.inPlane();
    int outPlane = g.outPlane();
    int oh1 = g.out[1];
    int ow1 = g.out[2];
    int ih1 = g.in[1];
    int iw1 = g.in[2];
    int sh = g.stride[1];
    int sw = g.stride[2];
    int span = (g.k[1] - 1) * g.dilation[1] + 1;
    int ks = g.k[1] * g.k[2];
    int pt = g.padBegin[1];
    int pl = g.padBegin[2];
    int rowFloats = pitch * lanes;
    int inBase = sOff;
    int outBase = sOff + iin;
    int wbBase = outBase + iout; // (ks + 1, lanes): per-lane weights of each tap, then the bias
    if (plane1 > plane0) {
      Arrays.fill(scratch, inBase, inBase + iin, 0f); // the column padding; rows write the rest
    }
    for (int plane = plane0; plane < plane1; ) {
      int n = plane / g.m;
      int o0 = plane % g.m;
      int count = Math.min(lanes, Math.min(plane1 - plane, g.m - o0));
      // the block's weights tap by tap, lane l from channel o0 + l: one gather a tap (a scalar
      // transpose of them took a sixth of 576 channels' 5x5 on 7x7)
      kernel.interleave(scratch, wbBase, w, wOff + o0 * ks, 1, weightIndex[count - 1], ks);
      for (int l = 0; l < lanes; l++) {
        scratch[wbBase + ks * lanes + l] = b == null ? 0f : b[bOff + o0 + Math.min(l, count - 1)];
      }
      int[] ix = index[o0 % mult * lanes + count - 1];
      int xc = xOff + (n * g.c + o0 / mult) * inPlane;
      int yc = yOff + (n * g.m + o0) * outPlane;
      for (int r0 = 0; r0 < oh1; r0 += band) {
        int rows = Math.min(band, oh1 - r0);
        int inRows = (rows - 1) * sh + span;
        for (int j = 0; j < inRows; j++) {
          int ih = r0 * sh + j - pt;
          int d = inBase + j % sh * sw * isub + j / sh * rowFloats; // row j / sh of phase (j%sh, 0)
          for (int cp = 0; cp < sw; cp++) {
            int dc = d + cp * isub;
            if (ih < 0 || ih >= ih1) {
              Arrays.fill(scratch, dc, dc + rowFloats, 0f);
            } else {
              int lo0 = colLo[cp];
              kernel.interleave(
                  scratch,
                  dc + lo0 * lanes,
                  x,
                  xc + ih * iw1 + lo0 * sw + cp - pl,
                  sw,
                  ix,
                  colHi[cp] - lo0);
            }
          }
        }
        kernel.tapsInterleaved(
            scratch,
            outBase,
            (rows - 1) * pitch + ow1,
            scratch,
            inBase,
            itaps,
            scratch,
            wbBase,
            lo,
            hi);
        kernel.deinterleave(y, yc + r0 * ow1, outPlane, scratch, outBase, map, rows * ow1, count);
      }
      if (epilogue != null && applyEpilogue) {
        for (int l = 0; l < count; l++) {
          epilogue.apply(y, yc + l * outPlane, outPlane);
        }
      }
      plane += count;
    }
  }

  /**
   * Copies input plane x (ih, iw) at xc into the phase sub-planes at {@code s[sOff..]} (see the
   * class comment): only the elements inside the image, which are the same for every plane; the
   * padding around them was zeroed once by {@link #run} and is never written.
   */
  private void copyIn(DepthwiseKernel kernel, float[] s, int sOff, float[] x, int xc) {
    boolean shortRows = g.in[2] <= SHORT_ROW;
    int sh = g.stride[1];
    int sw = g.stride[2];
    int ih1 = g.in[1];
    int iw1 = g.in[2];
    int pt = g.padBegin[1];
    int pl = g.padBegin[2];
    for (int rp = 0; rp < sh; rp++) {
      for (int j = 0; j < rows; j++) {
        int row = sOff + rp * sw * sub + j * pitch; // row j of phase (rp, 0)
        int ih = j * sh + rp - pt;
        if (ih < 0 || ih >= ih1) {
          continue;
        }
        int xr = xc + ih * iw1 - pl; // padded column c reads x[xr + c]
        if (sw == 1 && shortRows) { // rows in order: the zeros after one row precede the next
          kernel.copyPadded(s, row + colLo[0], x, xr + colLo[0], colHi[0] - colLo[0]);
        } else if (sw == 1) {
          System.arraycopy(x, xr + colLo[0], s, row + colLo[0], colHi[0] - colLo[0]);
        } else if (sw == 2) {
          int d1 = row + sub;
          // both phases inside the image on [split0, split1), the edges one by one
          kernel.split2(s, row + split0, d1 + split0, x, xr + 2 * split0, split1 - split0);
          for (int i = colLo[0]; i < split0; i++) {
            s[row + i] = x[xr + 2 * i];
          }
          for (int i = split1; i < colHi[0]; i++) {
            s[row + i] = x[xr + 2 * i];
          }
          for (int i = colLo[1]; i < split0; i++) {
            s[d1 + i] = x[xr + 2 * i + 1];
          }
          for (int i = split1; i < colHi[1]; i++) {
            s[d1 + i] = x[xr + 2 * i + 1];
          }
        } else {
          for (int cp = 0; cp < sw; cp++) {
            int d = row + cp * sub;
            for (int i = colLo[cp]; i < colHi[cp]; i++) {
              s[d + i] = x[xr + i * sw + cp];
            }
          }
        }
      }
    }
  }
}
