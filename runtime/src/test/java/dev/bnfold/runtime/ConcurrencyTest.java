package dev.bnfold.runtime;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.InputStream;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * One loaded model shared by many threads: digits-cnn (converted; the fuzz seed file) gives the
 * same bits for every input whether run alone or from 8 threads at once, with and without intra-op
 * threads, and closing it while other threads run it ends each run cleanly.
 */
class ConcurrencyTest {
  private static final int THREADS = 8;
  private static final int RUNS = 1000;
  private static final long[] SHAPE = {1, 1, 8, 8};

  private static byte[] model;
  private static float[][] inputs;
  private static float[][] expected;

  @BeforeAll
  static void referenceRuns() throws IOException {
    try (InputStream in =
        ConcurrencyTest.class.getResourceAsStream(
            "format/ModelFuzzTestInputs/loadAndRun/digits-cnn.bfm")) {
      model = in.readAllBytes();
    }
    SplittableRandom random = new SplittableRandom(42);
    inputs = new float[THREADS * RUNS][64];
    for (float[] x : inputs) {
      for (int i = 0; i < x.length; i++) {
        x[i] = (float) (random.nextDouble() * 16);
      }
    }
    expected = new float[inputs.length][];
    try (Model m = Model.load(model, "digits-cnn.bfm", Options.defaults())) {
      for (int i = 0; i < inputs.length; i++) {
        expected[i] = m.run(Tensor.of(inputs[i], SHAPE)).floatData();
      }
    }
  }

  @Test
  void eightThreadsGiveTheSingleThreadedBits() throws Exception {
    try (Model m = Model.load(model, "digits-cnn.bfm", Options.defaults())) {
      int mismatches = runConcurrently(m, THREADS, RUNS);
      System.out.printf(
          "concurrency: %d threads x %d runs, mismatches = %d%n", THREADS, RUNS, mismatches);
      assertEquals(0, mismatches);
    }
  }

  @Test
  void intraOpThreadsInsideRequestThreadsDoNotDeadlock() {
    assertTimeoutPreemptively(
        Duration.ofSeconds(60),
        () -> {
          try (Model m =
              Model.load(model, "digits-cnn.bfm", Options.builder().threads(2).build())) {
            int mismatches = runConcurrently(m, 4, 250);
            System.out.printf(
                "concurrency: 4 threads x 250 runs with 2 intra-op threads each, mismatches = %d%n",
                mismatches);
            assertEquals(0, mismatches);
          }
        });
  }

  @Test
  void closingWhileOthersRunEndsEveryRunCleanly() throws Exception {
    for (int threadsPerModel : new int[] {1, 2}) {
      Model m =
          Model.load(model, "digits-cnn.bfm", Options.builder().threads(threadsPerModel).build());
      ConcurrentLinkedQueue<Throwable> unexpected = new ConcurrentLinkedQueue<>();
      AtomicInteger closedSeen = new AtomicInteger();
      AtomicInteger completed = new AtomicInteger();
      CountDownLatch started = new CountDownLatch(4);
      List<Thread> workers = new ArrayList<>();
      for (int t = 0; t < 4; t++) {
        int first = t * RUNS;
        Thread w =
            new Thread(
                () -> {
                  started.countDown();
                  for (int i = 0; ; i = (i + 1) % RUNS) {
                    try {
                      float[] y = m.run(Tensor.of(inputs[first + i], SHAPE)).floatData();
                      if (!java.util.Arrays.equals(y, expected[first + i])) {
                        // a run that completes must still be right
                        unexpected.add(new AssertionError("wrong result for input " + i));
                      }
                      completed.incrementAndGet();
                    } catch (ModelClosedException e) {
                      closedSeen.incrementAndGet();
                      return;
                    } catch (Throwable e) {
                      unexpected.add(e);
                      return;
                    }
                  }
                });
        w.start();
        workers.add(w);
      }
      started.await();
      Thread.sleep(100);
      m.close();
      for (Thread w : workers) {
        w.join(10_000);
        assertTrue(!w.isAlive(), "a worker still runs 10 s after close()");
      }
      assertTrue(unexpected.isEmpty(), "unexpected: " + unexpected);
      assertEquals(4, closedSeen.get(), "every worker ends with ModelClosedException");
      System.out.printf(
          "close while running (%d intra-op threads): %d runs completed, 4 ended with"
              + " ModelClosedException%n",
          threadsPerModel, completed.get());
    }
  }

  /** Thread t runs inputs [t * runs, (t + 1) * runs); returns the results that differ in a bit. */
  private static int runConcurrently(Model m, int threads, int runs) throws Exception {
    ExecutorService pool = Executors.newFixedThreadPool(threads);
    try {
      CountDownLatch go = new CountDownLatch(1);
      List<Future<Integer>> fs = new ArrayList<>();
      for (int t = 0; t < threads; t++) {
        int first = t * runs;
        fs.add(
            pool.submit(
                () -> {
                  go.await();
                  int bad = 0;
                  for (int i = first; i < first + runs; i++) {
                    float[] y = m.run(Tensor.of(inputs[i], SHAPE)).floatData();
                    if (!java.util.Arrays.equals(y, expected[i])) {
                      bad++;
                    }
                  }
                  return bad;
                }));
      }
      go.countDown();
      int mismatches = 0;
      for (Future<Integer> f : fs) {
        mismatches += f.get(60, TimeUnit.SECONDS);
      }
      return mismatches;
    } finally {
      pool.shutdownNow();
    }
  }
}
