package dev.bnfold.runtime.ops;

import dev.bnfold.runtime.BnfoldException;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Future;

/**
 * Splits a loop of independent iterations across a fixed pool of threads. The caller runs the first
 * chunk itself and waits for the others; pool threads never wait on the pool, so concurrent callers
 * cannot deadlock.
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

  /** A parallel loop runner over {@code pool}, which has {@code threads - 1} threads. */
  public static Parallel over(ExecutorService pool, int threads) {
    return new Parallel() {
      @Override
      public int threads() {
        return threads;
      }

      @Override
      @SuppressWarnings("unchecked")
      public void forRange(int n, Body body) {
        int chunks = Math.min(threads, n);
        if (chunks <= 1) {
          if (n > 0) {
            body.run(0, 0, n);
          }
          return;
        }
        Future<?>[] fs = new Future<?>[chunks - 1];
        for (int c = 1; c < chunks; c++) {
          int worker = c;
          int from = (int) ((long) n * c / chunks);
          int to = (int) ((long) n * (c + 1) / chunks);
          fs[c - 1] = pool.submit(() -> body.run(worker, from, to));
        }
        body.run(0, 0, (int) ((long) n / chunks));
        for (Future<?> f : fs) {
          try {
            f.get();
          } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new BnfoldException(BnfoldException.ErrorCode.INTERNAL, "interrupted", e);
          } catch (ExecutionException e) {
            Throwable cause = e.getCause();
            if (cause instanceof RuntimeException) {
              throw (RuntimeException) cause;
            }
            throw new BnfoldException(BnfoldException.ErrorCode.INTERNAL, "worker failed", cause);
          }
        }
      }
    };
  }

  /** Number of workers (1 = sequential). */
  public abstract int threads();

  /** Runs {@code body} over {@code [0, n)} split into at most {@link #threads()} chunks. */
  public abstract void forRange(int n, Body body);
}
