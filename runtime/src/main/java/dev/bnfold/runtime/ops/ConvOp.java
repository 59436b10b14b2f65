package dev.bnfold.runtime.ops;

import dev.bnfold.runtime.ModelFormatException;
import dev.bnfold.runtime.UnsupportedModelException;
import dev.bnfold.runtime.format.NodeDef;
import dev.bnfold.runtime.kernels.BlockedKernels;
import dev.bnfold.runtime.kernels.Conv;
import dev.bnfold.runtime.kernels.ConvGeometry;
import dev.bnfold.runtime.kernels.Depthwise;
import dev.bnfold.runtime.kernels.DepthwiseKernel;
import dev.bnfold.runtime.kernels.ElementwiseKernel;
import dev.bnfold.runtime.kernels.Epilogue;
import dev.bnfold.runtime.kernels.GatherConv;
import dev.bnfold.runtime.kernels.GemmMicroKernel;
import dev.bnfold.runtime.kernels.Kernels;
import dev.bnfold.runtime.kernels.PanelLayout;
import dev.bnfold.runtime.kernels.Winograd;
import java.util.Arrays;

/**
 * Conv (1-D, 2-D, 3-D; groups, depthwise, strides, dilations, pads, auto_pad). X (N, C, in...), W
 * (M, C/group, k...), optional B (M). Paths: direct depthwise when C == group; otherwise packed
 * GEMM with weights packed once at load, or stored packed in the model file (1x1 convs skip
 * im2col); the reference loop when the weights are not a constant. A fused activation is applied in
 * the epilogue.
 */
final class ConvOp extends Op {
  /** Multiply-adds below which a GEMM conv runs on the calling thread only (see bind). */
  private static final long SERIAL_MACS = 1 << 20;

  private final Window win;
  private final int group;
  private final int[] wShape;
  // per-group packed A panels (see weightLayout); W itself for a depthwise conv; null if W is not
  // a constant
  private final float[] packedW;
  private final GemmMicroKernel gemm;
  private final boolean winograd; // a Winograd candidate (see bind): 3x3, stride 1, one group
  private float[] winogradWeights; // transformed on first use, guarded by this
  private final float[] biasData; // the bias if it is a constant, else null
  private float[][] blockedWeights; // {W, bias} for BlockedKernels, packed on first use; by this
  private Activation act;
  private boolean residual; // input 3 is added to the output before act (see fuseResidual)

  private ConvOp(
      NodeDef node,
      Window win,
      int group,
      int[] wShape,
      float[] packedW,
      GemmMicroKernel gemm,
      boolean winograd,
      float[] biasData) {
    super(node);
    this.biasData = biasData;
    this.win = win;
    this.group = group;
    this.wShape = wShape;
    this.packedW = packedW;
    this.gemm = gemm;
    this.winograd = winograd;
  }

