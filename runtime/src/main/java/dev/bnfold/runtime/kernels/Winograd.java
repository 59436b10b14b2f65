package dev.bnfold.runtime.kernels;

/**
 * Winograd F(4x4, 3x3) convolution for 2-D 3x3 convolutions with stride 1, dilation 1 and one
 * group, over NCHW float data. Each 4x4 output tile comes from a 6x6 input tile: {@code Y = A^T [
 * sum over c of (G w_c G^T) . (B^T d_c B) ] A} (. element-wise), so the 9 * 16 multiplies per tile,
 * channel and output channel of a direct convolution become 36: 4x fewer (the transforms cost per
 * tile and channel, not per channel pair).
 *
 * <p>The 36 element-wise products summed over input channels are 36 independent matrix products,
 * run with the packed GEMM micro-kernel: for each transform position xi, {@code Mx (tiles, M) = Vx
 * (tiles, C) * Ux (C, M)}. Tiles are the GEMM rows (A side, mr rows per panel) and output channels
 * the columns (B side), so the small planes of late layers (16 tiles on 14x14) waste at most mr - 1
 * padded rows rather than a whole nr-wide panel.
 *
 * <ul>
 *   <li>{@link #transformWeights}, once per model: {@code U[xi] (C, M) = (G w G^T)[xi]}, each
 *       packed as B panels ({@link Gemm#packB}).
 *   <li>Per block of tiles ({@link #runJobs}): the rows under the block of a few channels at a time
 *       are copied into zero-padded planes, whose 6x6 windows are transformed ({@code B^T d B})
 *       straight into packed A panels {@code V[xi]} ({@link WinogradTransforms#input}); the 36
 *       GEMMs write {@code Mx[xi] (tiles, M)} ({@link #products}); the output transform ({@code A^T
 *       m A}, {@link WinogradTransforms#output}), one run of tiles within a tile row at a time,
 *       adds the bias and an optional residual addend, applies the fused activation, and stores the
 *       valid part of each 4x4 tile.
 * </ul>
 *
 * <p>Where the time goes (vector kernels, AVX-512, one thread, thread CPU time per call; input
 * transform / products / output transform, the output with a residual addend and ReLU): 64 channels
 * on 56x56 0.35 / 0.43 / 0.36 ms, 128 on 28x28 0.21 / 0.54 / 0.22, 256 on 14x14 0.12 / 0.66 / 0.12
 * (from 0.42 / 0.43 / 0.98, 0.23 / 0.54 / 0.49 and 0.16 / 0.66 / 0.26 with the scalar input
 * transform and a tile-by-tile output). The products of the 14x14 layer stream all of U (4x the
 * weights: 9.4 MB) for only 16 tiles, so they run at memory speed.
 *
 * <p>Matrices (Lavin and Gray, "Fast Algorithms for Convolutional Neural Networks", interpolation
 * points 0, 1, -1, 2, -2 and infinity):
 *
 * <pre>
 * B^T = [4  0 -5  0 1 0]   G = [ 1/4     0     0]   A^T = [1 1  1 1  1 0]
 *       [0 -4 -4  1 1 0]       [-1/6 -1/6  -1/6]          [0 1 -1 2 -2 0]
 *       [0  4 -4 -1 1 0]       [-1/6  1/6  -1/6]          [0 1  1 4  4 0]
 *       [0 -2 -1  2 1 0]       [1/24 1/12   1/6]          [0 1 -1 8 -8 1]
 *       [0  2 -1 -2 1 0]       [1/24 -1/12  1/6]
 *       [0  4  0 -5 0 1]       [   0     0     1]
 * </pre>
 *
 * In float32 the error grows with the transforms' larger coefficients: within 2e-5 of the output
 * scale on random 256- and 512-channel layers (WinogradTest); on whole models about twice the
 * direct path's (ResNet-18 logits 6.7e-6 against 2.9e-6, Wide ResNet-50-2 1.0e-4 against 4.9e-5,
 * verify bound 1.6e-4 and 2.0e-4).
 */
public final class Winograd {
  private Winograd() {}

  /** Output tile side. */
  static final int TILE = 4;

  /** Transform positions (6 x 6). */
  static final int XI = 36;

