package dev.bnfold.runtime.kernels;

import java.util.Arrays;

/**
 * Convolution as a GEMM whose B operand is read in place ({@link GemmMicroKernel#tileGather}), with
 * no im2col: {@code Y_g (M/g, F) = W_g (M/g, K) * B (K, F)} where row kk of B is a contiguous run
 * of a source plane starting at {@code rows[kk]}.
 *
 * <ul>
 *   <li><b>Pointwise</b> (1x1, stride 1, no padding): the source is the input itself, row kk is
 *       input channel kk, F is the output plane, and tiles are written straight into the output.
 *   <li><b>Padded</b> (anything else in 2-D): the group's input channels are first copied into
 *       zero-padded planes split by stride phase, as in {@link Depthwise}: padded row r goes to
 *       row-phase {@code r % sh}, row {@code r / sh}; padded column c to column-phase {@code c %
 *       sw}, column {@code c / sw}; each phase sub-plane is {@code rows x pitch}. Tap (kh, kw) of
 *       output (oh, ow) then sits at the fixed offset {@code rows[kk]} from the flat index {@code
 *       oh * pitch + ow}, at any stride and dilation. The GEMM runs over the flat grid of {@code
 *       (oh - 1) * pitch + ow} columns into a per-worker tile buffer, and the real columns are
 *       copied out row by row; the {@code pitch - ow} columns between output rows are computed and
 *       dropped (few: {@code (kw - 1) * dw / sw} per row).
 * </ul>
 *
 * <p>Work is split into jobs of (group, column block, chunk of mr-row panels) per image; blocks are
 * as wide as keeps a block of B within L2 (at several threads, convs with few output channels split
 * by column blocks rather than row chunks). Pointwise tiles run the whole K in registers and go
 * column panel by column panel, so a panel of the input serves every row panel from L1 (row panel
 * by row panel over narrower blocks when the output is larger than L2: fewer rows written at once;
 * k-block by k-block when K is deeper than {@link #POINTWISE_KC}); a block's last, partial panel
 * runs as a full tile ending at the block's end. Padded tiles go k-block by k-block (the weights'
 * k-block stays in L2), then column panel, then row panel, into a per-worker buffer. Bias, a
 * residual addend and the epilogue are applied while the block is in cache. Created per geometry at
 * bind time ({@link #plan}); the hot path allocates nothing.
 */
public final class GatherConv {
  /** Floats of B a column block may span (K x block columns): 256 KiB, a part of L2. */
  private static final int BLOCK_FLOATS = 1 << 16;

  /** Widest column block, in columns. */
  private static final int MAX_BLOCK = 1024;

  /**
   * Output bytes (per group) beyond which a pointwise conv goes row panel by row panel: the output
   * then streams to memory, and writing eight rows at a time beats reusing a B panel across all
   * rows, which writes every row at once (MobileNetV2's 16->96 on 112x112: 450 against 650 us
   * column panel by column panel, and 600 packed).
   */
  private static final long L2_BYTES = 2L << 20;

  /** Floats of B per block when row panels go outer: 48 KiB, read from L1 by every row panel. */
  private static final int PANEL_OUTER_FLOATS = 12288;

  /**
   * Edge columns computed one by one ({@link GemmMicroKernel#tileNarrow}) rather than in a tile of
   * half width: column by column costs about one cycle per k step each, a half tile about four.
   */
  private static final int NARROW = 3;

  /** Deepest GEMM a compact B is built for (beyond, its copy outweighs the saved panels). */
  private static final int COMPACT_MAX_K = 1024;

  /**
   * Floats after each compact B row copied by rows: DepthwiseKernel#copyPadded's zeros for any
   * vector width.
   */
  private static final int COMPACT_SLACK = 64;

  /** Pointwise k-block length aimed for: a B k-block of nr columns within L1 (see kBlocked). */
  private static final int POINTWISE_KC = 160;

  /** Fewest input channels (per group) for which a pointwise conv reads its input in place. */
  private static final int MIN_POINTWISE_DEPTH = 32;

  private final ConvGeometry g;
  private final int mr;
  private final int nr;
  private final DepthwiseKernel split; // its split2 deinterleaves stride-2 rows
  private final boolean pointwise;
  private final boolean subsample; // pointwise mode on a strided 1x1: B is a compact copy
  private final boolean compact; // a small plane: padded planes, then B as compact rows
  private final int[] planeRows; // compact: per k row, its run in the padded planes (as rows)
  // compact at stride 1 with output rows as wide as the input's: each B row is the input plane
  // shifted, copied whole with the columns that leave the window masked (see compactShifted)
  private final boolean shifted;
  private final float[] column; // shifted: per output position, its column
  private final int crow; // compact: floats per B row
  private final int cbase; // compact: where the B rows start, after the padded planes
  private final int slack0; // where the read slack after the planes (and B rows) starts
  private final boolean panelOuter; // pointwise: row panels outer, column panels inner
  private final int cg;
  private final int mg;
  private final int k; // GEMM depth: cg * kernel taps
  private final int subRows; // rows of a phase sub-plane (padded mode)
  private final int pitch; // row pitch of the flat grid
  private final int sub; // floats of one sub-plane
  private final int chan; // floats of one channel's sub-planes
  private final int flat; // columns of the flat grid (compact: the output plane)
  private final int[] rows; // per k row: offset of its run from the group's source base
  private final boolean[] phaseUsed; // per (row phase, column phase): read by some tap
  private final int[] colLo; // per column phase: columns [colLo, colHi) are inside the image
  private final int[] colHi;
  private final int split0; // at stride 2: columns [split0, split1) inside in both phases
  private final int split1;
  private final int nb; // columns per block (multiple of nr)
  private final int blocks;
  private final int rowPanels;
  private final int chunks; // row-panel chunks per block
  private final int padFloats; // shared padded planes (+ read slack), 0 when pointwise
  private final int perWorker; // tile buffer (padded) or edge strip (pointwise)