  static Op create(NodeDef n, Attrs a, OpContext c, GemmMicroKernel gemm) {
    ConvOp probe = new ConvOp(n, null, 1, null, null, null, false, null);
    probe.arity(2, 3, 1);
    int[] wShape = c.constantShape(n.inputs().get(1));
    if (wShape != null && wShape.length < 3) {
      throw new ModelFormatException(
          "node "
              + n.describe()
              + ": weights of rank "
              + wShape.length
              + ", a Conv needs rank 3 to 5");
    }
    long[] ks = a.ints("kernel_shape", null);
    if (ks == null) {
      if (wShape == null) {
        throw new UnsupportedModelException(
            "node " + n.describe() + ": needs kernel_shape or constant weights");
      }
      ks = new long[wShape.length - 2];
      for (int i = 0; i < ks.length; i++) {
        ks[i] = wShape[i + 2];
      }
    }
    if (ks.length < 1 || ks.length > 3) {
      throw new UnsupportedModelException(
          "node "
              + n.describe()
              + ": "
              + ks.length
              + "-D convolution is not supported (1-D to 3-D)");
    }
    Window win = new Window(n, a, ks.length, ks, false);
    long group = a.i("group", 1);
    if (group < 1 || group > Integer.MAX_VALUE) {
      throw new ModelFormatException("node " + n.describe() + ": group " + group + " must be >= 1");
    }
    String wName = n.inputs().get(1);
    float[] packed = null;
    if (wShape != null && c.constantLongs(wName) == null) { // constant FLOAT32 weights
      if (wShape.length != ks.length + 2 || wShape[0] % group != 0) {
        throw new ModelFormatException(
            "node "
                + n.describe()
                + ": weight shape "
                + Shapes.str(wShape)
                + " does not fit group "
                + group);
      }
      for (int i = 0; i < ks.length; i++) {
        if (wShape[i + 2] != ks[i]) {
          throw new ModelFormatException(
              "node "
                  + n.describe()
                  + ": weight shape "
                  + Shapes.str(wShape)
                  + " disagrees with kernel_shape "
                  + Arrays.toString(ks));
        }
      }
      PanelLayout layout = weightLayout(wShape, group, gemm);
      // depthwise: W itself, read in place by the depthwise path (only its presence matters)
      packed = layout == null ? c.constantFloats(wName) : c.constantPacked(wName, layout);
      if (layout != null && wShape[1] == 1 && group > 1) {
        c.constantFloats(wName); // a 3-D conv that may run depthwise (depth 1) reads W in place
      }
    }
    boolean winograd =
        packed != null
            && weightLayout(wShape, group, gemm) != null
            && Winograd.applies(
                geometry(
                    win, (int) group, 1, 1, new int[] {1, 8, 8}, new int[] {1, 8, 8}, new int[3]));
    float[] bias = probe.hasInput(2) ? c.constantFloats(n.inputs().get(2)) : null;
    return new ConvOp(n, win, (int) group, wShape, packed, gemm, winograd, bias);
  }

  /**
   * The layout the GEMM paths read constant weights (M, C/group, k...) in: per-group A panels of
   * the kernel's mr rows; null for a 1-D or 2-D depthwise conv, whose path reads W in place. The
   * model writer stores weights in this layout (see {@link WeightLayouts}).
   */
  static PanelLayout weightLayout(int[] wShape, long group, GemmMicroKernel gemm) {
    boolean depthwise = wShape[1] == 1 && group > 1 && wShape.length <= 4; // Conv.isDepthwise
    return depthwise ? null : PanelLayout.rows((int) group, gemm.mr());
  }

  private static ConvGeometry geometry(
      Window win, int group, int c, int m, int[] in3, int[] out3, int[] padBegin3) {
    return new ConvGeometry(
        1,
        c,
        m,
        group,
        in3,
        out3,
        Window.to3(win.kernel, 1),
        Window.to3(win.strides, 1),
        Window.to3(win.dilations, 1),
        padBegin3);
  }

  /** The Winograd-transformed weights for {@code g}, computed once (they need C, M and nr only). */
  private synchronized float[] winogradWeights(ConvGeometry g) {
    if (winogradWeights == null) {
      // W (M, C, 3, 3) unpacked from the GEMM panels, the only copy the model keeps
      float[] w = new float[Shapes.size(wShape)];
      weightLayout(wShape, group, gemm)
          .unpack(w, packedW, Arrays.stream(wShape).asLongStream().toArray());
      float[] u = new float[Winograd.transformedWeightSize(g, gemm.nr())];
      Winograd.transformWeights(u, w, 0, g, gemm.nr());
      winogradWeights = u;
    }
    return winogradWeights;
  }

