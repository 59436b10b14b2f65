package dev.bnfold.cli;

import java.util.Arrays;

/** Times a task: warm-up runs, then timed runs; reports the median and 90th percentile. */
record Latency(double medianMs, double p90Ms, int runs) {

  static Latency measure(Runnable task, int warmup, int runs) {
    return measure(task, warmup, 0, runs);
  }

  /**
   * Warms up for at least {@code warmup} runs and {@code warmupSeconds} (the JIT compiles the hot
   * kernels only after thousands of calls: twenty runs of a 12 us model left it 30x slow), then
   * times {@code runs} runs.
   */
  static Latency measure(Runnable task, int warmup, double warmupSeconds, int runs) {
    long until = System.nanoTime() + (long) (warmupSeconds * 1e9);
    for (int i = 0; i < warmup || System.nanoTime() < until; i++) {
      task.run();
    }
    double[] ms = new double[runs];
    for (int i = 0; i < runs; i++) {
      long t = System.nanoTime();
      task.run();
      ms[i] = (System.nanoTime() - t) / 1e6;
    }
    Arrays.sort(ms);
    return new Latency(ms[runs / 2], ms[Math.min(runs - 1, (int) Math.ceil(runs * 0.9) - 1)], runs);
  }
}
