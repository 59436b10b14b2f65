package dev.bnfold.bench;

import dev.bnfold.converter.io.NdArray;
import dev.bnfold.converter.verify.OrtRunner;
import dev.bnfold.runtime.Model;
import dev.bnfold.runtime.Options;
import dev.bnfold.runtime.PreparedRun;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

/**
 * Latency of one batch-1 inference: the Java runtime on the folded model vs ONNX Runtime (all graph
 * optimizations, same intra-op thread count) on the original, in the same JMH run. Each model is
 * converted and its output checked against ONNX Runtime in setup, before timing.
 *
 * <pre>
 * java -cp tools/target/bnfold.jar org.openjdk.jmh.Main ModelLatencyBenchmark -rf json -rff jdk17.json
 * /usr/bin/python3 tools/scripts/jmh_table.py jdk17.json
 * </pre>
 *
 * <p>By default all six sample CNNs at 1 and 2 threads; narrow with {@code -p model=...} and {@code
 * -p threads=...}.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.SampleTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(
    value = 1,
    jvmArgsAppend = {"--add-modules", "jdk.incubator.vector", "-Xmx4g"})
public class ModelLatencyBenchmark {
  @Param({
    "digits-cnn",
    "mobilenet_v2",
    "mobilenet_v3_small",
    "shufflenet_v2_x0_5",
    "resnet18",
    "efficientnet_b0"
  })
  public String model;

  @Param({"1", "2"})
  public int threads;

  private Model bnfold;
  private PreparedRun run;
  private float[][] in;
  private float[][] out;
  private OrtRunner ort;
  private OrtRunner.Feed ortFeed; // inputs converted once, as bnfold's are
  private float[] ortOut;

  @Setup(Level.Trial)
  public void setUp() throws Exception {
    BenchModels.Prepared p = BenchModels.prepare(model);
    bnfold = Model.load(p.runtimeBytes(), model, Options.builder().threads(threads).build());
    Map<String, NdArray> feed = p.input();
    NdArray x = feed.values().iterator().next();
    run = bnfold.prepare(x.shape());
    in = new float[][] {x.floats()};
    out = new float[][] {new float[run.outputSize(0)]};
    ort = new OrtRunner(p.onnxBytes(), true, threads);
    ortFeed = ort.feed(feed);
    ortOut = new float[out[0].length];
  }

  @TearDown(Level.Trial)
  public void tearDown() {
    bnfold.close();
    ortFeed.close();
    ort.close();
  }

  @Benchmark
  public float[] bnfold() {
    run.run(in, out);
    return out[0];
  }

  @Benchmark
  public float[] onnxRuntime() {
    return ort.run(ortFeed, ortOut);
  }
}