  /**
   * 2-D convs with constant weights and bias, no dilation, in two shapes: 1x1 stride-1 unpadded
   * (residual allowed, same shape as the output) on a plane of at least the kernel's minimum whose
   * channel padding adds at most 40% to its work, and depthwise with one output channel per input
   * channel.
   */
  @Override
  public boolean blockable(int[][] in, int[][] out, BlockedKernels kernels) {
    if (packedW == null || win.spatial != 2 || (hasInput(2) && biasData == null)) {
      return false;
    }
    int[] convOut = inferShapesConv(in);
    if (!Arrays.equals(convOut, out[0]) || residual && !Arrays.equals(in[3], convOut)) {
      return false;
    }
    ConvGeometry g = geometry(in[0], out[0], in[1][0]);
    if (g.dilation[1] != 1 || g.dilation[2] != 1) {
      return false;
    }
    if (Depthwise.isDepthwise(g)) {
      return g.m == g.c && !residual;
    }
    if (isStem(g)) {
      return !residual
          && g.out[2] >= 7
          && BlockedKernels.padded(g.m) * 5 <= g.m * 7; // as below, for the output channels
    }
    // padding both channel counts to whole blocks costs up to (32 * 32) / (24 * 24) = 1.78x the
    // multiply-adds: shufflenet's 24->24 convs ran 0.013 -> 0.025 ms blocked
    long padded = (long) BlockedKernels.padded(g.c) * BlockedKernels.padded(g.m);
    return g.group == 1
        && g.isPointwise()
        && g.outPlane() >= kernels.minPlane()
        && padded * 5 <= (long) g.c * g.m * 7;
  }

  /** X (unless the conv is a {@link #isStem stem}), and the residual addend. */
  @Override
  public boolean acceptsBlocked(int input, int[][] in) {
    return input == 0 ? in[0][1] >= BlockedKernels.BLOCK || group != 1 : input == 3;
  }

  /**
   * A dense conv with fewer input channels than a block (an image's first conv): the blocked path
   * reads its input plain (padding 3 channels to 16 would multiply its work by 5) and writes its
   * output blocked.
   */
  private static boolean isStem(ConvGeometry g) {
    return g.group == 1 && g.c < BlockedKernels.BLOCK;
  }

  /** W and the bias packed for the blocked kernels, once. */
  private synchronized float[][] blockedWeights(ConvGeometry g, boolean depthwise) {
    if (blockedWeights == null) {
      float[] w;
      if (depthwise) {
        w = BlockedKernels.packDepthwise(packedW, g.c, g.kernelSize());
      } else {
        float[] rowMajor = new float[Shapes.size(wShape)];
        weightLayout(wShape, group, gemm)
            .unpack(rowMajor, packedW, Arrays.stream(wShape).asLongStream().toArray());
        w =
            isStem(g)
                ? BlockedKernels.packStem(rowMajor, g.m, g.c * g.kernelSize())
                : BlockedKernels.packPointwise(rowMajor, g.m, g.c);
      }
      blockedWeights = new float[][] {w, BlockedKernels.padBias(biasData, g.m)};
    }
    return blockedWeights;
  }

