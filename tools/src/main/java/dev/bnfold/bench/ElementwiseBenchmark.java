package dev.bnfold.bench;

import dev.bnfold.runtime.kernels.ConvGeometry;
import dev.bnfold.runtime.kernels.ElementwiseKernel;
import dev.bnfold.runtime.kernels.Kernels;
import dev.bnfold.runtime.kernels.Pool;
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
 * Single-thread throughput of the element-wise kernels on an EfficientNet-B0 activation (144 x 56 x
 * 56 floats), in billions of elements per second (an invocation is declared as {@code elements /
 * 1000} operations, the time unit is the microsecond); the gemvPanels score counts multiply-adds.
 * Each kernel is checked against the plain-Java one in setup.
 *
 * <pre>
 * java -cp tools/target/bnfold.jar org.openjdk.jmh.Main ElementwiseBenchmark -p impl=vector,scalar
 * </pre>
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(
    value = 1,
    jvmArgsAppend = {"--add-modules", "jdk.incubator.vector", "-Xmx2g"})
public class ElementwiseBenchmark {
  private static final int C = 144;
  private static final int HW = 56 * 56;
  private static final int N = C * HW;
  private static final int GEMV_M = 576;
  private static final int GEMV_K = 144;
  private static final int PANEL = 8;

  /** {@code vector} (the Vector API kernels) or {@code scalar} (the plain-Java fallback). */
  @Param({"vector", "scalar"})
  public String impl;

  private ElementwiseKernel k;
  private float[] x;
  private float[] y;
  private float[] scale;
  private float[] w;
  private float[] scratch;
  private ConvGeometry pool;

  @Setup
  public void setUp() {
    if ("vector".equals(impl) && Kernels.vectorElementwise() == null) {
      throw new IllegalStateException("Vector API kernels not available");
    }
    k = "vector".equals(impl) ? Kernels.vectorElementwise() : Kernels.scalarElementwise();
    Random r = new Random(1);
    x = new float[N];
    for (int i = 0; i < N; i++) {
      x[i] = (float) r.nextGaussian() * 4;
    }
    y = new float[N];
    scale = new float[C];
    for (int i = 0; i < C; i++) {
      scale[i] = r.nextFloat();
    }
    w = new float[GEMV_M * GEMV_K];
    for (int i = 0; i < w.length; i++) {
      w[i] = r.nextFloat() - 0.5f;
    }
    pool =
        new ConvGeometry(
            1,
            C,
            C,
            1,
            new int[] {1, 56, 56},
            new int[] {1, 28, 28},
            new int[] {1, 3, 3},
            new int[] {1, 2, 2},
            new int[] {1, 1, 1},
            new int[] {0, 1, 1});
    scratch = new float[Pool.separableScratch(pool)];
    check();
  }

  /** Every kernel timed here against the plain-Java one, before timing. */
  private void check() {
    ElementwiseKernel ref = Kernels.scalarElementwise();
    float[] a = new float[N];
    ref.silu(a, 0, x, 0, N);
    k.silu(y, 0, x, 0, N);
    for (int i = 0; i < N; i++) {
      if (!(Math.abs(a[i] - y[i]) <= 1e-6f * Math.abs(a[i]) + 1e-30f)) {
        throw new IllegalStateException("silu differs at " + i + ": " + y[i] + " vs " + a[i]);
      }
    }
    ref.gemvPanels(a, 0, w, 0, PANEL, x, 0, GEMV_M, GEMV_K);
    k.gemvPanels(y, 0, w, 0, PANEL, x, 0, GEMV_M, GEMV_K);
    for (int i = 0; i < GEMV_M; i++) {
      if (!(Math.abs(a[i] - y[i]) <= 1e-3f)) {
        throw new IllegalStateException("gemv differs at row " + i);
      }
    }
  }

  /** x * sigmoid(x), the fused epilogue of EfficientNet's convolutions. */
  @Benchmark
  @OperationsPerInvocation(N / 1000)
  public float[] silu() {
    k.silu(y, 0, x, 0, N);
    return y;
  }

  /** 1 / (1 + exp(-x)). */
  @Benchmark
  @OperationsPerInvocation(N / 1000)
  public float[] sigmoid() {
    k.sigmoid(y, 0, x, 0, N);
    return y;
  }

  /** x * max(0, min(1, x/6 + 1/2)), MobileNetV3's activation. */
  @Benchmark
  @OperationsPerInvocation(N / 1000)
  public float[] hardSwish() {
    k.hardSwish(y, 0, x, 0, N, 1f / 6, 0.5f);
    return y;
  }

  /** The squeeze-excitation scale: each channel plane times its scalar. */
  @Benchmark
  @OperationsPerInvocation(N / 1000)
  public float[] channelScale() {
    for (int c = 0; c < C; c++) {
      k.mulScalar(y, c * HW, x, c * HW, scale[c], HW);
    }
    return y;
  }

  /** Global average pooling's sums, one per channel plane. */
  @Benchmark
  @OperationsPerInvocation(N / 1000)
  public float[] planeSums() {
    for (int c = 0; c < C; c++) {
      y[c] = k.sum(x, c * HW, HW);
    }
    return y;
  }

  /** 3x3 stride-2 max pooling (pads 1), per input element. */
  @Benchmark
  @OperationsPerInvocation(N / 1000)
  public float[] maxPool3x3s2() {
    Pool.maxSeparable(y, 0, x, 0, pool, scratch, 0, k, Kernels.depthwiseFor(Kernels.vectorGemm()));
    return y;
  }

  /**
   * A squeeze-excitation expansion conv (144 -> 576 channels on a 1x1 plane) from its packed 8-row
   * panels, per multiply-add.
   */
  @Benchmark
  @OperationsPerInvocation(GEMV_M * GEMV_K / 1000)
  public float[] gemvPanels() {
    k.gemvPanels(y, 0, w, 0, PANEL, x, 0, GEMV_M, GEMV_K);
    return y;
  }
}
