package dev.bnfold.runtime.ops;

import dev.bnfold.runtime.BnfoldException;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.locks.LockSupport;

/**
 * Splits a loop of independent iterations across a fixed set of threads. The caller takes part and
 * never waits for a chunk that has not started; pool threads never wait on the pool, so concurrent
 * callers cannot deadlock. A warm loop allocates nothing.
 */
public abstract class Parallel {
  /** The body of a parallel loop: iterations {@code [from, to)} run by worker {@code worker}. */
  @FunctionalInterface
  public interface Body {
    /** Runs iterations {@code [from, to)}; {@code worker} is in {@code [0, threads())}. */
    void run(int worker, int from, int to);
  }

  /**
   * A loop body that reads its per-call state from a {@link Frame}: bound once per plan, so running
   * it allocates nothing (a lambda capturing the frame would be a new object on every call).
   */
  @FunctionalInterface
  public interface FrameBody {
    /** Runs iterations {@code [from, to)} of the call using {@code frame}. */
    void run(Frame frame, int worker, int from, int to);
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

        @Override
        public void forRange(Frame frame, int n, FrameBody body) {
          if (n > 0) {
            body.run(frame, 0, 0, n);
          }
        }
      };

  /**
   * A runner with {@code threads - 1} daemon worker threads named {@code name-1...}; stop them with
   * {@link #shutdown}. The range of a loop is cut into up to {@code 4 * threads} chunks that the
   * calling thread (worker 0) and the workers claim one by one, so a worker that wakes up late
   * costs nothing: the caller does the chunks itself. Workers spin briefly between loops (the next
   * layer's loop usually follows within microseconds), then park. One loop runs on the workers at a
   * time; a concurrent caller that finds them busy runs its loop alone.
   */
  public static Parallel pool(int threads, String name) {
    return threads <= 1 ? SEQUENTIAL : new Pool(threads, name);
  }

  /** Number of workers (1 = sequential). */
  public abstract int threads();

  /** Runs {@code body} over {@code [0, n)} split into chunks across the workers. */
  public abstract void forRange(int n, Body body);

  /** Runs {@code body} over {@code [0, n)} for {@code frame}, split across the workers. */
  public abstract void forRange(Frame frame, int n, FrameBody body);

  /**
   * Stops the worker threads; later loops throw {@link RejectedExecutionException}. A loop already
   * running finishes on its caller.
   */
  public void shutdown() {}

  private static final class Pool extends Parallel {
    private static final long SPIN_NANOS = 200_000;

    private final int threads;
    private final Thread[] workers;
    private final AtomicBoolean busy = new AtomicBoolean();
    private volatile boolean shutdown;

    // The current loop; written by the caller that holds `busy` before it publishes the loop's
    // generation in `claims`, read by workers after they see that generation.
    private int n;
    private Body body;
    private FrameBody frameBody;
    private Frame frame;

    /**
     * {@code generation << 32 | chunks << 16 | next unclaimed chunk}: a claim succeeds only for the
     * live loop and only while it has chunks left, judged from this one word (the loop's fields are
     * overwritten by the next loop while late workers may still look at them).
     */
    private final AtomicLong claims = new AtomicLong();

    private final AtomicInteger done = new AtomicInteger();
    private final AtomicReference<Throwable> failure = new AtomicReference<>();
    private volatile long generation;

    Pool(int threads, String name) {
      this.threads = threads;
      this.workers = new Thread[threads - 1];
      for (int w = 1; w < threads; w++) {
        int worker = w;
        Thread t = new Thread(() -> work(worker), name + "-" + w);
        t.setDaemon(true);
        workers[w - 1] = t;
      }
      for (Thread t : workers) {
        t.start();
      }
    }

    @Override
    public int threads() {
      return threads;
    }

    @Override
    public void forRange(int n, Body body) {
      run(n, body, null, null);
    }

    @Override
    public void forRange(Frame frame, int n, FrameBody body) {
      run(n, null, frame, body);
    }

    @Override
    public void shutdown() {
      shutdown = true;
      for (Thread t : workers) {
        LockSupport.unpark(t);
      }
    }

    private void run(int n, Body body, Frame frame, FrameBody frameBody) {
      if (shutdown) {
        throw new RejectedExecutionException("the model's threads were shut down");
      }
      if (n <= 0) {
        return;
      }
      int chunks = Math.min(Math.min(4 * threads, n), 0xFFFF);
      if (chunks <= 1 || !busy.compareAndSet(false, true)) {
        if (body != null) {
          body.run(0, 0, n);
        } else {
          frameBody.run(frame, 0, 0, n);
        }
        return;
      }
      try {
        this.n = n;
        this.body = body;
        this.frame = frame;
        this.frameBody = frameBody;
        done.set(0);
        failure.set(null);
        long gen = generation + 1;
        claims.set(gen << 32 | (long) chunks << 16);
        generation = gen; // publishes the fields above
        for (Thread t : workers) {
          LockSupport.unpark(t);
        }
        runChunks(0, gen);
        while (done.get() < chunks) {
          Thread.onSpinWait();
        }
        this.body = null;
        this.frame = null;
        this.frameBody = null;
      } finally {
        busy.set(false);
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

    /** Claims and runs chunks of loop {@code gen} until none is left. */
    private void runChunks(int worker, long gen) {
      while (true) {
        long s = claims.get();
        int c = (int) (s & 0xFFFF);
        int total = (int) (s >>> 16 & 0xFFFF);
        if (s >>> 32 != gen || c >= total) {
          return;
        }
        if (!claims.compareAndSet(s, s + 1)) {
          continue; // lost the race for chunk c; try the next
        }
        // chunk c of loop gen is ours, and the loop cannot end (nor its fields change) before we
        // count it done
        int from = (int) ((long) n * c / total);
        int to = (int) ((long) n * (c + 1) / total);
        try {
          if (failure.get() == null) {
            if (body != null) {
              body.run(worker, from, to);
            } else {
              frameBody.run(frame, worker, from, to);
            }
          }
        } catch (Throwable t) {
          failure.compareAndSet(null, t);
        } finally {
          done.incrementAndGet();
        }
      }
    }

    private void work(int worker) {
      long seen = 0;
      while (!shutdown) {
        long g = generation;
        if (g != seen) {
          seen = g;
          runChunks(worker, g);
          continue;
        }
        long start = System.nanoTime();
        while (generation == seen && !shutdown && System.nanoTime() - start < SPIN_NANOS) {
          Thread.onSpinWait();
        }
        if (generation == seen && !shutdown) {
          LockSupport.park(this);
        }
      }
    }
  }
}
