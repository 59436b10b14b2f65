package dev.bnfold.bench;

import dev.bnfold.runtime.kernels.Conv;
import dev.bnfold.runtime.kernels.ConvGeometry;
import dev.bnfold.runtime.kernels.Depthwise;
import dev.bnfold.runtime.kernels.GatherConv;
import dev.bnfold.runtime.kernels.Gemm;
import dev.bnfold.runtime.kernels.GemmMicroKernel;
import dev.bnfold.runtime.kernels.Kernels;
import dev.bnfold.runtime.kernels.Winograd;
import dev.bnfold.runtime.kernels.vector.FmaPeak;
import dev.bnfold.runtime.kernels.vector.VectorGemmMicroKernel;
import dev.bnfold.runtime.kernels.vector.VectorGemmMicroKernel8;
import dev.bnfold.runtime.ops.Frame;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OperationsPerInvocation;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

/**
 * Single-thread kernel throughput on ResNet-18, MobileNetV2 and (depthwise 5x5) EfficientNet-B0 and
 * MobileNetV3 shapes, next to an FMA peak probe.
 *
 * <p>Every score is in GFLOP/s: an invocation is declared as {@code flops / 1000} operations and
 * the time unit is the microsecond. An FMA counts as two flops; a convolution as {@code 2 * M * P *
 * K}. Each state checks its kernel against the reference before anything is timed.
 *
 * <pre>
 * java -cp tools/target/bnfold.jar org.openjdk.jmh.Main KernelBenchmark
 * java -cp tools/target/bnfold.jar org.openjdk.jmh.Main KernelBenchmark -p impl=vector4,vector8,scalar
 * java -cp tools/target/bnfold.jar org.openjdk.jmh.Main KernelBenchmark.dw -p path=planar,interleaved,auto
 * </pre>
 *
 * <p>The {@code dw*} states time a depthwise layer through one of {@link Depthwise}'s two paths
 * ({@code path}): the one ConvOp plans ({@code auto}), the planar or the channel-interleaved one.
 *
 * <p>The {@code conv3x3_*} pairs time the same ResNet-18 3x3 stride-1 layer through the direct path
 * (im2col or gather) and through Winograd F(4x4, 3x3), whose score counts the direct convolution's
 * flops (an effective rate, above the FMA peak when Winograd saves enough).
 */
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(
    value = 1,
    jvmArgsAppend = {"--add-modules", "jdk.incubator.vector", "-Xmx2g"})
public class KernelBenchmark {
  private static final int PEAK_FLOPS = 1 << 26;

  /** The peak probe: independent FMA chains on registers, no memory traffic. */
  @Benchmark
  @OperationsPerInvocation(PEAK_FLOPS / 1000)
  public float fmaPeak() {
    return FmaPeak.run(PEAK_FLOPS);
  }

  /**
   * Which kernels: {@code vector} (what the runtime picks for this CPU), {@code vector4} (4 x 2
   * vectors), {@code vector8} (8 x 2 vectors) or {@code scalar} (the plain-Java fallback).
   */
  @State(Scope.Thread)
  public static class Impl {
    @Param({"vector"})
    public String impl;

    GemmMicroKernel kernel() {
      if (!"scalar".equals(impl) && Kernels.vectorGemm() == null) {
        throw new IllegalStateException("Vector API kernels not available");
      }
      switch (impl) {
        case "scalar":
          return Kernels.scalarGemm();
        case "vector4":
          return new VectorGemmMicroKernel();
        case "vector8":
          return new VectorGemmMicroKernel8();
        default:
          return Kernels.vectorGemm();
      }
    }
  }

  /**
   * A packed GEMM: C (m, n) = A (m, k) * B (k, n) with both operands pre-packed. B and C sit in one
   * large array at the offsets the runtime gives its scratch and intermediates ({@link Frame#LEAD}
   * mod 16 of an array G1 places on a region boundary), so that their vector loads are aligned as
   * in a model run; a small array lands anywhere, and its timing then varied 165-185 GFLOP/s from
   * fork to fork.
   */
  abstract static class GemmState {
    GemmMicroKernel kern;
    float[] pa;
    float[] pb; // B at pbOff, then C at cOff
    float[] c;
    int pbOff;
    int cOff;
    int m;
    int n;
    int k;