  /**
   * The conv in the channel-blocked layout (see {@link #blockable}). Inputs that arrive plain are
   * converted into scratch first, and a plain output is computed in scratch and converted at the
   * end; both conversions run on the calling thread.
   */
  private Step bindBlocked(Binding b, ConvGeometry g, Epilogue epi) {
    BlockedKernels k = b.blocked();
    boolean depthwise = Depthwise.isDepthwise(g);
    boolean stem = !depthwise && isStem(g);
    float[][] packed = blockedWeights(g, depthwise);
    float[] w = packed[0];
    float[] bias = packed[1];
    int kp = BlockedKernels.padded(g.c);
    int np = BlockedKernels.padded(g.m);
    int inPlane = g.in[1] * g.in[2];
    int outPlane = g.out[1] * g.out[2];
    int ix = b.inIds[0];
    int ia = residual ? b.inIds[3] : -1;
    int iy = b.outIds[0];
    boolean xPlain = !b.inBlocked(0);
    boolean aPlain = ia >= 0 && !b.inBlocked(3);
    boolean yPlain = !b.outBlocked();
    int[] window = {
      g.in[1],
      g.in[2],
      g.out[1],
      g.out[2],
      g.k[1],
      g.k[2],
      g.stride[1],
      g.stride[2],
      g.padBegin[1],
      g.padBegin[2]
    };
    int[] stemPlan = stem ? BlockedKernels.stemPlan(g.c, window) : null;
    int[] geom = depthwise ? BlockedKernels.depthwisePlan(window) : null;
    // scratch (worker 0's region, shared): converted or padded x, converted addend, y before
    // conversion
    int xt = 0;
    int at = xt + (stem ? g.c * stemPlan[0] * stemPlan[1] : xPlain ? kp * inPlane : 0);
    int yt = at + (aPlain ? np * outPlane : 0);
    b.needScratch(yt + (yPlain ? np * outPlane : 0));
    float[] clamp = epi == null ? null : epi.clampBounds();
    float lo = clamp == null ? Float.NEGATIVE_INFINITY : clamp[0];
    float hi = clamp == null ? Float.POSITIVE_INFINITY : clamp[1];
    Epilogue other = clamp == null ? epi : null; // applied by each job to its part of the output
    int groups = BlockedKernels.groups(np);
    int chunks; // pixel chunks per output-channel group (pointwise)
    int jobs;
    if (depthwise) {
      chunks = 1;
      jobs = np / BlockedKernels.BLOCK; // channel blocks
    } else if (stem) {
      int groups32 = (np + 31) / 32;
      chunks = b.threads == 1 ? 1 : Math.min(g.out[1], 4 * b.threads);
      jobs = groups32 * chunks;
    } else {
      chunks =
          b.threads == 1
              ? 1
              : Math.max(
                  1,
                  Math.min(outPlane / (4 * k.minPlane()), (4 * b.threads + groups - 1) / groups));
      jobs = groups * chunks;
    }
    b.kernel(depthwise ? "blocked-depthwise" : stem ? "blocked-stem" : "blocked-1x1");
    Parallel.FrameBody[] bodies = new Parallel.FrameBody[g.n];
    for (int n = 0; n < g.n; n++) {
      int img = n;
      bodies[n] =
          (f, wk, from, to) -> {
            int so = f.scratchOff(0);
            float[] x = xPlain ? f.scratch : f.buf[ix];
            int xo = xPlain ? so + xt : f.off[ix] + img * kp * inPlane;
            float[] y = yPlain ? f.scratch : f.buf[iy];
            int yo = yPlain ? so + yt : f.off[iy] + img * np * outPlane;
            if (stem) {
              int rows = g.out[1];
              for (int j = from; j < to; j++) {
                int c = j % chunks;
                k.stem(
                    y,
                    yo,
                    x,
                    xo,
                    w,
                    bias,
                    stemPlan,
                    np,
                    lo,
                    hi,
                    other,
                    j / chunks,
                    j / chunks + 1,
                    c * rows / chunks,
                    (c + 1) * rows / chunks);
              }
              return;
            }
            if (depthwise) {
              for (int cb = from; cb < to; cb++) {
                k.depthwise(y, yo, x, xo, w, bias, geom, lo, hi, cb, cb + 1);
                if (other != null) { // on the block's plane while it is in cache
                  int plane = outPlane * BlockedKernels.BLOCK;
                  other.apply(y, yo + cb * plane, plane);
                }
              }
              return;
            }
            float[] add = ia < 0 ? null : aPlain ? f.scratch : f.buf[ia];
            int ao = ia < 0 ? 0 : aPlain ? so + at : f.off[ia] + img * np * outPlane;
            for (int j = from; j < to; j++) {
              int c = j % chunks;
              int g0 = j / chunks;
              int p0 = (int) ((long) c * outPlane / chunks);
              int p1 = (int) ((long) (c + 1) * outPlane / chunks);
              k.pointwise(
                  y, yo, x, xo, w, bias, add, ao, kp, np, outPlane, lo, hi, g0, g0 + 1, p0, p1);
              if (other != null) { // on this job's part of the output, by its worker
                int cs = BlockedKernels.groupStart(np, g0);
                int width = BlockedKernels.groupWidth(np, cs);
                for (int ch = cs; ch < cs + width; ch += BlockedKernels.BLOCK) {
                  // block ch / 16, pixels [p0, p1)
                  other.apply(
                      y,
                      yo + ch * outPlane + p0 * BlockedKernels.BLOCK,
                      (p1 - p0) * BlockedKernels.BLOCK);
                }
              }
            }
          };
    }
    return f -> {
      int so = f.scratchOff(0);
      for (int n = 0; n < g.n; n++) {
        if (stem) {
          BlockedKernels.padPlain(
              f.scratch, so + xt, f.buf[ix], f.off[ix] + n * g.c * inPlane, stemPlan);
        } else if (xPlain) {
          k.toBlocked(f.scratch, so + xt, f.buf[ix], f.off[ix] + n * g.c * inPlane, g.c, inPlane);
        }
        if (aPlain) {
          k.toBlocked(f.scratch, so + at, f.buf[ia], f.off[ia] + n * g.m * outPlane, g.m, outPlane);
        }
        f.parallel.forRange(f, jobs, bodies[n]);
        if (yPlain) {
          k.fromBlocked(
              f.buf[iy], f.off[iy] + n * g.m * outPlane, f.scratch, so + yt, g.m, outPlane);
        }
      }
    };
  }