  /** Bytes of per-block scratch (V and Mx) aimed for: well inside a 2 MB L2. */
  private static final int BLOCK_BYTES = 1 << 20;

  /** True if the geometry is one Winograd F(4x4, 3x3) computes: 2-D 3x3, stride 1, undilated. */
  public static boolean applies(ConvGeometry g) {
    return g.group == 1
        && g.in[0] == 1
        && g.out[0] == 1
        && g.k[0] == 1
        && g.k[1] == 3
        && g.k[2] == 3
        && g.stride[1] == 1
        && g.stride[2] == 1
        && g.dilation[1] == 1
        && g.dilation[2] == 1;
  }

  /** Tiles per output row. */
  static int tilesW(ConvGeometry g) {
    return (g.out[2] + TILE - 1) / TILE;
  }

  /**
   * True if Winograd is expected to beat the GEMM paths on this geometry (see {@link #applies}):
   * enough channels that the GEMMs outweigh the transforms, and enough tiles (two 8-tile panels)
   * that the 4x larger transformed weights are reused. Measured (thread CPU time, one thread,
   * against the im2col or gather path): 64 channels on 56x56 1.2 ms against 2.05, 128 on 28x28 1.0
   * against 1.85, 256 on 14x14 0.9 against 1.5; 512 on 7x7 (4 tiles) 1.7 against 1.7.
   */
  public static boolean pays(ConvGeometry g) {
    return applies(g) && g.c >= 64 && g.m >= 64 && tiles(g) >= 16;
  }

  /** Tiles per image. */
  public static int tiles(ConvGeometry g) {
    return (g.out[1] + TILE - 1) / TILE * tilesW(g);
  }

  /** Floats of transformed weights for a kernel with nr-wide panels. */
  public static int transformedWeightSize(ConvGeometry g, int nr) {
    return Math.multiplyExact(XI, Gemm.packedBSize(g.c, g.m, nr));
  }

  /**
   * Transforms weights (M, C, 3, 3) at {@code wOff} into {@code dst}: 36 matrices {@code U[xi] (C,
   * M)} packed as B panels of width nr, {@link Gemm#packedBSize} floats apart.
   */
  public static void transformWeights(float[] dst, float[] w, int wOff, ConvGeometry g, int nr) {
    int c1 = g.c;
    int m1 = g.m;
    float[] u = new float[Math.multiplyExact(XI, Math.multiplyExact(c1, m1))]; // (XI, C, M)
    float[] t = new float[18]; // G g: (6, 3)
    float[] row = new float[6];
    for (int o = 0; o < m1; o++) {
      for (int c = 0; c < c1; c++) {
        int wi = wOff + (o * c1 + c) * 9;
        for (int j = 0; j < 3; j++) { // columns of g: G g
          float g0 = w[wi + j];
          float g1 = w[wi + 3 + j];
          float g2 = w[wi + 6 + j];
          weightColumn(t, j, 3, g0, g1, g2);
        }
        for (int i = 0; i < 6; i++) { // rows of G g: (G g) G^T
          weightColumn(row, 0, 1, t[i * 3], t[i * 3 + 1], t[i * 3 + 2]);
          for (int j = 0; j < 6; j++) {
            u[((i * 6 + j) * c1 + c) * m1 + o] = row[j];
          }
        }
      }
    }
    int per = Gemm.packedBSize(c1, m1, nr);
    for (int xi = 0; xi < XI; xi++) {
      Gemm.packB(dst, xi * per, u, xi * c1 * m1, m1, false, c1, m1, nr);
    }
  }

  /** {@code G (g0, g1, g2)^T} into {@code d[off + i * step]}, i < 6, computed in double. */
  private static void weightColumn(float[] d, int off, int step, float g0, float g1, float g2) {
    double a = g0;
    double b = g1;
    double c = g2;
    d[off] = (float) (a / 4);
    d[off + step] = (float) (-(a + b + c) / 6);
    d[off + 2 * step] = (float) (-(a - b + c) / 6);
    d[off + 3 * step] = (float) (a / 24 + b / 12 + c / 6);
    d[off + 4 * step] = (float) (a / 24 - b / 12 + c / 6);
    d[off + 5 * step] = (float) c;
  }