    void setUp(Impl impl, int m, int n, int k) {
      this.kern = impl.kernel();
      this.m = m;
      this.n = n;
      this.k = k;
      Random r = new Random(1);
      float[] a = random(r, m * k);
      float[] b = random(r, k * n);
      pa = new float[Gemm.packedASize(m, k, kern.mr())];
      int bSize = Gemm.packedBSize(k, n, kern.nr());
      pbOff = Frame.LEAD;
      cOff = pbOff + (bSize + 15) / 16 * 16;
      pb = new float[Math.max(cOff + m * n, 4 << 20)]; // 16 MiB: a humongous object under G1
      c = pb;
      Gemm.packA(pa, 0, a, 0, k, false, m, k, kern.mr());
      Gemm.packB(pb, pbOff, b, 0, n, false, k, n, kern.nr());
      run();
      float[] ref = new float[m * n];
      Gemm.reference(ref, 0, n, a, 0, k, false, b, 0, n, false, m, n, k, 1f, 0f);
      check(
          ref,
          java.util.Arrays.copyOfRange(c, cOff, cOff + m * n),
          "gemm " + m + "x" + n + "x" + k);
    }

    void run() {
      Gemm.multiplyPacked(
          kern, c, cOff, n, pa, 0, pb, pbOff, m, n, k, false, 0, Gemm.panels(n, kern.nr()));
    }
  }

  /** One im2col block of ResNet-18's 3x3 64->64 conv: fits in L2, the acceptance shape. */
  @State(Scope.Thread)
  public static class GemmInCache extends GemmState {
    static final int M = 64, N = 256, K = 576;

    @Setup
    public void setUp(Impl impl) {
      setUp(impl, M, N, K);
    }
  }

  /** ResNet-18 layer3 3x3 256->256 on 14x14 as one GEMM: (256, 196, 2304), L2-sized. */
  @State(Scope.Thread)
  public static class GemmLarge extends GemmState {
    static final int M = 256, N = 196, K = 2304;

    @Setup
    public void setUp(Impl impl) {
      setUp(impl, M, N, K);
    }
  }

  @Benchmark
  @OperationsPerInvocation(2 * GemmInCache.M * GemmInCache.N * GemmInCache.K / 1000)
  public float[] gemm_64x256x576(GemmInCache s) {
    s.run();
    return s.c;
  }

  @Benchmark
  @OperationsPerInvocation(2 * GemmLarge.M * GemmLarge.N * GemmLarge.K / 1000)
  public float[] gemm_256x196x2304(GemmLarge s) {
    s.run();
    return s.c;
  }

  /** A convolution with constant weights through the path ConvOp uses for it. */
  abstract static class ConvState {
    GemmMicroKernel kern;
    ConvGeometry g;
    float[] x;
    float[] w;
    float[] pw;
    float[] b;
    float[] y;
    float[] scratch;
    float[] u; // Winograd-transformed weights, for 3x3 stride-1 dense convs only
    float[] wScratch;
    float[] addend; // Winograd only: the residual added before the fused ReLU
    Winograd.Tiling tiling;
    GatherConv gather; // the in-place GEMM plan, if ConvOp would take it
    Depthwise dw; // the direct depthwise plan, or null

    void setUp(Impl impl, int c, int m, int group, int hw, int k, int stride) {
      kern = impl.kernel();
      int pad = k / 2;
      int out = (hw + 2 * pad - k) / stride + 1;
      g =
          new ConvGeometry(
              1,
              c,
              m,
              group,
              new int[] {1, hw, hw},
              new int[] {1, out, out},
              new int[] {1, k, k},
              new int[] {1, stride, stride},
              new int[] {1, 1, 1},
              new int[] {0, pad, pad});
      Random r = new Random(2);
      x = random(r, c * hw * hw);
      w = random(r, m * (c / group) * k * k);
      b = random(r, m);
      pw = new float[Conv.packedWeightSize(g, kern.mr())];
      Conv.packWeights(pw, w, 0, g, kern.mr());
      dw = Depthwise.isDepthwise(g) ? depthwisePlan() : null;
      gather = dw == null && GatherConv.applies(g, kern) ? GatherConv.plan(g, kern, 1) : null;
      scratch =
          new float
              [Math.max(
                  dw != null ? dw.scratchSize() : Conv.scratchSize(g, kern.nr()),
                  gather == null ? 0 : gather.scratchStride(1))];
      y = new float[m * out * out];
      run();
      float[] ref = new float[y.length];
      Conv.reference(ref, 0, x, 0, w, 0, b, 0, g);
      String what = "conv c=" + c + " m=" + m + " " + hw + "x" + hw + " k" + k + " s" + stride;
      check(ref, y, what);
      if (dw == null) { // the packed path, timed by the *_im2col benchmarks
        java.util.Arrays.fill(y, Float.NaN);
        runIm2col();
        check(ref, y, "im2col " + what);
      }
      if (Winograd.applies(g)) {
        u = new float[Winograd.transformedWeightSize(g, kern.nr())];
        Winograd.transformWeights(u, w, 0, g, kern.nr());
        tiling = Winograd.tiling(g, kern);
        wScratch = new float[tiling.scratchSize()];
        java.util.Arrays.fill(y, Float.NaN);
        runWinograd();
        check(ref, y, "winograd " + what);
        addend = random(r, y.length);
        float[] refRes = new float[y.length];
        for (int i = 0; i < y.length; i++) {
          refRes[i] = Math.max(ref[i] + addend[i], 0f);
        }
        java.util.Arrays.fill(y, Float.NaN);
        runWinogradResidual();
        check(refRes, y, "winograd residual+relu " + what);
      }
    }