  private GatherConv(ConvGeometry g, GemmMicroKernel kern, int threads) {
    this.g = g;
    this.mr = kern.mr();
    this.nr = kern.nr();
    this.split = Kernels.depthwiseFor(kern);
    this.subsample = stridedPointwise(g);
    this.pointwise = (g.isPointwise() || subsample) && g.n > 0;
    this.cg = g.c / g.group;
    this.mg = g.m / g.group;
    this.k = Math.multiplyExact(cg, g.kernelSize());
    int sh = g.stride[1];
    int sw = g.stride[2];
    this.rows = new int[k];
    this.phaseUsed = new boolean[sh * sw];
    if (pointwise) {
      this.subRows = g.out[1];
      this.pitch = g.out[2];
      this.flat = g.outPlane();
      this.compact = false;
      // a subsampled channel has one row of slack: split2 puts each row's odd half there
      this.sub = subsample ? flat + g.out[2] : g.inPlane();
      this.chan = sub;
      for (int ci = 0; ci < cg; ci++) {
        rows[ci] = ci * chan;
      }
      phaseUsed[0] = true;
    } else {
      this.subRows = g.out[1] + (g.k[1] - 1) * g.dilation[1] / sh;
      this.pitch = g.out[2] + (g.k[2] - 1) * g.dilation[2] / sw;
      this.sub = Math.multiplyExact(subRows, pitch);
      this.chan = Math.multiplyExact(sh * sw, sub);
      int grid = (g.out[1] - 1) * pitch + g.out[2];
      // a plane whose flat grid needs a quarter more column panels than its outputs gets its
      // B rows copied out compactly (digits-cnn's 8x8: 3 panels of 32 for 64 outputs)
      this.compact =
          g.n > 0
              && k <= COMPACT_MAX_K
              && 4 * Gemm.panels(grid, nr) > 5 * Gemm.panels(g.outPlane(), nr);
      this.flat = compact ? g.outPlane() : grid;
      int kk = 0;
      for (int ci = 0; ci < cg; ci++) {
        for (int kh = 0; kh < g.k[1]; kh++) {
          for (int kw = 0; kw < g.k[2]; kw++) {
            int r = kh * g.dilation[1];
            int c = kw * g.dilation[2];
            int phase = r % sh * sw + c % sw;
            phaseUsed[phase] = true;
            rows[kk++] = ci * chan + phase * sub + r / sh * pitch + c / sw;
          }
        }
      }
      if (sw == 2) { // both column phases of a used row phase: one vectorised split fills them
        for (int rp = 0; rp < sh; rp++) {
          boolean used = phaseUsed[2 * rp] || phaseUsed[2 * rp + 1];
          phaseUsed[2 * rp] = used;
          phaseUsed[2 * rp + 1] = used;
        }
      }
    }
    this.shifted =
        compact
            && sh == 1
            && sw == 1
            && g.out[2] == g.in[2]
            && g.padBegin[2] <= (g.k[2] - 1) * g.dilation[2];
    // copyMasked writes its run only; copyPadded a vector of zeros after it
    this.crow = compact ? (g.outPlane() + (shifted ? 0 : COMPACT_SLACK) + 15) / 16 * 16 : 0;
    this.cbase = compact ? Math.multiplyExact(g.c, chan) : 0;
    this.planeRows = compact ? rows.clone() : null;
    this.column = shifted ? new float[g.outPlane()] : null;
    for (int f = 0; shifted && f < column.length; f++) {
      column[f] = f % g.out[2];
    }
    if (compact) {
      for (int kk = 0; kk < k; kk++) {
        rows[kk] = inPlace(kk) ? shiftedRun(kk) - cbase : kk * crow;
      }
    }
    this.colLo = new int[sw];
    this.colHi = new int[sw];
    int pl = g.padBegin[2];
    for (int cp = 0; cp < sw; cp++) { // column i of phase cp is input column i * sw + cp - pl
      colLo[cp] = Math.min(pitch, Math.max(0, (pl - cp + sw - 1) / sw));
      colHi[cp] = Math.min(pitch, Math.max(colLo[cp], (g.in[2] + pl - cp + sw - 1) / sw));
    }
    this.split0 = sw == 2 ? Math.max(colLo[0], colLo[1]) : 0;
    this.split1 = sw == 2 ? Math.max(split0, Math.min(colHi[0], colHi[1])) : 0;
    int panels = Gemm.panels(flat, nr);
    int width = Math.max(1, Math.min(MAX_BLOCK / nr, BLOCK_FLOATS / Math.max(1, k) / nr)) * nr;
    // a narrow plane is one block: its weights are then streamed once, not once per block
    width = Math.max(width, Math.min(panels * nr, 4 * nr));
    boolean tiles = pointwise || compact; // tiles straight into the output
    this.panelOuter = tiles && outputBeyondL2(g);
    if (panelOuter) { // a block of B small enough to be read by every row panel from L1
      width = Math.max(nr, PANEL_OUTER_FLOATS / Math.max(1, k) / nr * nr);
    }
    int nBlocks = Math.max(1, (panels * nr + width - 1) / width);
    // tiles into the output with fewer output channels than pixels, and row panels that do not
    // split evenly or a k-blocked GEMM: workers take column blocks, each reading its own part of
    // the input, rather than row chunks, which each read all of it for a few rows. MobileNetV2 at
    // 2 threads, best of two runs each: 144->24 on 56x56 0.132 -> 0.089 ms, 192->32 on 28x28 (k
    // blocks) 0.091 -> 0.057; at least two blocks per worker, a multiple of the workers
    this.rowPanels = (mg + mr - 1) / mr;
    boolean fewRows = rowPanels % threads != 0 && rowPanels < 4 * threads;
    boolean byColumns =
        tiles
            && threads > 1
            && g.group == 1
            && mg < flat
            && (fewRows || pointwise && k > POINTWISE_KC);
    if (byColumns) {
      int want = Math.max(nBlocks, 2 * threads);
      nBlocks = Math.min(panels, (want + threads - 1) / threads * threads);
    }
    int blockPanels = (panels + nBlocks - 1) / nBlocks;
    this.nb = blockPanels * nr;
    this.blocks = (panels + blockPanels - 1) / blockPanels;
    this.chunks = byColumns ? 1 : chunks(g.group * blocks, rowPanels, threads);
    long compactFloats = compact ? (long) g.c * g.kernelSize() * crow : 0;
    this.slack0 = Math.toIntExact((long) g.c * chan + compactFloats);
    this.padFloats =
        pointwise && !subsample
            ? 0
            : Math.toIntExact(
                Math.addExact(
                    Math.addExact((long) g.c * chan, compactFloats), Math.addExact(nb, nr)));
    int chunkPanels = (rowPanels + chunks - 1) / chunks; // the most row panels of one job
    this.perWorker =
        tiles ? Math.multiplyExact(Math.max(k, mr), nr) : Math.multiplyExact(chunkPanels * mr, nb);
  }