  /**
   * Distance between the 36 matrices of V or Mx: their size plus one cache line, so that the 36
   * streams the transforms read and write do not fall into the same few L1 sets (a multiple of 2
   * KiB, as 56 tiles x 64 channels is, maps them all onto two).
   */
  private static int xiStride(int floats) {
    return floats + 16;
  }

  /** The tiling of one geometry for one micro-kernel: computed once, when a layer is bound. */
  public static final class Tiling {
    final ConvGeometry g;
    final int mr;
    final int nr;
    final WinogradTransforms transforms;

    /** Tiles per row, tiles, mr-tile panels, blocks per image, most tiles in a block. */
    final int tw;

    final int tiles;
    final int panels;
    final int blocks;
    final int bt;

    /** Output-channel chunks per block for the thread count the tiling was made for. */
    final int chunks;

    /** Row length of the zero-padded input plane, and its most rows for one block. */
    final int wp;

    final int planeRows;

    /** Offset of each tile's window in the padded plane (row 0 = first padded input row). */
    final int[] offs;

    final int vStride;
    final int mStride;

    /** Scratch floats per worker. */
    final int scratch;

    /**
     * Blocks are runs of whole mr-tile panels, as equal as panels allow: as many as keep V and Mx
     * of a block within {@link #BLOCK_BYTES} (but at least 16 tiles each: every block streams all
     * of U, 4x the weights, through the cache; up to 4 per thread when U is small), rounded up to a
     * multiple of {@code threads}. When there are fewer blocks than threads, each block's output
     * channels are split into chunks instead (a chunk repeats its block's input transform but
     * streams only its part of U).
     */
    Tiling(ConvGeometry g, GemmMicroKernel kern, WinogradTransforms transforms, int threads) {
      if (!applies(g)) {
        throw new IllegalArgumentException("not a 3x3 stride-1 dense convolution");
      }
      this.g = g;
      this.mr = kern.mr();
      this.nr = kern.nr();
      this.transforms = transforms;
      tw = tilesW(g);
      tiles = Winograd.tiles(g);
      panels = (tiles + mr - 1) / mr;
      int maxTiles = Math.max(Math.min(tiles, 16), BLOCK_BYTES / (4 * XI * (g.c + g.m)));
      int maxPanels = Math.max(1, maxTiles / mr);
      int b = (panels + maxPanels - 1) / maxPanels;
      if (threads > 1 && 4L * XI * g.c * g.m <= BLOCK_BYTES) {
        // U stays in L2, so more blocks cost little: up to four per thread, which keeps the
        // wait for the last one short when a pool thread starts late
        b = Math.max(b, Math.min(panels, 4 * threads));
      }
      if (threads > 1 && b > 1) {
        b = Math.min(panels, (b + threads - 1) / threads * threads);
      }
      blocks = b;
      bt = (panels + blocks - 1) / blocks * mr;
      chunks = channelChunks(threads);
      wp = TILE * tw + 2;
      int rowsMax = 0;
      for (int k = 0; k < blocks; k++) {
        int ty0 = blockStart(k) / tw;
        int ty1 = (blockStart(k + 1) - 1) / tw;
        rowsMax = Math.max(rowsMax, TILE * (ty1 - ty0) + 6);
      }
      planeRows = rowsMax;
      int padded = (tiles + mr - 1) / mr * mr + mr; // whole panels, and one more
      offs = new int[padded];
      for (int t = 0; t < padded; t++) {
        int tt = Math.min(t, tiles - 1); // padding lanes read the last tile's window
        offs[t] = TILE * (tt / tw) * wp + TILE * (tt % tw);
      }
      vStride = xiStride(bt * g.c);
      mStride = xiStride(bt * g.m);
      scratch =
          Math.toIntExact(
              XI * ((long) vStride + mStride)
                  + (long) PLANES * planeRows * wp
                  + TMP_INPUT
                  + TMP_OUTPUT);
    }

    /** First tile of block k (k = blocks: the end). */
    int blockStart(int k) {
      return Math.min(tiles, (int) ((long) panels * k / blocks) * mr);
    }

    /** Output-channel chunks per block for the thread count this tiling was made for. */
    public int chunks() {
      return chunks;
    }

    /** Scratch floats {@link #runJobs} needs per worker. */
    public int scratchSize() {
      return scratch;
    }