    /** The depthwise plan ConvOp makes for g. */
    Depthwise depthwisePlan() {
      return Depthwise.plan(g, Kernels.depthwiseFor(kern));
    }

    /** The direct path ConvOp takes without Winograd: depthwise, gather or im2col GEMM. */
    void run() {
      if (dw != null) {
        dw.run(Kernels.depthwiseFor(kern), y, 0, x, 0, w, 0, b, 0, null, scratch, 0, 0, g.m);
      } else if (gather != null) {
        gather.pad(scratch, 0, x, 0, 0, 0, gather.padUnits());
        gather.run(kern, y, 0, x, 0, pw, b, 0, null, 0, null, scratch, 0, 0, 0, 0, gather.jobs());
      } else {
        runIm2col();
      }
    }

    /** The packed GEMM path with im2col (or B packed, for a pointwise conv), for comparison. */
    void runIm2col() {
      Conv.gemmPath(kern, y, 0, x, 0, pw, b, 0, g, scratch);
    }

    /** Winograd F(4x4, 3x3): GFLOP/s counted as the direct convolution's flops. */
    void runWinograd() {
      Winograd.runJobs(
          kern, tiling, y, 0, x, 0, u, b, 0, null, 0, null, 1, wScratch, 0, 0, tiling.jobs(1));
    }

    /** Winograd with a residual addend and ReLU fused, as in a ResNet block's second conv. */
    void runWinogradResidual() {
      Winograd.runJobs(
          kern,
          tiling,
          y,
          0,
          x,
          0,
          u,
          b,
          0,
          addend,
          0,
          0f,
          Float.POSITIVE_INFINITY,
          null,
          1,
          wScratch,
          0,
          0,
          tiling.jobs(1));
    }
  }

  /** ResNet-18 layer1: 3x3 64->64 on 56x56. */
  @State(Scope.Thread)
  public static class Conv3x3L1 extends ConvState {
    static final int FLOPS = 2 * 64 * 56 * 56 * 64 * 9;

    @Setup
    public void setUp(Impl impl) {
      setUp(impl, 64, 64, 1, 56, 3, 1);
    }
  }

  /** ResNet-18 stem: 7x7 stride 2, 3->64, 224x224 to 112x112 (phase-split im2col). */
  @State(Scope.Thread)
  public static class ConvStem extends ConvState {
    static final int FLOPS = 2 * 64 * 112 * 112 * 3 * 49;

    @Setup
    public void setUp(Impl impl) {
      setUp(impl, 3, 64, 1, 224, 7, 2);
    }
  }

  /** ResNet-18 layer2 entry: 3x3 stride 2, 64->128, 56x56 to 28x28. */
  @State(Scope.Thread)
  public static class Conv3x3S2 extends ConvState {
    static final int FLOPS = 2 * 128 * 28 * 28 * 64 * 9;

    @Setup
    public void setUp(Impl impl) {
      setUp(impl, 64, 128, 1, 56, 3, 2);
    }
  }

  /** ResNet-18 layer2: 3x3 128->128 on 28x28. */
  @State(Scope.Thread)
  public static class Conv3x3L2 extends ConvState {
    static final int FLOPS = 2 * 128 * 28 * 28 * 128 * 9;