  @Override
  public boolean fuse(Activation a) {
    if (act != null) {
      return false;
    }
    act = a;
    return true;
  }

  @Override
  public Activation fused() {
    return act;
  }

  /**
   * Accepted for the dense GEMM-based paths: constant weights and one group (so never the depthwise
   * path), and before any activation is fused (the activation applies to the sum).
   */
  @Override
  public boolean fuseResidual() {
    if (residual || act != null || packedW == null || group != 1) {
      return false;
    }
    residual = true;
    return true;
  }

  @Override
  public int[][] inferShapes(int[][] in) {
    int[] out = inferShapesConv(in);
    if (residual) { // the fused Add: numpy broadcasting of the conv output and the addend
      return new int[][] {Shapes.broadcast(out, in[3])};
    }
    return new int[][] {out};
  }

  /** The convolution's own output shape (before a fused residual's broadcasting). */
  private int[] inferShapesConv(int[][] in) {
    int[] x = in[0];
    int[] w = in[1];
    int s = win.spatial;
    if (x.length != s + 2) {
      throw shapeError("input X " + Shapes.str(x) + " must have rank " + (s + 2));
    }
    if (w.length != s + 2 || w[0] % group != 0 || x[1] != w[1] * group) {
      throw shapeError(
          "weights "
              + Shapes.str(w)
              + " do not fit input "
              + Shapes.str(x)
              + " with group "
              + group);
    }
    for (int i = 0; i < s; i++) {
      if (w[i + 2] != win.kernel[i]) {
        throw shapeError("weights " + Shapes.str(w) + " disagree with kernel_shape");
      }
    }
    if (in.length > 2 && in[2] != null && (in[2].length != 1 || in[2][0] != w[0])) {
      throw shapeError("bias " + Shapes.str(in[2]) + " must be [" + w[0] + "]");
    }
    int[] sp = Arrays.copyOfRange(x, 2, x.length);
    int[] o = win.outSize(sp, win.resolvePads(sp));
    int[] out = new int[s + 2];
    out[0] = x[0];
    out[1] = w[0];
    System.arraycopy(o, 0, out, 2, s);
    return out;
  }