    /** Jobs of {@link #runJobs}: (image, tile block, output-channel chunk). */
    public int jobs(int mChunks) {
      return Math.multiplyExact(Math.multiplyExact(g.n, blocks), mChunks);
    }

    /**
     * Output-channel chunks per tile block so that every one of {@code threads} threads has a job
     * when the image has fewer tile blocks than threads (the 14x14 planes: one block); each chunk
     * is whole nr-wide panels.
     */
    public int channelChunks(int threads) {
      long jobs = (long) g.n * blocks;
      if (threads <= 1 || jobs >= threads) {
        return 1;
      }
      int mPanels = Gemm.panels(g.m, nr);
      return (int) Math.max(1, Math.min(mPanels, (threads + jobs - 1) / jobs));
    }
  }

  /** Channels whose padded planes are copied before one call of the input transform. */
  private static final int PLANES = 4;

  /** Floats of scratch the input transforms use (see {@link WinogradTransforms#input}). */
  private static final int TMP_INPUT = WinogradTransforms.TMP_INPUT;

  /** Floats of scratch the output transforms use (see {@link WinogradTransforms#output}). */
  private static final int TMP_OUTPUT = WinogradTransforms.TMP_OUTPUT;

  /** The one-thread tiling of {@code g} for {@code kern}, with the transforms of its family. */
  public static Tiling tiling(ConvGeometry g, GemmMicroKernel kern) {
    return new Tiling(g, kern, Kernels.winogradFor(kern), 1);
  }

  /** The tiling of {@code g} for {@code kern} and {@code threads} threads. */
  public static Tiling tiling(ConvGeometry g, GemmMicroKernel kern, int threads) {
    return new Tiling(g, kern, Kernels.winogradFor(kern), threads);
  }

  /** The tiling of {@code g} for {@code kern} with the given transforms and thread count. */
  public static Tiling tiling(
      ConvGeometry g, GemmMicroKernel kern, WinogradTransforms tr, int threads) {
    return new Tiling(g, kern, tr, threads);
  }

  /**
   * Jobs {@code [job0, job1)} (see {@link Tiling#jobs}): y (N, M, OH, OW) = conv(x (N, C, H, W), w)
   * + b (+ addend, same shape as y, if not null), then {@code epilogue} (may be null). {@code u}
   * holds {@link #transformWeights}; {@link Tiling#scratchSize} floats of scratch at {@code sOff}.
   * Jobs write disjoint outputs, so ranges may run on different threads with separate scratch.
   */
  public static void runJobs(
      GemmMicroKernel kern,
      Tiling tl,
      float[] y,
      int yOff,
      float[] x,
      int xOff,
      float[] u,
      float[] b,
      int bOff,
      float[] addend,
      int addOff,
      Epilogue epilogue,
      int mChunks,
      float[] scratch,
      int sOff,
      int job0,
      int job1) {
    float[] clamp = epilogue == null ? null : epilogue.clampBounds();
    runJobs(
        kern,
        tl,
        y,
        yOff,
        x,
        xOff,
        u,
        b,
        bOff,
        addend,
        addOff,
        clamp == null ? Float.NEGATIVE_INFINITY : clamp[0],
        clamp == null ? Float.POSITIVE_INFINITY : clamp[1],
        clamp == null ? epilogue : null,
        mChunks,
        scratch,
        sOff,
        job0,
        job1);
  }