    @Setup
    public void setUp(Impl impl) {
      setUp(impl, 128, 128, 1, 28, 3, 1);
    }
  }

  /** ResNet-18 layer4: 3x3 512->512 on 7x7. */
  @State(Scope.Thread)
  public static class Conv3x3L4 extends ConvState {
    static final int FLOPS = 2 * 512 * 7 * 7 * 512 * 9;

    @Setup
    public void setUp(Impl impl) {
      setUp(impl, 512, 512, 1, 7, 3, 1);
    }
  }

  /**
   * ResNet-18 layer4's conv with its weights cold, as in a model run: eight copies of the 9.4 MB of
   * packed weights (75 MB) are taken in turn, so none is in L2 when its conv starts. The gap to
   * {@link Conv3x3L4} is the cost of streaming the weights (in the model: 2.65 ms per conv).
   */
  @State(Scope.Thread)
  public static class Conv3x3L4Cold extends ConvState {
    static final int COPIES = 8;
    float[][] copies;
    int next;

    @Setup
    public void setUp(Impl impl) {
      setUp(impl, 512, 512, 1, 7, 3, 1);
      copies = new float[COPIES][];
      for (int i = 0; i < COPIES; i++) {
        copies[i] = pw.clone();
      }
    }

    /** The direct path on the next copy of the weights. */
    void runCold() {
      pw = copies[next];
      next = (next + 1) % COPIES;
      run();
    }
  }

  /** ResNet-18 layer3: 3x3 256->256 on 14x14. */
  @State(Scope.Thread)
  public static class Conv3x3L3 extends ConvState {
    static final int FLOPS = 2 * 256 * 14 * 14 * 256 * 9;

    @Setup
    public void setUp(Impl impl) {
      setUp(impl, 256, 256, 1, 14, 3, 1);
    }
  }

  /** MobileNetV2 expand: 1x1 24->144 on 56x56. */
  @State(Scope.Thread)
  public static class Conv1x1Expand extends ConvState {
    static final int FLOPS = 2 * 144 * 56 * 56 * 24;

    @Setup
    public void setUp(Impl impl) {
      setUp(impl, 24, 144, 1, 56, 1, 1);
    }
  }

  /** MobileNetV2 project: 1x1 144->24 on 56x56. */
  @State(Scope.Thread)
  public static class Conv1x1Project extends ConvState {
    static final int FLOPS = 2 * 24 * 56 * 56 * 144;

    @Setup
    public void setUp(Impl impl) {
      setUp(impl, 144, 24, 1, 56, 1, 1);
    }
  }

  /**
   * A depthwise convolution; {@code path}: {@code auto} (the plan ConvOp makes), {@code planar}
   * (the phase-split planar path) or {@code interleaved} (channel blocks of the kernel's lanes).
   */
  @State(Scope.Thread)
  public abstract static class DwState extends ConvState {
    @Param({"auto"})
    public String path;

    @Override
    Depthwise depthwisePlan() {
      switch (path) {
        case "auto":
          return super.depthwisePlan();
        case "planar":
          return Depthwise.plan(g);
        case "interleaved":
          return Depthwise.plan(g, Kernels.depthwiseFor(kern).lanes());
        default:
          throw new IllegalArgumentException("path " + path);
      }
    }

    void setUp(Impl impl, int c, int hw, int k, int stride) {
      setUp(impl, c, c, c, hw, k, stride);
    }
  }

  /** MobileNetV2 depthwise 3x3 stride 1: 144 channels on 56x56. */
  @State(Scope.Thread)
  public static class Depthwise1 extends DwState {
    static final int FLOPS = 2 * 144 * 56 * 56 * 9;

    @Setup
    public void setUp(Impl impl) {
      setUp(impl, 144, 144, 144, 56, 3, 1);
    }
  }

  /** MobileNetV2 depthwise 3x3 stride 1 on a short row: 384 channels on 14x14. */
  @State(Scope.Thread)
  public static class Depthwise14 extends DwState {
    static final int FLOPS = 2 * 384 * 14 * 14 * 9;

    @Setup
    public void setUp(Impl impl) {
      setUp(impl, 384, 384, 384, 14, 3, 1);
    }
  }

  /** MobileNetV2 depthwise 3x3 stride 2: 96 channels, 112x112 to 56x56. */
  @State(Scope.Thread)
  public static class Depthwise2 extends DwState {
    static final int FLOPS = 2 * 96 * 56 * 56 * 9;