  /**
   * Row-panel chunks per block so that the jobs split evenly over the threads when there are few
   * blocks: the fewest chunks that make the job count at least twice the threads or a multiple of
   * them.
   */
  private static int chunks(int jobs, int panels, int threads) {
    if (threads <= 1 || jobs == 0) {
      return 1;
    }
    for (int c = 1; c <= panels; c++) {
      long j = (long) jobs * c;
      if (j % threads == 0 || j >= 4L * threads) {
        return c;
      }
    }
    return Math.max(1, panels);
  }

  /**
   * True if this path applies: a 2-D convolution (any stride, dilation, padding, groups) on a
   * micro-kernel whose {@link GemmMicroKernel#tileGather} is fast.
   */
  public static boolean applies(ConvGeometry g, GemmMicroKernel kern) {
    // a pointwise conv over few channels packs its B at least as fast as it reads it in place,
    // unless its output streams to memory (KernelBenchmark.pointwise against pointwise_packed:
    // 24->144 on 56x56 237 against 193 us; 32->16 on 112x112 108 against 185)
    return kern.fastGather()
        && !(g.isPointwise() && g.c / g.group < MIN_POINTWISE_DEPTH && !outputBeyondL2(g))
        && g.in[0] == 1
        && g.k[0] == 1
        && g.out[0] == 1
        && g.out[1] > 0
        && g.out[2] > 0
        && g.c > 0
        && g.m > 0;
  }

  /**
   * True for a 1x1 conv at a stride above 1 without padding: it is a pointwise conv on the input
   * subsampled into compact planes (ResNet's downsample shortcuts).
   */
  private static boolean stridedPointwise(ConvGeometry g) {
    if (g.isPointwise()) {
      return false;
    }
    for (int i = 0; i < 3; i++) {
      if (g.k[i] != 1 || g.padBegin[i] != 0 || (long) (g.out[i] - 1) * g.stride[i] >= g.in[i]) {
        return false;
      }
    }
    return true;
  }

  /** True if one group's output exceeds L2 (see {@link #L2_BYTES}). */
  private static boolean outputBeyondL2(ConvGeometry g) {
    return (long) g.m / g.group * g.outPlane() * Float.BYTES > L2_BYTES;
  }

  /** The plan for geometry g on micro-kernel kern, split for {@code threads} workers. */
  public static GatherConv plan(ConvGeometry g, GemmMicroKernel kern, int threads) {
    return new GatherConv(g, kern, threads);
  }

  /**
   * True for the pointwise mode (B is the input itself, or its subsampled copy at a stride, and
   * tiles land in the output).
   */
  public boolean pointwise() {
    return pointwise;
  }

  /**
   * Scratch floats per worker for {@code threads} workers: the shared padded planes at the scratch
   * base span the first workers' regions, then each worker's own buffer (see {@link #run}).
   */
  public int scratchStride(int threads) {
    long total = padFloats + (long) perWorker * threads;
    return Math.toIntExact((total + threads - 1) / threads);
  }

  /** True for the compact mode (a small plane's B rows copied out of the padded planes). */
  public boolean compact() {
    return compact;
  }

  /** Jobs per image: (group, column block, row chunk). */
  public int jobs() {
    return g.group * blocks * chunks;
  }

  /** Input channels {@link #pad} copies per image (0 in pointwise mode, which needs no copy). */
  public int padUnits() {
    return pointwise && !subsample ? 0 : g.c;
  }