  /**
   * {@link #runJobs} with the fused activation given as a clamp to {@code [lo, hi]} (infinite for
   * none) and {@code other}, a function applied after it (may be null): bounds taken from the
   * epilogue once, when the layer is bound, rather than on every call.
   */
  public static void runJobs(
      GemmMicroKernel kern,
      Tiling tl,
      float[] y,
      int yOff,
      float[] x,
      int xOff,
      float[] u,
      float[] b,
      int bOff,
      float[] addend,
      int addOff,
      float lo,
      float hi,
      Epilogue other,
      int mChunks,
      float[] scratch,
      int sOff,
      int job0,
      int job1) {
    ConvGeometry g = tl.g;
    int nr = kern.nr();
    int c1 = g.c;
    int m1 = g.m;
    int blocks = tl.blocks;
    int vOff = sOff;
    int mOff = vOff + XI * tl.vStride;
    int pOff = mOff + XI * tl.mStride; // the padded input plane of one channel
    int tmp = pOff + PLANES * tl.planeRows * tl.wp;
    int panels = Gemm.panels(m1, nr);
    for (int job = job0; job < job1; job++) {
      int chunk = job % mChunks;
      int block = job / mChunks % blocks;
      int n = job / mChunks / blocks;
      int t0 = tl.blockStart(block);
      int nt = tl.blockStart(block + 1) - t0;
      int q0 = panels * chunk / mChunks;
      int q1 = panels * (chunk + 1) / mChunks;
      if (q0 >= q1) {
        continue;
      }
      inputTransform(tl, scratch, vOff, x, xOff + n * c1 * g.inPlane(), t0, nt, pOff, tmp);
      products(kern, tl, scratch, vOff, mOff, u, nt, q0, q1);
      int yn = yOff + n * m1 * g.outPlane();
      outputTransform(
          tl,
          y,
          yn,
          scratch,
          mOff,
          b,
          bOff,
          addend,
          addOff - yOff,
          lo,
          hi,
          other,
          t0,
          nt,
          q0 * nr,
          Math.min(m1, q1 * nr),
          scratch,
          tmp);
    }
  }

  /**
   * The 36 products {@code Mx[xi] (nt, M) = V[xi] (nt, C) * U[xi] (C, M)} for output-channel panels
   * {@code [q0, q1)}: V as packed A panels at {@code s[vOff..]}, Mx row-major at {@code s[mOff..]}.
   * (Starting the tiles from a zero row bias instead, which spares clearing Mx, measured 12%
   * slower.)
   */
  static void products(
      GemmMicroKernel kern,
      Tiling tl,
      float[] s,
      int vOff,
      int mOff,
      float[] u,
      int nt,
      int q0,
      int q1) {
    int c1 = tl.g.c;
    int m1 = tl.g.m;
    int uStride = Gemm.packedBSize(c1, m1, tl.nr);
    for (int xi = 0; xi < XI; xi++) {
      Gemm.multiplyPacked(
          kern,
          s,
          mOff + xi * tl.mStride,
          m1,
          s,
          vOff + xi * tl.vStride,
          u,
          xi * uStride,
          nt,
          m1,
          c1,
          false,
          q0,
          q1);
    }
  }

  /**
   * Transforms tiles {@code [t0, t0+nt)} of all channels of one image (x at xn) into packed A
   * panels: {@code v[vOff + xi*vStride + (tt/mr)*mr*C + c*mr + tt%mr] = (B^T d B)[xi]} for tile t0
   * + tt and channel c. The rows under the block's tiles of {@link #PLANES} channels at a time are
   * first copied into zero-padded planes at {@code pOff} (the padding made explicit), so that every
   * tile is read without bounds checks, and the vector transforms can fill whole panel rows of
   * several channels at once.
   */
  static void inputTransform(
      Tiling tl, float[] s, int vOff, float[] x, int xn, int t0, int nt, int pOff, int tmp) {
    ConvGeometry g = tl.g;
    int c1 = g.c;
    int ih1 = g.in[1];
    int iw1 = g.in[2];
    int wp = tl.wp;
    int ty0 = t0 / tl.tw;
    int ty1 = (t0 + nt - 1) / tl.tw;
    int rows = TILE * (ty1 - ty0) + 6;
    int ph = g.padBegin[1];
    int pw = g.padBegin[2];
    int lo = Math.min(wp, pw); // padded columns [lo, hi) hold input columns
    int hi = Math.max(lo, Math.min(wp, iw1 + pw));
    int plane = g.inPlane();
    int planeStride = rows * wp;
    int base = pOff - TILE * ty0 * wp; // where tile offsets (from padded row 0) start
    for (int c0 = 0; c0 < c1; c0 += PLANES) {
      int nc = Math.min(PLANES, c1 - c0);
      for (int k = 0; k < nc; k++) {
        int xc = xn + (c0 + k) * plane;
        int pk = pOff + k * planeStride;
        for (int r = 0; r < rows; r++) {
          int d = pk + r * wp;
          int h = TILE * ty0 + r - ph;
          if (h < 0 || h >= ih1 || hi == lo) {
            java.util.Arrays.fill(s, d, d + wp, 0f);
            continue;
          }
          for (int j = 0; j < lo; j++) {
            s[d + j] = 0f;
          }
          System.arraycopy(x, xc + h * iw1 + lo - pw, s, d + lo, hi - lo);
          for (int j = hi; j < wp; j++) {
            s[d + j] = 0f;
          }
        }
      }
      tl.transforms.input(
          s,
          vOff + c0 * tl.mr,
          tl.vStride,
          tl.mr,
          tl.mr * c1,
          s,
          base,
          planeStride,
          nc,
          wp,
          tl.offs,
          t0,
          nt,
          s,
          tmp);
    }
  }

