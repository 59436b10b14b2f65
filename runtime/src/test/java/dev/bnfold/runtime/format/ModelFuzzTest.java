package dev.bnfold.runtime.format;

import com.code_intelligence.jazzer.junit.FuzzTest;
import dev.bnfold.runtime.BnfoldException;
import dev.bnfold.runtime.Model;
import dev.bnfold.runtime.Options;
import dev.bnfold.runtime.Tensor;
import dev.bnfold.runtime.ValueInfo;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;
import java.util.zip.CRC32;
import org.junit.jupiter.api.AfterAll;

/**
 * Fuzzes the runtime: bytes -> {@link Model#load(byte[], String, Options)} with small caps -> one
 * run on zeros of the declared input shapes (symbolic dimensions as 1); then the same with the
 * header's checksum repaired, so that mutations reach the graph rules and the ops. Any exception
 * other than a {@link BnfoldException} with a user-facing code is a finding.
 *
 * <p>Without {@code JAZZER_FUZZ} only the committed inputs run ({@code
 * src/test/resources/dev/bnfold/runtime/format/ModelFuzzTestInputs/loadAndRun/}: a .bfm converted
 * from digits-cnn, small hand-made files, and every crash found so far). Fuzzing for 50 s (about 65
 * s with the build):
 *
 * <pre>
 * JAZZER_FUZZ=1 mvn -B -ntp -pl runtime -am test -Dtest=ModelFuzzTest \
 *     -Dsurefire.failIfNoSpecifiedTests=false -Dspotless.check.skip=true
 * </pre>
 */
class ModelFuzzTest {
  private static final int MAX_ELEMENTS = 1 << 16;
  private static final Options OPTIONS =
      Options.builder()
          .maxTensorElements(MAX_ELEMENTS)
          .maxWeightBytes(4 << 20)
          .maxNodes(256)
          .maxCachedPlans(1)
          .build();

  private static final AtomicLong RUNS = new AtomicLong();
  private static final AtomicLong LOADED = new AtomicLong();
  private static final AtomicLong REJECTED = new AtomicLong();
  private static final AtomicLong MALFORMED = new AtomicLong();

  @FuzzTest(maxDuration = "50s")
  void loadAndRun(byte[] bytes) {
    loadAndRunOnce(bytes);
    byte[] repaired = withValidChecksum(bytes);
    if (repaired != null) {
      loadAndRunOnce(repaired);
    }
  }

  /**
   * The same bytes with the header's file length and graph-section CRC made right, so that the
   * fuzzer's mutations of the graph section get past the checksum; null if the header is too broken
   * to say where the graph section is.
   */
  private static byte[] withValidChecksum(byte[] bytes) {
    if (bytes.length < 64 || !ModelReader.hasMagic(bytes)) {
      return null;
    }
    ByteBuffer h = ByteBuffer.wrap(bytes.clone()).order(ByteOrder.LITTLE_ENDIAN);
    long metaOffset = h.getLong(24);
    long metaLength = h.getLong(32);
    if (metaOffset != 64 || metaLength < 0 || metaLength > bytes.length - 64) {
      return null;
    }
    CRC32 crc = new CRC32();
    crc.update(bytes, 64, (int) metaLength);
    h.putLong(16, bytes.length).putInt(56, (int) crc.getValue());
    return h.array();
  }

  private static void loadAndRunOnce(byte[] bytes) {
    RUNS.incrementAndGet();
    try (Model model = Model.load(bytes, "fuzz.bfm", OPTIONS)) {
      LOADED.incrementAndGet();
      Map<String, Tensor> inputs = new HashMap<>();
      for (ValueInfo v : model.inputs()) {
        long[] shape = v.hasShape() ? v.shape().clone() : new long[] {1};
        long n = 1;
        for (int i = 0; i < shape.length; i++) {
          shape[i] = shape[i] < 0 ? 1 : shape[i];
          n *= Math.max(1, shape[i]);
          if (n > MAX_ELEMENTS) {
            return; // the run would be refused by the cap anyway; keep executions fast
          }
        }
        inputs.put(v.name(), Tensor.zeros(shape));
      }
      model.run(inputs);
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
        "fuzz ModelFuzzTest.loadAndRun: %d executions, %d loaded, %d rejected with a"
            + " BnfoldException (%d by the loader's safety net for op parsers)%n",
        RUNS.get(), LOADED.get(), REJECTED.get(), MALFORMED.get());
  }
}