  /**
   * Copies input channels {@code [c0, c1)} of image n into the zero-padded phase planes at {@code
   * scratch[sOff..]} (padded mode; subsampled planes for a strided 1x1); channels may be split
   * across threads. The read slack after the planes is zeroed with the last channel.
   */
  public void pad(float[] scratch, int sOff, float[] x, int xOff, int n, int c0, int c1) {
    if (subsample) {
      subsample(scratch, sOff, x, xOff, n, c0, c1);
      return;
    }
    if (shifted) {
      compactShifted(scratch, sOff, x, xOff, n, c0, c1);
      return;
    }
    padPlanes(scratch, sOff, x, xOff, n, c0, c1);
    if (compact) {
      compactRows(scratch, sOff, c0, c1);
    }
  }

  /**
   * True if B row kk (shifted mode, one group) is read in place from its channel's region: a tap
   * whose columns all stay inside the image needs no mask, so no copy.
   */
  private boolean inPlace(int kk) {
    int kw = kk % g.k[2];
    return shifted && g.group == 1 && kw * g.dilation[2] == g.padBegin[2];
  }

  /** Shifted mode: where B row kk's run starts, from the first channel's region. */
  private int shiftedRun(int kk) {
    int ks = g.kernelSize();
    int t = kk % ks;
    return kk / ks * chan + t / g.k[2] * g.dilation[1] * g.in[2] + t % g.k[2] * g.dilation[2];
  }

  /**
   * Compact mode at stride 1 with {@code ow == iw}: channel ci's plane goes into its region with
   * zero rows above and below (row pitch iw, the left padding as lead), so that for output f = oh *
   * iw + ow, tap (kh, kw) reads the region at {@code f + kh * dh * iw + kw * dw}; each B row is
   * then one shifted run of the region, with the columns outside the image zeroed by a mask (a
   * vector copy per 16 outputs, where the per-row copies took 3 us of digits-cnn's 16->32 8x8
   * conv).
   */
  private void compactShifted(
      float[] scratch, int sOff, float[] x, int xOff, int n, int c0, int c1) {
    int iw = g.in[2];
    int ih = g.in[1];
    int pt = g.padBegin[1];
    int pl = g.padBegin[2];
    int dh = g.dilation[1];
    int dw = g.dilation[2];
    int plane = g.outPlane();
    int lead = pl + pt * iw; // where the image starts in the region
    int image = ih * iw;
    for (int ci = c0; ci < c1; ci++) {
      int d = sOff + ci * chan;
      Arrays.fill(scratch, d, d + lead, 0f);
      System.arraycopy(x, xOff + (n * g.c + ci) * image, scratch, d + lead, image);
      Arrays.fill(scratch, d + lead + image, d + chan, 0f);
      int t = 0;
      for (int kh = 0; kh < g.k[1]; kh++) {
        for (int kw = 0; kw < g.k[2]; kw++, t++) {
          if (inPlace(ci * g.kernelSize() + t)) {
            continue;
          }
          int shift = kw * dw - pl; // column ow reads image column ow + shift
          split.copyMasked(
              scratch,
              sOff + cbase + (ci * g.kernelSize() + t) * crow,
              scratch,
              d + kh * dh * iw + kw * dw,
              column,
              plane,
              -shift,
              iw - shift);
        }
      }
    }
    if (c1 == g.c) {
      Arrays.fill(scratch, sOff + slack0, sOff + padFloats, 0f);
    }
  }

  /**
   * Compact mode: the B rows of channels [c0, c1), each output row's run copied out of the padded
   * planes, the output rows back to back.
   */
  private void compactRows(float[] scratch, int sOff, int c0, int c1) {
    int ks = g.kernelSize();
    int oh1 = g.out[1];
    int ow1 = g.out[2];
    for (int ci = c0; ci < c1; ci++) {
      int local = ci % cg;
      int planes = sOff + (ci - local) * chan; // the group's planes
      for (int t = 0; t < ks; t++) {
        int src = planes + planeRows[local * ks + t];
        int dst = sOff + cbase + (ci * ks + t) * crow;
        for (int oh = 0; oh < oh1; oh++) { // rows in order: zeros after one precede the next
          split.copyPadded(scratch, dst + oh * ow1, scratch, src + oh * pitch, ow1);
        }
      }
    }
  }