  /**
   * {@code A^T m A} for tiles {@code [t0, t0+nt)} and output channels {@code [o0, o1)} from {@code
   * mx[mOff + xi*mStride + tt*M + o]}; adds bias and addend ({@code add[y index + aDelta]}), clamps
   * to {@code [lo, hi]}, applies {@code other} (may be null), and stores the in-image part of each
   * 4x4 tile into y (M, OH, OW) at yn.
   */
  static void outputTransform(
      Tiling tl,
      float[] y,
      int yn,
      float[] mx,
      int mOff,
      float[] b,
      int bOff,
      float[] add,
      int aDelta,
      float lo,
      float hi,
      Epilogue other,
      int t0,
      int nt,
      int o0,
      int o1,
      float[] tmp,
      int tmpOff) {
    ConvGeometry g = tl.g;
    int m1 = g.m;
    int oh1 = g.out[1];
    int ow1 = g.out[2];
    int plane = g.outPlane();
    int tw = tl.tw;
    for (int t = t0; t < t0 + nt; ) { // one run of tiles within a tile row at a time
      int t1 = Math.min(t0 + nt, (t / tw + 1) * tw);
      int h0 = t / tw * TILE;
      int w0 = t % tw * TILE;
      int rows = Math.min(TILE, oh1 - h0);
      int cols = Math.min(TILE * (t1 - t), ow1 - w0);
      int yt = yn + h0 * ow1 + w0;
      tl.transforms.output(
          y,
          yt,
          ow1,
          plane,
          rows,
          cols,
          t1 - t,
          mx,
          mOff + (t - t0) * m1,
          m1,
          tl.mStride,
          o0,
          o1,
          b,
          bOff,
          add,
          aDelta,
          lo,
          hi,
          tmp,
          tmpOff);
      if (other != null) {
        for (int oc = o0; oc < o1; oc++) {
          for (int i = 0; i < rows; i++) {
            other.apply(y, yt + oc * plane + i * ow1, cols);
          }
        }
      }
      t = t1;
    }
  }

  /** The plain-Java transforms: one tile, one channel at a time. */
  public static final WinogradTransforms SCALAR =
      new WinogradTransforms() {
        @Override
        public void input(
            float[] v,
            int d,
            int vStride,
            int mr,
            int panelStride,
            float[] p,
            int pOff,
            int planeStride,
            int nc,
            int rs,
            int[] offs,
            int t,
            int nt,
            float[] tmp,
            int tmpOff) {
          for (int k = 0; k < nc; k++) {
            int pk = pOff + k * planeStride;
            int dk = d + k * mr;
            for (int i = 0; i < nt; i++) {
              inputTile(v, dk + i / mr * panelStride + i % mr, vStride, p, pk + offs[t + i], rs);
            }
          }
        }

        @Override
        public void output(
            float[] y,
            int yt,
            int ow1,
            int plane,
            int rows,
            int cols,
            int nt,
            float[] mx,
            int s,
            int ldm,
            int mStride,
            int o0,
            int o1,
            float[] b,
            int bOff,
            float[] add,
            int aDelta,
            float lo,
            float hi,
            float[] tmp,
            int tmpOff) {
          for (int i = 0; i < nt; i++) {
            outputTiles(
                y,
                yt + TILE * i,
                ow1,
                plane,
                rows,
                Math.min(TILE, cols - TILE * i),
                mx,
                s + i * ldm,
                mStride,
                o0,
                o1,
                b,
                bOff,
                add,
                aDelta,
                lo,
                hi,
                tmp,
                tmpOff);
          }
        }
      };

