package dev.bnfold.converter.onnx;

import com.code_intelligence.jazzer.junit.FuzzTest;
import dev.bnfold.converter.Converter;
import dev.bnfold.converter.export.RuntimeExporter;
import dev.bnfold.converter.graph.Graph;
import dev.bnfold.runtime.BnfoldException;
import dev.bnfold.runtime.Model;
import dev.bnfold.runtime.Options;
import dev.bnfold.runtime.Tensor;
import dev.bnfold.runtime.ValueInfo;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.AfterAll;

/**
 * Fuzzes the ONNX path of {@code bnfold convert} and {@code bnfold run}: bytes -> {@link
 * OnnxReader} -> {@link Converter} (no verification) -> the runtime-format writer -> {@link Model}
 * with small caps -> one run on zeros of the declared input shapes. Any exception other than a
 * {@link BnfoldException} with a user-facing code (bad model, unsupported, bad input, I/O) is a
 * finding.
 *
 * <p>Without {@code JAZZER_FUZZ} (every {@code mvn verify}) only the committed inputs run: {@code
 * src/test/resources/dev/bnfold/converter/onnx/OnnxFuzzTestInputs/convert/} (the seeds and every
 * crash found so far). Fuzzing for 50 s (about 65 s with the build):
 *
 * <pre>
 * JAZZER_FUZZ=1 mvn -B -ntp -pl converter -am test -Dtest=OnnxFuzzTest \
 *     -Dsurefire.failIfNoSpecifiedTests=false -Dspotless.check.skip=true
 * </pre>
 */
class OnnxFuzzTest {
  /** Small caps, so that a mutated size field cannot make one input take seconds. */
  private static final OnnxReader.Limits LIMITS = new OnnxReader.Limits(1 << 20, 32 << 20, 4096);

  private static final int MAX_RUN_ELEMENTS = 1 << 16;
  private static final Options RUNTIME =
      Options.builder().maxTensorElements(1 << 20).maxNodes(4096).maxCachedPlans(1).build();

  private static final AtomicLong RUNS = new AtomicLong();
  private static final AtomicLong CONVERTED = new AtomicLong();
  private static final AtomicLong RAN = new AtomicLong();
  private static final AtomicLong REJECTED = new AtomicLong();
  private static final AtomicLong MALFORMED = new AtomicLong();

  @FuzzTest(maxDuration = "50s")
  void convert(byte[] bytes) {
    RUNS.incrementAndGet();
    try {
      Graph graph = new OnnxReader(LIMITS).read(bytes, null);
      Graph converted =
          Converter.convert(graph, Converter.Options.defaults().withVerify(false)).graph();
      byte[] bfm = RuntimeExporter.toBytes(converted);
      CONVERTED.incrementAndGet();
      try (Model model = Model.load(bfm, "fuzz.bfm", RUNTIME)) {
        Map<String, Tensor> inputs = new HashMap<>();
        for (ValueInfo v : model.inputs()) {
          long[] shape = v.hasShape() ? v.shape().clone() : new long[] {1};
          long n = 1;
          for (int i = 0; i < shape.length; i++) {
            shape[i] = shape[i] < 0 ? 1 : shape[i];
            n *= Math.max(1, shape[i]);
            if (n > MAX_RUN_ELEMENTS) {
              return;
            }
          }
          inputs.put(v.name(), Tensor.zeros(shape));
        }
        model.run(inputs);
        RAN.incrementAndGet();
      }
    } catch (BnfoldException e) {
      if (e.code() == BnfoldException.ErrorCode.INTERNAL) {
        throw e;
      }
      REJECTED.incrementAndGet();
      if (unexpectedCause(e) != null) {
        // an op parser's missing check, caught by the loader's safety net: worth a look
        if (MALFORMED.getAndIncrement() == 0) {
          System.out.println("fuzz: first op-parser gap: " + unexpectedCause(e));
        }
      }
    }
  }

  /**
   * A cause that is neither a BnfoldException nor one of the runtime's shape-error conventions
   * (IllegalArgumentException, ArithmeticException): a check some op parser lacks, which the loader
   * reported as a bad model. Counted, so that the fuzz log shows them.
   */
  private static Throwable unexpectedCause(Throwable e) {
    for (Throwable c = e.getCause(); c != null; c = c.getCause()) {
      if (c instanceof RuntimeException
          && !(c instanceof BnfoldException)
          && !(c instanceof IllegalArgumentException)
          && !(c instanceof ArithmeticException)) {
        return c;
      }
    }
    return null;
  }

  @AfterAll
  static void report() {
    System.out.printf(
        "fuzz OnnxFuzzTest.convert: %d executions, %d converted, %d run in the runtime, %d"
            + " rejected with a BnfoldException (%d by the loader's safety net for op parsers)%n",
        RUNS.get(), CONVERTED.get(), RAN.get(), REJECTED.get(), MALFORMED.get());
  }
}