  /** The zero-padded phase planes of channels [c0, c1) (see {@link #pad}). */
  private void padPlanes(float[] scratch, int sOff, float[] x, int xOff, int n, int c0, int c1) {
    int sh = g.stride[1];
    int sw = g.stride[2];
    int ih1 = g.in[1];
    int iw1 = g.in[2];
    int pt = g.padBegin[1];
    int pl = g.padBegin[2];
    boolean both2 = sw == 2; // both column phases are filled at stride 2 (see the constructor)
    // short rows: one fill of the whole channel beats two small fills per row (8x8 planes: the
    // fills took a third of digits-cnn's conv time)
    boolean fillAll = pitch <= 64;
    if (fillAll) {
      Arrays.fill(scratch, sOff + c0 * chan, sOff + c1 * chan, 0f);
      if (sh == 1 && sw == 1) { // one plane per channel: just its image rows
        int r0 = Math.min(subRows, pt);
        int r1 = Math.max(r0, Math.min(subRows, ih1 + pt));
        int len = colHi[0] - colLo[0];
        for (int ci = c0; ci < c1; ci++) {
          int xc = xOff + (n * g.c + ci) * g.inPlane() + colLo[0] - pl;
          int d = sOff + ci * chan + colLo[0];
          for (int j = r0; j < r1; j++) {
            System.arraycopy(x, xc + (j - pt) * iw1, scratch, d + j * pitch, len);
          }
        }
        if (c1 == g.c) {
          Arrays.fill(scratch, sOff + slack0, sOff + padFloats, 0f);
        }
        return;
      }
    }
    for (int ci = c0; ci < c1; ci++) {
      int base = sOff + ci * chan;
      int xc = xOff + (n * g.c + ci) * g.inPlane();
      for (int rp = 0; rp < sh; rp++) {
        for (int j = 0; j < subRows; j++) {
          int ih = j * sh + rp - pt;
          boolean inside = ih >= 0 && ih < ih1;
          for (int cp = 0; cp < sw; cp++) {
            int phase = rp * sw + cp;
            if (!phaseUsed[phase]) {
              continue;
            }
            int d = base + phase * sub + j * pitch;
            if (!inside) {
              if (!fillAll) {
                Arrays.fill(scratch, d, d + pitch, 0f);
              }
              continue;
            }
            if (!fillAll) {
              Arrays.fill(scratch, d, d + colLo[cp], 0f);
              Arrays.fill(scratch, d + colHi[cp], d + pitch, 0f);
            }
            int xr = xc + ih * iw1 + cp - pl; // phase column i reads x[xr + i * sw]
            if (sw == 1) {
              System.arraycopy(x, xr + colLo[0], scratch, d + colLo[0], colHi[0] - colLo[0]);
            } else {
              // with both phases of stride 2 in use, [split0, split1) is done by split2 below
              int a = both2 ? Math.min(colHi[cp], split0) : colHi[cp];
              for (int i = colLo[cp]; i < a; i++) {
                scratch[d + i] = x[xr + i * sw];
              }
              for (int i = both2 ? Math.max(colLo[cp], split1) : colHi[cp]; i < colHi[cp]; i++) {
                scratch[d + i] = x[xr + i * sw];
              }
            }
          }
          if (both2 && inside && split1 > split0) {
            int d = base + rp * 2 * sub + j * pitch;
            split.split2(
                scratch,
                d + split0,
                d + sub + split0,
                x,
                xc + ih * iw1 - pl + 2 * split0,
                split1 - split0);
          }
        }
      }
    }
    if (c1 == g.c) {
      Arrays.fill(scratch, sOff + slack0, sOff + padFloats, 0f);
    }
  }

  /**
   * {@link #pad} of a strided 1x1 conv: channel ci's samples to {@code scratch[sOff + ci * chan]}.
   */
  private void subsample(float[] scratch, int sOff, float[] x, int xOff, int n, int c0, int c1) {
    int sh = g.stride[1];
    int sw = g.stride[2];
    int iw = g.in[2];
    int ow = g.out[2];
    // at stride 2, split2 reads pairs: all the row's pairs that stay inside it
    int pairs = sw == 2 ? Math.min(ow, iw / 2) : 0;
    for (int ci = c0; ci < c1; ci++) {
      int xc = xOff + (n * g.c + ci) * g.inPlane();
      for (int oh = 0; oh < g.out[1]; oh++) {
        int xr = xc + oh * sh * iw;
        int d =
            sOff + ci * chan + oh * ow; // rows in order: a row's odd half lands where the next goes
        if (sw == 1) {
          System.arraycopy(x, xr, scratch, d, ow);
          continue;
        }
        if (pairs > 0) {
          split.split2(scratch, d, d + ow, x, xr, pairs);
        }
        for (int i = pairs; i < ow; i++) {
          scratch[d + i] = x[xr + i * sw];
        }
      }
    }
    if (c1 == g.c) {
      Arrays.fill(scratch, sOff + slack0, sOff + padFloats, 0f);
    }
  }

