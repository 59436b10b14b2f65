package dev.bnfold.runtime.ops;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.management.ManagementFactory;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.atomic.AtomicIntegerArray;
import org.junit.jupiter.api.Test;

/** The worker pool: every iteration exactly once, failures rethrown, no allocation when warm. */
class ParallelTest {
  @Test
  void everyIterationRunsExactlyOnceWithDistinctWorkersPerChunk() {
    Parallel p = Parallel.pool(3, "test-pool");
    try {
      for (int n : new int[] {1, 2, 5, 12, 13, 1000}) {
        for (int round = 0; round < 200; round++) {
          AtomicIntegerArray hits = new AtomicIntegerArray(n);
          p.forRange(
              n,
              (w, from, to) -> {
                assertTrue(w >= 0 && w < 3, "worker " + w);
                for (int i = from; i < to; i++) {
                  hits.incrementAndGet(i);
                }
              });
          for (int i = 0; i < n; i++) {
            assertEquals(1, hits.get(i), "iteration " + i + " of " + n);
          }
        }
      }
    } finally {
      p.shutdown();
    }
  }

  /**
   * Back-to-back loops of different chunk counts and body kinds: a worker still finishing one loop
   * must never claim a chunk against the next loop's fields (found by JMH at 2 threads).
   */
  @Test
  void lateWorkersNeverRunAChunkOfTheNextLoop() {
    Parallel p = Parallel.pool(3, "test-late");
    try {
      Frame frame = new Frame(1, 0, p);
      frame.buf[0] = new float[1000];
      long[] sum = new long[1];
      Parallel.FrameBody frameBody =
          (f, w, from, to) -> {
            for (int i = from; i < to; i++) {
              f.buf[0][i] += 1;
            }
          };
      for (int round = 0; round < 100_000; round++) {
        if (round % 2 == 0) {
          AtomicIntegerArray hits = new AtomicIntegerArray(2);
          p.forRange(2, (w, from, to) -> hits.incrementAndGet(from));
          sum[0] += hits.get(0) + hits.get(1);
        } else {
          p.forRange(frame, 1000, frameBody);
        }
      }
      assertEquals(100_000, sum[0]);
      for (int i = 0; i < 1000; i++) {
        assertEquals(50_000f, frame.buf[0][i], "element " + i);
      }
    } finally {
      p.shutdown();
    }
  }

  @Test
  void concurrentCallersAllComplete() throws Exception {
    Parallel p = Parallel.pool(2, "test-concurrent");
    try {
      List<Thread> callers = new ArrayList<>();
      AtomicIntegerArray sums = new AtomicIntegerArray(4);
      for (int c = 0; c < 4; c++) {
        int caller = c;
        Thread t =
            new Thread(
                () -> {
                  for (int r = 0; r < 500; r++) {
                    p.forRange(
                        100,
                        (w, from, to) -> {
                          for (int i = from; i < to; i++) {
                            sums.addAndGet(caller, i);
                          }
                        });
                  }
                });
        callers.add(t);
        t.start();
      }
      for (Thread t : callers) {
        t.join(30_000);
        assertTrue(!t.isAlive(), "a caller is stuck");
      }
      for (int c = 0; c < 4; c++) {
        assertEquals(500 * 4950, sums.get(c));
      }
    } finally {
      p.shutdown();
    }
  }

  @Test
  void aFailingChunkIsRethrownAndThePoolStaysUsable() {
    Parallel p = Parallel.pool(2, "test-fail");
    try {
      IllegalStateException boom = new IllegalStateException("boom");
      IllegalStateException e =
          assertThrows(
              IllegalStateException.class,
              () ->
                  p.forRange(
                      64,
                      (w, from, to) -> {
                        if (from <= 40 && 40 < to) {
                          throw boom;
                        }
                      }));
      assertSame(boom, e);
      AtomicIntegerArray hits = new AtomicIntegerArray(64);
      p.forRange(64, (w, from, to) -> hits.incrementAndGet(from));
      int chunks = 0;
      for (int i = 0; i < 64; i++) {
        chunks += hits.get(i);
      }
      assertEquals(8, chunks); // 4 chunks per thread
    } finally {
      p.shutdown();
    }
  }

  @Test
  void shutDownPoolRejectsLoops() {
    Parallel p = Parallel.pool(2, "test-shutdown");
    p.shutdown();
    assertThrows(RejectedExecutionException.class, () -> p.forRange(10, (w, from, to) -> {}));
  }

  @Test
  void warmFrameLoopsAllocateNothing() {
    Parallel p = Parallel.pool(2, "test-alloc");
    try {
      Frame frame = new Frame(1, 0, p);
      frame.buf[0] = new float[4096];
      // bound once, like a plan's steps: reads its per-call state from the frame
      Parallel.FrameBody body =
          (f, w, from, to) -> {
            float[] a = f.buf[0];
            for (int i = from; i < to; i++) {
              a[i] += 1;
            }
          };
      for (int i = 0; i < 20_000; i++) {
        p.forRange(frame, 4096, body);
      }
      com.sun.management.ThreadMXBean bean =
          (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
      // the least of three rounds: a JIT recompilation under load once allocated 4.7 KB in a
      // round; a loop that allocates fails every round
      long allocated = Long.MAX_VALUE;
      for (int round = 0; round < 3; round++) {
        long before = bean.getCurrentThreadAllocatedBytes();
        for (int i = 0; i < 1000; i++) {
          p.forRange(frame, 4096, body);
        }
        allocated = Math.min(allocated, bean.getCurrentThreadAllocatedBytes() - before);
      }
      assertTrue(allocated < 1000, "allocated " + allocated + " bytes in 1000 warm loops");
      assertEquals(23_000f, frame.buf[0][4095]);
    } finally {
      p.shutdown();
    }
  }
}
