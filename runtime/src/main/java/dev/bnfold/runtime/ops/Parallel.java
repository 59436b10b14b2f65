package dev.bnfold.runtime.ops;

import dev.bnfold.runtime.BnfoldException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;

/**
 * Splits a loop of independent iterations across a fixed pool of threads. The caller takes part and
 * never waits for a pool task that has not started; pool threads never wait on the pool, so
 * concurrent callers cannot deadlock.
 */
public abstract class Parallel {
  /** The body of a parallel loop: iterations {@code [from, to)} run by worker {@code worker}. */
  @FunctionalInterface
  public interface Body {
    /** Runs iterations {@code [from, to)}; {@code worker} is in {@code [0, threads())}. */
    void run(int worker, int from, int to);
  }

  /** Runs every loop on the calling thread. */
  public static final Parallel SEQUENTIAL =
      new Parallel() {
        @Override
        public int threads() {
          return 1;
        }

        @Override
        public void forRange(int n, Body body) {
          if (n > 0) {
            body.run(0, 0, n);
          }
        }
      };

  /**
   * A parallel loop runner over {@code pool}, which has {@code threads - 1} threads. The range is
   * cut into up to {@code 4 * threads} chunks that the calling thread (worker 0) and pool tasks
   * (workers 1..) claim one by one, so a pool thread that wakes up late costs nothing: the caller
   * does the chunks itself and waits only for chunks already running elsewhere. (With one fixed
   * chunk per thread, the wake-up latency of the pool, tens of microseconds, was paid on every
   * convolution: MobileNetV2 gained 10% from a second core.)
   */
  public static Parallel over(ExecutorService pool, int threads) {
    return new Parallel() {
      @Override
      public int threads() {
        return threads;
      }

      @Override
      public void forRange(int n, Body body) {
        int chunks = Math.min(4 * threads, n);
        if (threads <= 1 || chunks <= 1) {
          if (n > 0) {
            body.run(0, 0, n);
          }
          return;
        }
        Chunks work = new Chunks(n, chunks, body);
        for (int w = 1; w < threads; w++) {
          int worker = w;
          pool.execute(() -> work.runChunks(worker));
        }
        work.runChunks(0);
        work.awaitAll();
      }
    };
  }

  /** The chunks of one {@link #forRange} call: claimed by counter, counted when finished. */
  private static final class Chunks {
    private final int n;
    private final int chunks;
    private final Body body;
    private final AtomicInteger next = new AtomicInteger();
    private final AtomicInteger done = new AtomicInteger();
    private final AtomicReference<Throwable> failure = new AtomicReference<>();

    Chunks(int n, int chunks, Body body) {
      this.n = n;
      this.chunks = chunks;
      this.body = body;
    }

    void runChunks(int worker) {
      for (int c = next.getAndIncrement(); c < chunks; c = next.getAndIncrement()) {
        try {
          if (failure.get() == null) {
            body.run(worker, (int) ((long) n * c / chunks), (int) ((long) n * (c + 1) / chunks));
          }
        } catch (Throwable t) {
          failure.compareAndSet(null, t);
        } finally {
          done.incrementAndGet();
        }
      }
    }

    /** Waits for the chunks other workers are still running (each is short), then rethrows. */
    void awaitAll() {
      while (done.get() < chunks) {
        Thread.onSpinWait();
      }
      Throwable t = failure.get();
      if (t instanceof RuntimeException) {
        throw (RuntimeException) t;
      }
      if (t instanceof Error) {
        throw (Error) t;
      }
      if (t != null) {
        throw new BnfoldException(BnfoldException.ErrorCode.INTERNAL, "worker failed", t);
      }
    }
  }

  /** Number of workers (1 = sequential). */
  public abstract int threads();

  /** Runs {@code body} over {@code [0, n)} split into at most {@link #threads()} chunks. */
  public abstract void forRange(int n, Body body);
}
