package dev.bnfold.converter.io;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;

import com.code_intelligence.jazzer.junit.FuzzTest;
import dev.bnfold.runtime.InvalidInputException;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.AfterAll;

/**
 * Fuzzes {@link Npy#parse}: every input is either refused with an {@link InvalidInputException} or
 * parsed into an array that writes back to bytes that parse to the same array.
 *
 * <pre>
 * JAZZER_FUZZ=1 mvn -B -ntp -pl converter -am test -Dtest=NpyFuzzTest \
 *     -Dsurefire.failIfNoSpecifiedTests=false -Dspotless.check.skip=true
 * </pre>
 */
class NpyFuzzTest {
  private static final AtomicLong RUNS = new AtomicLong();
  private static final AtomicLong REJECTED = new AtomicLong();

  @FuzzTest(maxDuration = "50s")
  void parse(byte[] bytes) {
    RUNS.incrementAndGet();
    NdArray a;
    try {
      a = Npy.parse(bytes, "fuzz.npy");
    } catch (InvalidInputException e) {
      REJECTED.incrementAndGet();
      return;
    }
    NdArray again = Npy.parse(Npy.toBytes(a), "again.npy");
    assertArrayEquals(a.shape(), again.shape());
    assertArrayEquals(Npy.toBytes(a), Npy.toBytes(again));
  }

  @AfterAll
  static void report() {
    System.out.printf(
        "fuzz NpyFuzzTest.parse: %d executions, %d rejected with InvalidInputException%n",
        RUNS.get(), REJECTED.get());
  }
}