  /**
   * {@code B^T d B} of the 6x6 tile d (rows {@code rs} apart from {@code s}) into {@code v[d +
   * xi*vStride]}, xi = 6*i + j.
   */
  private static void inputTile(float[] v, int d, int vStride, float[] src, int s, int rs) {
    // columns first: e = B^T d, kept in 36 locals
    float e00, e01, e02, e03, e04, e05;
    float e10, e11, e12, e13, e14, e15;
    float e20, e21, e22, e23, e24, e25;
    float e30, e31, e32, e33, e34, e35;
    float e40, e41, e42, e43, e44, e45;
    float e50, e51, e52, e53, e54, e55;
    {
      int j = 0;
      float d0 = src[s + j], d1 = src[s + rs + j], d2 = src[s + 2 * rs + j];
      float d3 = src[s + 3 * rs + j], d4 = src[s + 4 * rs + j], d5 = src[s + 5 * rs + j];
      float p = d4 - 4 * d2, q = d3 - 4 * d1, r = d4 - d2, w = 2 * (d3 - d1);
      e00 = 4 * d0 - 5 * d2 + d4;
      e10 = p + q;
      e20 = p - q;
      e30 = r + w;
      e40 = r - w;
      e50 = 4 * d1 - 5 * d3 + d5;
    }
    {
      int j = 1;
      float d0 = src[s + j], d1 = src[s + rs + j], d2 = src[s + 2 * rs + j];
      float d3 = src[s + 3 * rs + j], d4 = src[s + 4 * rs + j], d5 = src[s + 5 * rs + j];
      float p = d4 - 4 * d2, q = d3 - 4 * d1, r = d4 - d2, w = 2 * (d3 - d1);
      e01 = 4 * d0 - 5 * d2 + d4;
      e11 = p + q;
      e21 = p - q;
      e31 = r + w;
      e41 = r - w;
      e51 = 4 * d1 - 5 * d3 + d5;
    }
    {
      int j = 2;
      float d0 = src[s + j], d1 = src[s + rs + j], d2 = src[s + 2 * rs + j];
      float d3 = src[s + 3 * rs + j], d4 = src[s + 4 * rs + j], d5 = src[s + 5 * rs + j];
      float p = d4 - 4 * d2, q = d3 - 4 * d1, r = d4 - d2, w = 2 * (d3 - d1);
      e02 = 4 * d0 - 5 * d2 + d4;
      e12 = p + q;
      e22 = p - q;
      e32 = r + w;
      e42 = r - w;
      e52 = 4 * d1 - 5 * d3 + d5;
    }
    {
      int j = 3;
      float d0 = src[s + j], d1 = src[s + rs + j], d2 = src[s + 2 * rs + j];
      float d3 = src[s + 3 * rs + j], d4 = src[s + 4 * rs + j], d5 = src[s + 5 * rs + j];
      float p = d4 - 4 * d2, q = d3 - 4 * d1, r = d4 - d2, w = 2 * (d3 - d1);
      e03 = 4 * d0 - 5 * d2 + d4;
      e13 = p + q;
      e23 = p - q;
      e33 = r + w;
      e43 = r - w;
      e53 = 4 * d1 - 5 * d3 + d5;
    }
    {
      int j = 4;
      float d0 = src[s + j], d1 = src[s + rs + j], d2 = src[s + 2 * rs + j];
      float d3 = src[s + 3 * rs + j], d4 = src[s + 4 * rs + j], d5 = src[s + 5 * rs + j];
      float p = d4 - 4 * d2, q = d3 - 4 * d1, r = d4 - d2, w = 2 * (d3 - d1);
      e04 = 4 * d0 - 5 * d2 + d4;
      e14 = p + q;
      e24 = p - q;
      e34 = r + w;
      e44 = r - w;
      e54 = 4 * d1 - 5 * d3 + d5;
    }
    {
      int j = 5;
      float d0 = src[s + j], d1 = src[s + rs + j], d2 = src[s + 2 * rs + j];
      float d3 = src[s + 3 * rs + j], d4 = src[s + 4 * rs + j], d5 = src[s + 5 * rs + j];
      float p = d4 - 4 * d2, q = d3 - 4 * d1, r = d4 - d2, w = 2 * (d3 - d1);
      e05 = 4 * d0 - 5 * d2 + d4;
      e15 = p + q;
      e25 = p - q;
      e35 = r + w;
      e45 = r - w;
      e55 = 4 * d1 - 5 * d3 + d5;
    }
    // then rows: (B^T d) B
    inputRow(v, d, vStride, e00, e01, e02, e03, e04, e05);
    inputRow(v, d + 6 * vStride, vStride, e10, e11, e12, e13, e14, e15);
    inputRow(v, d + 12 * vStride, vStride, e20, e21, e22, e23, e24, e25);
    inputRow(v, d + 18 * vStride, vStride, e30, e31, e32, e33, e34, e35);
    inputRow(v, d + 24 * vStride, vStride, e40, e41, e42, e43, e44, e45);
    inputRow(v, d + 30 * vStride, vStride, e50, e51, e52, e53, e54, e55);
  }