    @Setup
    public void setUp(Impl impl) {
      setUp(impl, 96, 96, 96, 112, 3, 2);
    }
  }

  /** MobileNetV2 depthwise 3x3 stride 1 on the last stage: 960 channels on 7x7. */
  @State(Scope.Thread)
  public static class Depthwise7 extends DwState {
    static final int FLOPS = 2 * 960 * 7 * 7 * 9;

    @Setup
    public void setUp(Impl impl) {
      setUp(impl, 960, 960, 960, 7, 3, 1);
    }
  }

  /** EfficientNet-B0 depthwise 5x5 stride 1: 672 channels on 14x14. */
  @State(Scope.Thread)
  public static class Depthwise5x5 extends DwState {
    static final int FLOPS = 2 * 672 * 14 * 14 * 25;

    @Setup
    public void setUp(Impl impl) {
      setUp(impl, 672, 672, 672, 14, 5, 1);
    }
  }

  /** EfficientNet-B0 depthwise 5x5 stride 2: 144 channels, 56x56 to 28x28. */
  @State(Scope.Thread)
  public static class Depthwise5x5s2 extends DwState {
    static final int FLOPS = 2 * 144 * 28 * 28 * 25;

    @Setup
    public void setUp(Impl impl) {
      setUp(impl, 144, 144, 144, 56, 5, 2);
    }
  }

  /** MobileNetV3-Small / MnasNet depthwise 5x5 stride 1: 576 channels on 7x7. */
  @State(Scope.Thread)
  public static class Depthwise5x5x7 extends DwState {
    static final int FLOPS = 2 * 576 * 7 * 7 * 25;

    @Setup
    public void setUp(Impl impl) {
      setUp(impl, 576, 576, 576, 7, 5, 1);
    }
  }

  /** MobileNetV2 depthwise 3x3 stride 1 on the largest plane: 32 channels on 112x112. */
  @State(Scope.Thread)
  public static class Depthwise112 extends DwState {
    static final int FLOPS = 2 * 32 * 112 * 112 * 9;

    @Setup
    public void setUp(Impl impl) {
      setUp(impl, 32, 112, 3, 1);
    }
  }

  /** MobileNetV2 depthwise 3x3 stride 2: 144 channels, 56x56 to 28x28. */
  @State(Scope.Thread)
  public static class Depthwise2x56 extends DwState {
    static final int FLOPS = 2 * 144 * 28 * 28 * 9;

    @Setup
    public void setUp(Impl impl) {
      setUp(impl, 144, 56, 3, 2);
    }
  }

  /** MobileNetV2 depthwise 3x3 stride 2 on a small plane: 576 channels, 14x14 to 7x7. */
  @State(Scope.Thread)
  public static class Depthwise2x14 extends DwState {
    static final int FLOPS = 2 * 576 * 7 * 7 * 9;

    @Setup
    public void setUp(Impl impl) {
      setUp(impl, 576, 14, 3, 2);
    }
  }

  /**
   * ShuffleNetV2 x0.5 depthwise 3x3 stride 2 with fewer channels than a block: 24, 56x56 to 28x28.
   */
  @State(Scope.Thread)
  public static class DepthwiseShuffle extends DwState {
    static final int FLOPS = 2 * 24 * 28 * 28 * 9;

    @Setup
    public void setUp(Impl impl) {
      setUp(impl, 24, 56, 3, 2);
    }
  }

  @Benchmark
  @OperationsPerInvocation(Conv3x3L1.FLOPS / 1000)
  public float[] conv3x3_64_56(Conv3x3L1 s) {
    s.run();
    return s.y;
  }

  @Benchmark
  @OperationsPerInvocation(ConvStem.FLOPS / 1000)
  public float[] conv7x7s2_3to64_224(ConvStem s) {
    s.run();
    return s.y;
  }

  @Benchmark
  @OperationsPerInvocation(Conv3x3S2.FLOPS / 1000)
  public float[] conv3x3s2_64to128_56(Conv3x3S2 s) {
    s.run();
    return s.y;
  }

  @Benchmark
  @OperationsPerInvocation(Conv3x3L1.FLOPS / 1000)
  public float[] conv3x3_64_56_winograd(Conv3x3L1 s) {
    s.runWinograd();
    return s.y;
  }