  /**
   * A fused residual whose addend does not have the conv's output shape (it broadcasts, in either
   * direction): the conv goes to scratch through the GEMM path, then {@code y = act(conv + addend)}
   * with numpy broadcasting, one element at a time. Correct for any shapes; real models add equal
   * shapes and never get here.
   */
  private Step bindBroadcastResidual(Binding b, int[] convOut) {
    b.kernel("gemm-im2col+broadcast-add");
    ConvGeometry g = geometry(b.in[0], convOut, b.in[1][0]);
    int ix = b.inIds[0];
    int ib = b.inIds.length > 2 ? b.inIds[2] : -1;
    int ia = b.inIds[3];
    int iy = b.outIds[0];
    int convSize = Shapes.size(convOut);
    b.needScratch(Math.addExact(convSize, Conv.scratchSize(g, gemm.nr())));
    int[] out = b.out[0];
    int[] sc = Shapes.broadcastStrides(convOut, out);
    int[] sa = Shapes.broadcastStrides(b.in[3], out);
    int total = Shapes.size(out);
    GemmMicroKernel k = gemm;
    float[] pw = packedW;
    int jobs = Conv.gemmJobs(g, 1);
    Activation a = act;
    return f -> {
      float[] bias = ib < 0 ? null : f.buf[ib];
      int bo = ib < 0 ? 0 : f.off[ib];
      Conv.gemmPathJobs(
          k, f.scratch, 0, f.buf[ix], f.off[ix], pw, bias, bo, null, g, 1, f.scratch, convSize, 0,
          jobs);
      float[] y = f.buf[iy];
      int yo = f.off[iy];
      float[] add = f.buf[ia];
      int ao = f.off[ia];
      for (int i = 0; i < total; i++) {
        int rest = i;
        int ci = 0;
        int ai = 0;
        for (int d = out.length - 1; d >= 0; d--) {
          int idx = rest % out[d];
          rest /= out[d];
          ci += idx * sc[d];
          ai += idx * sa[d];
        }
        y[yo + i] = f.scratch[ci] + add[ao + ai];
      }
      if (a != null) {
        a.apply(y, yo, total);
      }
    };
  }

  ConvGeometry geometry(int[] x, int[] y, int m) {
    int[] sp = Arrays.copyOfRange(x, 2, x.length);
    int[][] pads = win.resolvePads(sp);
    ConvGeometry g =
        geometry(
            win,
            group,
            x[1],
            m,
            Window.to3(sp, 1),
            Window.to3(Arrays.copyOfRange(y, 2, y.length), 1),
            Window.to3(pads[0], 0));
    return new ConvGeometry(
        x[0], g.c, g.m, g.group, g.in, g.out, g.k, g.stride, g.dilation, g.padBegin);
  }

  /** True if {@link #gemvStep} applies: group 1, no padding or dilation, a 1x1 output plane. */
  private static boolean isGemv(ConvGeometry g) {
    for (int d = 0; d < 3; d++) {
      if (g.out[d] != 1 || g.in[d] != g.k[d] || g.padBegin[d] != 0 || g.dilation[d] != 1) {
        return false;
      }
    }
    return g.group == 1;
  }

  /**
   * y (N, M) = W (M, K) x (N, K) per image + bias, then the activation; K = C * kernel size (the
   * window covers the input exactly, so W's rows and x are laid out alike). W is read from its
   * packed panels ({@code width} rows each), the form the weights are kept in.
   */
  private static Step gemvStep(
      ConvGeometry g,
      float[] pw,
      int width,
      int ix,
      int ib,
      int iy,
      Epilogue epi,
      ElementwiseKernel k) {
    int m = g.m;
    int kk = g.c * g.k[0] * g.k[1] * g.k[2];
    return f -> {
      float[] y = f.buf[iy];
      for (int n = 0; n < g.n; n++) {
        int yo = f.off[iy] + n * m;
        k.gemvPanels(y, yo, pw, 0, width, f.buf[ix], f.off[ix] + n * kk, m, kk);
        if (ib >= 0) {
          k.add(y, yo, y, yo, f.buf[ib], f.off[ib], m);
        }
      }
      if (epi != null) {
        epi.apply(y, f.off[iy], g.n * m);
      }
    };
  }