  /** One row of {@code (B^T d) B}: six values to {@code v[d + j*vStride]}. */
  private static void inputRow(
      float[] v, int d, int vStride, float d0, float d1, float d2, float d3, float d4, float d5) {
    float p = d4 - 4 * d2;
    float q = d3 - 4 * d1;
    float r = d4 - d2;
    float w = 2 * (d3 - d1);
    v[d] = 4 * d0 - 5 * d2 + d4;
    v[d + vStride] = p + q;
    v[d + 2 * vStride] = p - q;
    v[d + 3 * vStride] = r + w;
    v[d + 4 * vStride] = r - w;
    v[d + 5 * vStride] = 4 * d1 - 5 * d3 + d5;
  }

  /**
   * The plain-Java {@link WinogradTransforms#output}: one channel at a time, {@code tmp[tmpOff ..
   * +40)} as temporary.
   */
  static void outputTiles(
      float[] y,
      int yt,
      int ow1,
      int plane,
      int rows,
      int cols,
      float[] mx,
      int s,
      int mStride,
      int o0,
      int o1,
      float[] b,
      int bOff,
      float[] add,
      int aDelta,
      float lo,
      float hi,
      float[] tmp,
      int tmpOff) {
    for (int oc = o0; oc < o1; oc++) {
      outputTile(tmp, tmpOff, mx, s + oc, mStride);
      float bias = b == null ? 0f : b[bOff + oc];
      int yc = yt + oc * plane;
      for (int i = 0; i < rows; i++) {
        int yr = yc + i * ow1;
        for (int j = 0; j < cols; j++) {
          float val = tmp[tmpOff + i * 4 + j] + bias;
          if (add != null) {
            val += add[yr + aDelta + j];
          }
          y[yr + j] = Math.min(Math.max(val, lo), hi);
        }
      }
    }
  }

  /**
   * {@code A^T m A} of the 6x6 tile {@code m[s + xi*stride]} into {@code o[oOff..]} (4, 4), with
   * {@code o[oOff+16 ..+40)} as temporary.
   */
  private static void outputTile(float[] o, int oOff, float[] m, int s, int stride) {
    // rows first: f = m A, (6, 4)
    float[] f = o;
    int fo = oOff + 16;
    for (int i = 0; i < 6; i++) {
      int r = s + 6 * i * stride;
      float m0 = m[r], m1 = m[r + stride], m2 = m[r + 2 * stride];
      float m3 = m[r + 3 * stride], m4 = m[r + 4 * stride], m5 = m[r + 5 * stride];
      float a = m1 + m2;
      float bb = m1 - m2;
      float c = m3 + m4;
      float d = m3 - m4;
      f[fo + i * 4] = m0 + a + c;
      f[fo + i * 4 + 1] = bb + 2 * d;
      f[fo + i * 4 + 2] = a + 4 * c;
      f[fo + i * 4 + 3] = bb + 8 * d + m5;
    }
    for (int j = 0; j < 4; j++) { // then columns: A^T f
      int fj = fo + j;
      float m0 = f[fj], m1 = f[fj + 4], m2 = f[fj + 8], m3 = f[fj + 12], m4 = f[fj + 16];
      float m5 = f[fj + 20];
      float a = m1 + m2;
      float bb = m1 - m2;
      float c = m3 + m4;
      float d = m3 - m4;
      o[oOff + j] = m0 + a + c;
      o[oOff + 4 + j] = bb + 2 * d;
      o[oOff + 8 + j] = a + 4 * c;
      o[oOff + 12 + j] = bb + 8 * d + m5;
    }
  }
}