  /**
   * Jobs {@code [job0, job1)} of image n (after {@link #pad} in padded mode): {@code y = epilogue(W
   * * x + bias + addend)}; b, addend (same layout as y; may be y itself) and epilogue may be null.
   * The scratch region starts at sOff (as given to pad); worker wk of {@code threads} uses its own
   * buffer in it; jobs write disjoint outputs, so ranges may run on different threads.
   */
  public void run(
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
      float[] scratch,
      int sOff,
      int wk,
      int n,
      int job0,
      int job1) {
    float[] clamp = epilogue == null ? null : epilogue.clampBounds();
    float lo = clamp == null ? Float.NEGATIVE_INFINITY : clamp[0];
    float hi = clamp == null ? Float.POSITIVE_INFINITY : clamp[1];
    Epilogue other = clamp == null ? epilogue : null;
    int per = Gemm.packedASize(mg, k, mr);
    int own = sOff + padFloats + wk * perWorker;
    for (int job = job0; job < job1; job++) {
      int chunk = job % chunks;
      int block = job / chunks % blocks;
      int grp = job / chunks / blocks;
      int wOff = grp * per;
      int yg = yOff + (n * g.m + grp * mg) * g.outPlane();
      int c0 = block * nb;
      int c1 = Math.min(flat, c0 + nb);
      int p0 = rowPanels * chunk / chunks;
      int p1 = rowPanels * (chunk + 1) / chunks;
      if (c0 >= c1) {
        continue;
      }
      if (pointwise || compact) {
        float[] src = subsample || compact ? scratch : x;
        int xg =
            compact
                ? sOff + cbase + grp * cg * g.kernelSize() * crow
                : subsample ? sOff + grp * cg * chan : xOff + (n * g.c + grp * cg) * g.inPlane();
        int from = c0; // the tile loop below starts here
        if (kBlocked(c0, c1, p1)) {
          // whole column panels k-blocked; a partial last one too unless there is an addend (it
          // would be added twice over the columns the shifted panel shares, see overlapLast)
          from = addend == null ? c1 : c0 + (c1 - c0) / nr * nr;
          for (int q = c0; q < from; q += nr) {
            kBlockedPanel(
                kern,
                y,
                yg,
                src,
                xg,
                packedW,
                wOff,
                b,
                bOff + grp * mg,
                addend,
                addOff - yOff,
                p0,
                p1,
                Math.min(q, c1 - nr),
                lo,
                hi,
                other);
          }
        }
        // column panels outer (a panel of the input serves every row panel from L1), or row
        // panels outer when the output streams to memory (few rows written at a time)
        int qs = Gemm.panels(c1 - from, nr);
        int ps = p1 - p0;
        boolean packed = false;
        boolean shiftable = c1 - c0 >= nr; // an edge tile may start left of its columns
        for (int i = 0; i < qs * ps; i++) {
          int q = from + (panelOuter ? i % qs : i / ps) * nr;
          int p = p0 + (panelOuter ? i / qs : i % ps);
          boolean fresh = panelOuter || p == p0; // a new column panel: its strip is not packed
          if (q + nr > c1 && overlapLast(c0, c1, p, addend)) {
            q = c1 - nr; // a full tile ending at c1 (see overlapLast)
          }
          packed =
              pointwiseTile(
                  kern,
                  y,
                  yg,
                  src,
                  xg,
                  packedW,
                  wOff,
                  b,
                  bOff + grp * mg,
                  addend,
                  addOff - yOff,
                  scratch,
                  own,
                  packed && !fresh,
                  shiftable,
                  p,
                  q,
                  Math.min(nr, c1 - q),
                  lo,
                  hi,
                  other);
        }
      } else {
        paddedBlock(
            kern,
            y,
            yg,
            packedW,
            wOff,
            b,
            bOff + grp * mg,
            addend,
            addOff - yOff,
            scratch,
            sOff + grp * cg * chan,
            own,
            p0,
            p1,
            c0,
            c1,
            lo,
            hi,
            other);
      }
    }
  }

  /**
   * True if row panels [p0, p1) of pointwise block [c0, c1) go column panel by column panel in
   * k-blocks ({@link #kBlockedPanel}): a deep GEMM whose B panel (k rows of nr columns in place)
   * would not stay in L1 across the row panels, over full row panels and a block at least a panel
   * wide.
   */
  private boolean kBlocked(int c0, int c1, int p1) {
    return pointwise && !panelOuter && k > POINTWISE_KC && c1 - c0 >= nr && p1 * mr <= mg;
  }

  /**
   * Column panel [q, q + nr) of row panels [p0, p1), pointwise, in k-blocks of about {@link
   * #POINTWISE_KC} steps: each k-block of the B panel (at most 20 KiB) serves every row panel from
   * L1, the tiles accumulating in y. In MobileNetV2, best of three runs each: 384->96 on 14x14 121
   * -> 99 us, 960->320 on 7x7 286 -> 242, 384->64 73 -> 69; its 1x1 convs in all 4.74 -> 4.61 ms.
   * The tiles start as bias (+ addend); the clamp and any other epilogue follow the last k-block.
   */
  private void kBlockedPanel(
      GemmMicroKernel kern,
      float[] y,
      int yg,
      float[] x,
      int xg,
      float[] pw,
      int wOff,
      float[] b,
      int bOff,
      float[] addend,
      int addShift,
      int p0,
      int p1,
      int q,
      float lo,
      float hi,
      Epilogue other) {
    int plane = flat;
    int kBlocks = (k + POINTWISE_KC - 1) / POINTWISE_KC;
    int kc = (k + kBlocks - 1) / kBlocks;
    for (int k0 = 0; k0 < k; k0 += kc) {
      int kn = Math.min(kc, k - k0);
      for (int p = p0; p < p1; p++) {
        int o0 = p * mr;
        int cOff = yg + o0 * plane + q;
        int aOff = wOff + o0 * k + k0 * mr;
        if (k0 == 0 && addend == null) {
          kern.tileGatherBias(
              y,
              cOff,
              plane,
              pw,
              aOff,
              x,
              rows,
              0,
              xg + q,
              kn,
              b,
              bOff + o0,
              Float.NEGATIVE_INFINITY,
              Float.POSITIVE_INFINITY);
          continue;
        }
        if (k0 == 0) {
          startTile(y, cOff, plane, b, bOff + o0, addend, addShift, mr, nr);
        }
        kern.tileGather(y, cOff, plane, pw, aOff, x, rows, k0, xg + q, kn, nr, true);
      }
    }
    for (int p = p0; p < p1; p++) {
      finish(kern, y, yg + p * mr * plane + q, plane, mr, nr, lo, hi, other);
    }
  }

  /**
   * True if the last, partial column panel of block [c0, c1) runs as a full tile ending at c1,
   * recomputing columns the panel before it wrote: two full tiles cost 16 cycles per k step on a
   * 7x7 plane, against 19 for a full, a half and a one-column tile and their edge copies (49 = 32 +
   * 16 + 1). Only for a full row panel and without an addend: the tile overwrites those columns
   * with the same values (the epilogue applied once to its own result), whereas with an addend,
   * which may be y itself, it would add it twice.
   */
  private boolean overlapLast(int c0, int c1, int p, float[] addend) {
    return addend == null && c1 - c0 >= nr && (p + 1) * mr <= mg;
  }