  @Override
  public Step bind(Binding b) {
    if (residual) {
      int[] convOut = inferShapesConv(b.in);
      if (!Arrays.equals(convOut, b.out[0]) || !Arrays.equals(b.in[3], convOut)) {
        return bindBroadcastResidual(b, convOut);
      }
    }
    ConvGeometry g = geometry(b.in[0], b.out[0], b.in[1][0]);
    int ia = residual ? b.inIds[3] : -1; // fused residual addend, same shape as the output
    int ix = b.inIds[0];
    int iw = b.inIds[1];
    int ib = b.inIds.length > 2 ? b.inIds[2] : -1;
    int iy = b.outIds[0];
    int total = Shapes.size(b.out[0]);
    Activation a = act;
    Epilogue epi = a == null ? null : a.asEpilogue(); // fused activation
    if (b.blocked() != null) {
      return bindBlocked(b, g, epi);
    }
    // ---- gemv: the window covers the whole input and the output plane is 1x1 ----------------
    // (squeeze-excitation convs on a 1x1 plane, fully connected layers written as Conv): each
    // output channel is one dot product of its weight row with the input, read in place.
    if (packedW != null && ia < 0 && isGemv(g)) {
      b.kernel("gemv");
      return gemvStep(g, packedW, gemm.mr(), ix, ib, iy, epi, Kernels.elementwiseFor(gemm));
    }
    // ---- end gemv ------------------------------------------------------------------------------
    if (packedW != null && Depthwise.isDepthwise(g)) {
      DepthwiseKernel k = Kernels.depthwiseFor(gemm);
      Depthwise dw = Depthwise.plan(g, k);
      b.needScratch(dw.scratchSize());
      b.kernel("depthwise-" + k.name() + (dw.lanes() > 0 ? "-interleaved" : ""));
      Parallel.FrameBody body =
          (f, wk, from, to) ->
              dw.runJobs(
                  k,
                  f.buf[iy],
                  f.off[iy],
                  f.buf[ix],
                  f.off[ix],
                  f.buf[iw],
                  f.off[iw],
                  ib < 0 ? null : f.buf[ib],
                  ib < 0 ? 0 : f.off[ib],
                  epi,
                  f.scratch,
                  f.scratchOff(wk),
                  from,
                  to);
      return f -> f.parallel.forRange(f, dw.jobs(), body);
    }
    // ---- Winograd F(4x4, 3x3): 3x3 stride-1 dense convs with enough channels and tiles ----
    if (winograd && Winograd.pays(g)) {
      b.kernel("winograd-f4x4");
      GemmMicroKernel k = gemm;
      float[] u = winogradWeights(g);
      Winograd.Tiling tl = Winograd.tiling(g, k, b.threads);
      b.needScratch(tl.scratchSize());
      int chunks = b.threads == 1 ? 1 : tl.chunks();
      float[] clamp = epi == null ? null : epi.clampBounds(); // once, not per call
      float lo = clamp == null ? Float.NEGATIVE_INFINITY : clamp[0];
      float hi = clamp == null ? Float.POSITIVE_INFINITY : clamp[1];
      Epilogue other = clamp == null ? epi : null;
      Parallel.FrameBody body =
          (f, wk, from, to) ->
              Winograd.runJobs(
                  k,
                  tl,
                  f.buf[iy],
                  f.off[iy],
                  f.buf[ix],
                  f.off[ix],
                  u,
                  ib < 0 ? null : f.buf[ib],
                  ib < 0 ? 0 : f.off[ib],
                  ia < 0 ? null : f.buf[ia],
                  ia < 0 ? 0 : f.off[ia],
                  lo,
                  hi,
                  other,
                  chunks,
                  f.scratch,
                  f.scratchOff(wk),
                  from,
                  to);
      int jobs = tl.jobs(chunks);
      return f -> f.parallel.forRange(f, jobs, body);
    }
    // ---- end Winograd ----
    if (packedW != null && GatherConv.applies(g, gemm)) {
      // a conv this small runs on the calling thread: handing it to the workers and sharing its
      // B between cores cost more than the second core saved (digits-cnn's 8x8 conv at 2 threads:
      // 12.5 us against 6.5 on one)
      long macs = (long) g.n * g.m * g.outPlane() * (g.c / g.group) * g.kernelSize();
      boolean serial = b.threads > 1 && macs < SERIAL_MACS;
      int threads = serial ? 1 : b.threads;
      GatherConv gc = GatherConv.plan(g, gemm, threads);
      b.kernel(gc.pointwise() ? "gemm-1x1" : gc.compact() ? "gemm-compact" : "gemm-gather");
      b.needScratch(gc.scratchStride(threads));
      GemmMicroKernel k = gemm;
      float[] pw = packedW;
      int jobs = gc.jobs();
      int units = gc.padUnits();
      // loop bodies per image, bound now so that running allocates nothing
      Parallel.FrameBody[] pads = new Parallel.FrameBody[g.n];
      Parallel.FrameBody[] bodies = new Parallel.FrameBody[g.n];
      for (int n = 0; n < g.n; n++) {
        int img = n;
        pads[n] =
            (f, wk, from, to) ->
                gc.pad(f.scratch, f.scratchOff(0), f.buf[ix], f.off[ix], img, from, to);
        bodies[n] =
            (f, wk, from, to) ->
                gc.run(
                    k,
                    f.buf[iy],
                    f.off[iy],
                    f.buf[ix],
                    f.off[ix],
                    pw,
                    ib < 0 ? null : f.buf[ib],
                    ib < 0 ? 0 : f.off[ib],
                    ia < 0 ? null : f.buf[ia],
                    ia < 0 ? 0 : f.off[ia],
                    epi,
                    f.scratch,
                    f.scratchOff(0),
                    wk,
                    img,
                    from,
                    to);
      }
      if (serial) {
        return f -> {
          for (int n = 0; n < g.n; n++) {
            if (units > 0) {
              pads[n].run(f, 0, 0, units);
            }
            bodies[n].run(f, 0, 0, jobs);
          }
        };
      }
      return f -> {
        for (int n = 0; n < g.n; n++) {
          if (units > 0) {
            f.parallel.forRange(f, units, pads[n]);
          }
          f.parallel.forRange(f, jobs, bodies[n]);
        }
      };
    }
    if (packedW != null) {
      b.kernel(g.isPointwise() ? "gemm-1x1" : "gemm-im2col");
      b.needScratch(Conv.scratchSize(g, gemm.nr()));
      GemmMicroKernel k = gemm;
      float[] pw = packedW;
      int chunks = b.threads == 1 ? 1 : Conv.rowChunks(g, k.mr(), b.threads);
      int jobs = Conv.gemmJobs(g, chunks);
      Parallel.FrameBody body =
          (f, wk, from, to) ->
              Conv.gemmPathJobs(
                  k,
                  f.buf[iy],
                  f.off[iy],
                  f.buf[ix],
                  f.off[ix],
                  pw,
                  ib < 0 ? null : f.buf[ib],
                  ib < 0 ? 0 : f.off[ib],
                  ia < 0 ? null : f.buf[ia],
                  ia < 0 ? 0 : f.off[ia],
                  epi,
                  g,
                  chunks,
                  f.scratch,
                  f.scratchOff(wk),
                  from,
                  to);
      return f -> f.parallel.forRange(f, jobs, body);
    }
    Step core =
        f ->
            Conv.reference(
                f.buf[iy],
                f.off[iy],
                f.buf[ix],
                f.off[ix],
                f.buf[iw],
                f.off[iw],
                ib < 0 ? null : f.buf[ib],
                ib < 0 ? 0 : f.off[ib],
                g);
    if (a == null) {
      return core;
    }
    return f -> {
      core.run(f);
      a.apply(f.buf[iy], f.off[iy], total);
    };
  }
}
