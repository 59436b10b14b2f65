package dev.bnfold.bench;

import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtSession;
import dev.bnfold.runtime.Model;
import dev.bnfold.runtime.Options;
import dev.bnfold.runtime.format.ConstantDef;
import dev.bnfold.runtime.format.ModelFile;
import dev.bnfold.runtime.format.ModelReader;
import dev.bnfold.runtime.format.ModelWriter;
import java.nio.file.Files;
import java.nio.file.Path;
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
 * Start-up cost: loading a model in the runtime format from a file vs creating an ONNX Runtime
 * session for the original ONNX file (all optimizations, one thread), in the same run. {@code
 * bnfoldLoad} reads the file as {@code bnfold convert} writes it, weights in the panels of this
 * JVM's GEMM kernel (one bulk copy); {@code bnfoldLoadRowMajor} the same model with every weight
 * row-major, packed at load (what loading cost before the format stored panels).
 *
 * <pre>
 * java -cp tools/target/bnfold.jar org.openjdk.jmh.Main LoadBenchmark
 * </pre>
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.SampleTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(
    value = 1,
    jvmArgsAppend = {"--add-modules", "jdk.incubator.vector", "-Xmx4g"})
public class LoadBenchmark {
  @Param({"mobilenet_v2"})
  public String model;

  private Path bfm;
  private Path bfmRowMajor;
  private Path onnx;

  @Setup(Level.Trial)
  public void setUp() throws Exception {
    BenchModels.Prepared p = BenchModels.prepare(model);
    onnx = BenchModels.onnx(model);
    bfm = Files.createTempFile("bnfold-load-" + model, ".bfm");
    Files.write(bfm, p.runtimeBytes());
    ModelFile file = ModelReader.read(p.runtimeBytes(), model, ModelReader.Limits.DEFAULT);
    ModelWriter rowMajor = ModelWriter.from(file);
    int packed = 0;
    for (ConstantDef c : file.constants()) {
      if (c.layout() != null) {
        rowMajor.storeAs(c.name(), null);
        packed++;
      }
    }
    if (packed == 0) {
      throw new IllegalStateException(model + ": the converter stored no weights in panels");
    }
    bfmRowMajor = Files.createTempFile("bnfold-load-" + model + "-rowmajor", ".bfm");
    rowMajor.writeTo(bfmRowMajor);
  }

  @TearDown(Level.Trial)
  public void tearDown() throws Exception {
    Files.deleteIfExists(bfm);
    Files.deleteIfExists(bfmRowMajor);
  }

  @Benchmark
  public Object bnfoldLoad() {
    Model m = Model.load(bfm, Options.defaults());
    m.close();
    return m;
  }

  @Benchmark
  public Object bnfoldLoadRowMajor() {
    Model m = Model.load(bfmRowMajor, Options.defaults());
    m.close();
    return m;
  }

  @Benchmark
  public Object onnxRuntimeSession() throws Exception {
    try (OrtSession.SessionOptions o = new OrtSession.SessionOptions()) {
      o.setIntraOpNumThreads(1);
      o.setOptimizationLevel(OrtSession.SessionOptions.OptLevel.ALL_OPT);
      OrtSession s = OrtEnvironment.getEnvironment().createSession(onnx.toString(), o);
      s.close();
      return s;
    }
  }
}