  /**
   * Tile (row panel p, columns [q, q + cols)) of the pointwise mode, written straight into y. An
   * edge tile (fewer than mr rows or nr columns) runs on its B strip packed into the worker's
   * buffer at {@code strip}, so nothing is read or written past the edge; returns whether the strip
   * of this column panel is packed now.
   */
  private boolean pointwiseTile(
      GemmMicroKernel kern,
      float[] y,
      int yg,
      float[] x,
      int xg,
      float[] pw,
      int wOff,
      float[] b,
      int bOff,
      float[] addend,
      int addShift,
      float[] scratch,
      int strip,
      boolean packed,
      boolean shiftable,
      int p,
      int q,
      int cols,
      float lo,
      float hi,
      Epilogue other) {
    int plane = flat;
    int o0 = p * mr;
    int m = Math.min(mr, mg - o0);
    int aOff = wOff + o0 * k;
    int cOff = yg + o0 * plane + q;
    boolean full = m == mr && cols == nr;
    if (full && addend == null) { // the clamp too is applied in registers
      kern.tileGatherBias(y, cOff, plane, pw, aOff, x, rows, 0, xg + q, k, b, bOff + o0, lo, hi);
      if (other != null) {
        finish(kern, y, cOff, plane, m, cols, lo, hi, other);
      }
      return packed;
    } else if (!full && shiftable && cols < nr) {
      // the last columns of a block at least a panel wide: a full-width tile ending at them into
      // the strip (one tile's cost, where a half and a narrow tile cost 11 cycles a k step against
      // 8), and only its last cols columns out, with the bias and the addend
      kern.tileGather(scratch, strip, nr, pw, aOff, x, rows, 0, xg + q + cols - nr, k, nr, false);
      edgeOut(y, cOff, plane, scratch, strip + nr - cols, b, bOff + o0, addend, addShift, m, cols);
    } else if (!full && xg + rows[k - 1] + q + edgeReach(edgeWide(cols), cols) <= x.length) {
      // an edge tile whose reads past the edge stay inside x: a tile of half or full width for the
      // first columns, column by column for the last few, into the worker's tile buffer; then its
      // real rows and columns added out
      int wide = edgeWide(cols);
      if (wide > 0) {
        kern.tileGather(scratch, strip, nr, pw, aOff, x, rows, 0, xg + q, k, wide, false);
      }
      if (wide < cols) {
        kern.tileNarrow(
            scratch, strip + wide, nr, pw, aOff, x, rows, 0, xg + q + wide, k, cols - wide);
      }
      edgeOut(y, cOff, plane, scratch, strip, b, bOff + o0, addend, addShift, m, cols);
    } else {
      startTile(y, cOff, plane, b, bOff + o0, addend, addShift, m, cols);
      if (full) {
        kern.tileGather(y, cOff, plane, pw, aOff, x, rows, 0, xg + q, k, nr, true);
      } else {
        if (!packed) {
          for (int kk = 0; kk < k; kk++) {
            int d = strip + kk * nr;
            System.arraycopy(x, xg + rows[kk] + q, scratch, d, cols);
            Arrays.fill(scratch, d + cols, d + nr, 0f);
          }
          packed = true;
        }
        kern.tile(y, cOff, plane, pw, aOff, scratch, strip, k, m, cols, true);
      }
    }
    finish(kern, y, cOff, plane, m, cols, lo, hi, other);
    return packed;
  }

  /**
   * Rows r < m of a tile in y at cOff, cols columns, set to {@code bias[r] (+ addend)}: the start
   * of a tile that then accumulates.
   */
  private static void startTile(
      float[] y,
      int cOff,
      int plane,
      float[] b,
      int bOff,
      float[] addend,
      int addShift,
      int m,
      int cols) {
    for (int r = 0; r < m; r++) {
      int d = cOff + r * plane;
      float bias = b == null ? 0f : b[bOff + r];
      if (addend == null) {
        Arrays.fill(y, d, d + cols, bias);
      } else {
        int a = d + addShift;
        for (int j = 0; j < cols; j++) {
          y[d + j] = addend[a + j] + bias;
        }
      }
    }
  }

  /**
   * Rows r < m of an edge tile from the strip (row pitch nr, from t) into y at cOff: {@code y =
   * strip + bias[r] (+ addend)} over cols columns.
   */
  private void edgeOut(
      float[] y,
      int cOff,
      int plane,
      float[] scratch,
      int t,
      float[] b,
      int bOff,
      float[] addend,
      int addShift,
      int m,
      int cols) {
    for (int r = 0; r < m; r++) {
      int d = cOff + r * plane;
      int s = t + r * nr;
      float bias = b == null ? 0f : b[bOff + r];
      if (addend == null) {
        for (int j = 0; j < cols; j++) {
          y[d + j] = scratch[s + j] + bias;
        }
      } else {
        int a = d + addShift;
        for (int j = 0; j < cols; j++) {
          y[d + j] = scratch[s + j] + bias + addend[a + j];
        }
      }
    }
  }

  /** Columns of an edge tile of {@code cols} computed as a tile; the rest go one by one. */
  private int edgeWide(int cols) {
    int half = nr / 2;
    return cols <= NARROW ? 0 : cols > half && cols <= half + NARROW ? half : cols;
  }

  /** Columns an edge tile may read from its start: a tile part up to nr (tileGather's contract). */
  private int edgeReach(int wide, int cols) {
    return wide == 0 ? cols : nr;
  }