  @Benchmark
  @OperationsPerInvocation(Conv3x3L1.FLOPS / 1000)
  public float[] conv3x3_64_56_residual_winograd(Conv3x3L1 s) {
    s.runWinogradResidual();
    return s.y;
  }

  @Benchmark
  @OperationsPerInvocation(Conv3x3L2.FLOPS / 1000)
  public float[] conv3x3_128_28(Conv3x3L2 s) {
    s.run();
    return s.y;
  }

  @Benchmark
  @OperationsPerInvocation(Conv3x3L2.FLOPS / 1000)
  public float[] conv3x3_128_28_winograd(Conv3x3L2 s) {
    s.runWinograd();
    return s.y;
  }

  @Benchmark
  @OperationsPerInvocation(Conv3x3L2.FLOPS / 1000)
  public float[] conv3x3_128_28_residual_winograd(Conv3x3L2 s) {
    s.runWinogradResidual();
    return s.y;
  }

  @Benchmark
  @OperationsPerInvocation(Conv3x3L3.FLOPS / 1000)
  public float[] conv3x3_256_14(Conv3x3L3 s) {
    s.run();
    return s.y;
  }

  @Benchmark
  @OperationsPerInvocation(Conv3x3L3.FLOPS / 1000)
  public float[] conv3x3_256_14_winograd(Conv3x3L3 s) {
    s.runWinograd();
    return s.y;
  }

  @Benchmark
  @OperationsPerInvocation(Conv3x3L3.FLOPS / 1000)
  public float[] conv3x3_256_14_residual_winograd(Conv3x3L3 s) {
    s.runWinogradResidual();
    return s.y;
  }

  @Benchmark
  @OperationsPerInvocation(Conv3x3L4.FLOPS / 1000)
  public float[] conv3x3_512_7(Conv3x3L4 s) {
    s.run();
    return s.y;
  }

  @Benchmark
  @OperationsPerInvocation(Conv3x3L4.FLOPS / 1000)
  public float[] conv3x3_512_7_cold(Conv3x3L4Cold s) {
    s.runCold();
    return s.y;
  }

  @Benchmark
  @OperationsPerInvocation(Conv3x3L4.FLOPS / 1000)
  public float[] conv3x3_512_7_winograd(Conv3x3L4 s) {
    s.runWinograd();
    return s.y;
  }

  @Benchmark
  @OperationsPerInvocation(Conv1x1Expand.FLOPS / 1000)
  public float[] conv1x1_24to144_56(Conv1x1Expand s) {
    s.run();
    return s.y;
  }

  @Benchmark
  @OperationsPerInvocation(Conv1x1Project.FLOPS / 1000)
  public float[] conv1x1_144to24_56(Conv1x1Project s) {
    s.run();
    return s.y;
  }

  /**
   * Pointwise convolutions of MobileNetV2 / EfficientNet-B0 by "c-m-hw" (in place against packed:
   * compare the two methods' times per shape; average-time mode, so no fixed flop count).
   */
  @State(Scope.Thread)
  public static class Pointwise extends ConvState {
    @Param({
      "16-96-112",
      "24-144-56",
      "32-192-28",
      "64-384-14",
      "96-576-14",
      "144-24-56",
      "384-64-14",
      "960-160-7",
      "320-1280-7"
    })
    public String shape;

    @Setup
    public void setUp(Impl impl) {
      String[] f = shape.split("-");
      setUp(impl, Integer.parseInt(f[0]), Integer.parseInt(f[1]), 1, Integer.parseInt(f[2]), 1, 1);
    }
  }

  @Benchmark
  @BenchmarkMode(Mode.AverageTime)
  @OutputTimeUnit(TimeUnit.MICROSECONDS)
  public float[] pointwise(Pointwise s) {
    s.run();
    return s.y;
  }

  @Benchmark
  @BenchmarkMode(Mode.AverageTime)
  @OutputTimeUnit(TimeUnit.MICROSECONDS)
  public float[] pointwise_packed(Pointwise s) {
    s.runIm2col();
    return s.y;
  }

  /** MobileNetV2 / EfficientNet-B0 stem: 3x3 stride 2, 3->32, 224x224 to 112x112. */
  @State(Scope.Thread)
  public static class MobileStem extends ConvState {
    static final int FLOPS = 2 * 32 * 112 * 112 * 3 * 9;

    @Setup
    public void setUp(Impl impl) {
      setUp(impl, 3, 32, 1, 224, 3, 2);
    }
  }