  /** Clamp (vectorized) or any other epilogue on m rows of n columns at off, row pitch ld. */
  private static void finish(
      GemmMicroKernel kern,
      float[] y,
      int off,
      int ld,
      int m,
      int n,
      float lo,
      float hi,
      Epilogue other) {
    if (lo != Float.NEGATIVE_INFINITY || hi != Float.POSITIVE_INFINITY) {
      kern.clamp(y, off, ld, m, n, lo, hi);
    }
    if (other != null) {
      for (int r = 0; r < m; r++) {
        other.apply(y, off + r * ld, n);
      }
    }
  }

  /**
   * Row panels [p0, p1) over flat columns [c0, c1) of the padded mode: tiles into the worker's
   * buffer ((p1 - p0) * mr rows of nb, bias first), then the real columns copied out with the
   * addend and the epilogue. k-blocks outer, then column panels, then row panels: a k-block of a B
   * panel serves every row panel from L1, and a k-block of the weights stays in L2.
   */
  private void paddedBlock(
      GemmMicroKernel kern,
      float[] y,
      int yg,
      float[] pw,
      int wOff,
      float[] b,
      int bOff,
      float[] addend,
      int addShift,
      float[] scratch,
      int src0,
      int buf,
      int p0,
      int p1,
      int c0,
      int c1,
      float lo,
      float hi,
      Epilogue other) {
    int width = c1 - c0;
    int span = Gemm.panels(width, nr) * nr;
    // one k-block and no addend: full row panels get the clamp in registers, not in a pass over
    // the block (ReLU6 on MobileNetV2's stem took a sixth of the conv)
    boolean fused = k <= Gemm.KC && addend == null;
    float tileLo = fused ? lo : Float.NEGATIVE_INFINITY;
    float tileHi = fused ? hi : Float.POSITIVE_INFINITY;
    for (int k0 = 0; k0 < k; k0 += Gemm.KC) {
      int kn = Math.min(Gemm.KC, k - k0);
      for (int q = 0; q < span; q += nr) {
        for (int p = p0; p < p1; p++) {
          int o0 = p * mr;
          int m = Math.min(mr, mg - o0);
          int a = wOff + o0 * k + k0 * mr;
          int c = buf + (p - p0) * mr * nb + q;
          if (k0 == 0 && m == mr) {
            kern.tileGatherBias(
                scratch,
                c,
                nb,
                pw,
                a,
                scratch,
                rows,
                0,
                src0 + c0 + q,
                kn,
                b,
                bOff + o0,
                tileLo,
                tileHi);
            continue;
          }
          if (k0 == 0) { // the rows past m are computed from zero padding and dropped
            for (int r = 0; r < mr; r++) {
              float v = b == null || r >= m ? 0f : b[bOff + o0 + r];
              Arrays.fill(scratch, c + r * nb, c + r * nb + nr, v);
            }
          }
          kern.tileGather(scratch, c, nb, pw, a, scratch, rows, k0, src0 + c0 + q, kn, nr, true);
        }
      }
    }
    for (int p = p0; p < p1; p++) {
      boolean clamped = fused && p * mr + mr <= mg; // a full row panel, clamped in registers
      copyOut(
          kern,
          y,
          yg,
          addend,
          addShift,
          scratch,
          buf + (p - p0) * mr * nb,
          p,
          c0,
          c1,
          clamped ? Float.NEGATIVE_INFINITY : lo,
          clamped ? Float.POSITIVE_INFINITY : hi,
          other);
    }
  }

  /** The real columns of row panel p's block [c0, c1) from the buffer at t, into y. */
  private void copyOut(
      GemmMicroKernel kern,
      float[] y,
      int yg,
      float[] addend,
      int addShift,
      float[] scratch,
      int t,
      int p,
      int c0,
      int c1,
      float lo,
      float hi,
      Epilogue other) {
    int o0 = p * mr;
    int m = Math.min(mr, mg - o0);
    int ow = g.out[2];
    int plane = g.outPlane();
    // a block over the whole plane gets its epilogue once, on the m contiguous rows of y
    boolean whole = c0 == 0 && c1 == flat;
    if (addend == null && !whole) {
      finish(kern, scratch, t, nb, m, c1 - c0, lo, hi, other);
    }
    // the real columns, one run per output row (one run in all when rows have no gap)
    boolean gapless = pitch == ow;
    int oh0 = gapless ? 0 : c0 / pitch;
    int oh1 = gapless ? 0 : (c1 - 1) / pitch;
    for (int r = 0; r < m; r++) {
      int src = t + r * nb - c0;
      int dst = yg + (o0 + r) * plane;
      for (int oh = oh0; oh <= oh1; oh++) {
        int f0 = gapless ? c0 : Math.max(c0, oh * pitch);
        int f1 = gapless ? c1 : Math.min(c1, oh * pitch + ow);
        if (f1 <= f0) {
          continue;
        }
        int d = dst + oh * ow + f0 - oh * pitch;
        if (addend == null) {
          System.arraycopy(scratch, src + f0, y, d, f1 - f0);
        } else {
          int a = d + addShift;
          int s = src + f0;
          for (int j = 0; j < f1 - f0; j++) {
            y[d + j] = scratch[s + j] + addend[a + j];
          }
          if (!whole) {
            finish(kern, y, d, 0, 1, f1 - f0, lo, hi, other);
          }
        }
      }
    }
    if (whole) {
      finish(kern, y, yg + o0 * plane, 0, 1, m * plane, lo, hi, other);
    }
  }
}