  @Benchmark
  @OperationsPerInvocation(ConvStem.FLOPS / 1000)
  public float[] conv7x7s2_3to64_224_im2col(ConvStem s) {
    s.runIm2col();
    return s.y;
  }

  @Benchmark
  @OperationsPerInvocation(Conv3x3S2.FLOPS / 1000)
  public float[] conv3x3s2_64to128_56_im2col(Conv3x3S2 s) {
    s.runIm2col();
    return s.y;
  }

  @Benchmark
  @OperationsPerInvocation(Conv3x3L4.FLOPS / 1000)
  public float[] conv3x3_512_7_im2col(Conv3x3L4 s) {
    s.runIm2col();
    return s.y;
  }

  @Benchmark
  @OperationsPerInvocation(MobileStem.FLOPS / 1000)
  public float[] conv3x3s2_3to32_224_im2col(MobileStem s) {
    s.runIm2col();
    return s.y;
  }

  @Benchmark
  @OperationsPerInvocation(MobileStem.FLOPS / 1000)
  public float[] conv3x3s2_3to32_224(MobileStem s) {
    s.run();
    return s.y;
  }

  @Benchmark
  @OperationsPerInvocation(Depthwise1.FLOPS / 1000)
  public float[] dw3x3s1_144_56(Depthwise1 s) {
    s.run();
    return s.y;
  }

  @Benchmark
  @OperationsPerInvocation(Depthwise14.FLOPS / 1000)
  public float[] dw3x3s1_384_14(Depthwise14 s) {
    s.run();
    return s.y;
  }

  @Benchmark
  @OperationsPerInvocation(Depthwise2.FLOPS / 1000)
  public float[] dw3x3s2_96_112(Depthwise2 s) {
    s.run();
    return s.y;
  }

  @Benchmark
  @OperationsPerInvocation(Depthwise7.FLOPS / 1000)
  public float[] dw3x3s1_960_7(Depthwise7 s) {
    s.run();
    return s.y;
  }

  @Benchmark
  @OperationsPerInvocation(Depthwise5x5.FLOPS / 1000)
  public float[] dw5x5s1_672_14(Depthwise5x5 s) {
    s.run();
    return s.y;
  }

  @Benchmark
  @OperationsPerInvocation(Depthwise5x5s2.FLOPS / 1000)
  public float[] dw5x5s2_144_56(Depthwise5x5s2 s) {
    s.run();
    return s.y;
  }

  @Benchmark
  @OperationsPerInvocation(Depthwise5x5x7.FLOPS / 1000)
  public float[] dw5x5s1_576_7(Depthwise5x5x7 s) {
    s.run();
    return s.y;
  }

  @Benchmark
  @OperationsPerInvocation(Depthwise112.FLOPS / 1000)
  public float[] dw3x3s1_32_112(Depthwise112 s) {
    s.run();
    return s.y;
  }

  @Benchmark
  @OperationsPerInvocation(Depthwise2x56.FLOPS / 1000)
  public float[] dw3x3s2_144_56(Depthwise2x56 s) {
    s.run();
    return s.y;
  }

  @Benchmark
  @OperationsPerInvocation(Depthwise2x14.FLOPS / 1000)
  public float[] dw3x3s2_576_14(Depthwise2x14 s) {
    s.run();
    return s.y;
  }

  @Benchmark
  @OperationsPerInvocation(DepthwiseShuffle.FLOPS / 1000)
  public float[] dw3x3s2_24_56(DepthwiseShuffle s) {
    s.run();
    return s.y;
  }

  static float[] random(Random r, int n) {
    float[] a = new float[n];
    for (int i = 0; i < n; i++) {
      a[i] = r.nextFloat() * 2 - 1;
    }
    return a;
  }

  /** Fails the run if {@code got} is not within rtol 1e-4 (of the largest value) of {@code ref}. */
  static void check(float[] ref, float[] got, String what) {
    float max = 0;
    for (float v : ref) {
      max = Math.max(max, Math.abs(v));
    }
    float tol = 1e-5f + 1e-4f * max;
    for (int i = 0; i < ref.length; i++) {
      if (!(Math.abs(ref[i] - got[i]) <= tol)) {
        throw new IllegalStateException(
            what + ": element " + i + " is " + got[i] + ", reference " + ref[i]);
      }
    }
  }
}
