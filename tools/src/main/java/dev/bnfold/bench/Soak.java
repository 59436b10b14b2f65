package dev.bnfold.bench;

import dev.bnfold.converter.export.RuntimeModels;
import dev.bnfold.runtime.Model;
import dev.bnfold.runtime.Options;
import dev.bnfold.runtime.Tensor;
import dev.bnfold.runtime.ValueInfo;
import java.lang.management.ManagementFactory;
import java.lang.management.MemoryMXBean;
import java.lang.management.ThreadMXBean;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;

/**
 * Soak test: continuous inference on one model for a number of minutes, sampling heap in use (after
 * a GC hint) and the JVM's thread count every 10 seconds, then a verdict: after the warm-up, the
 * heap must stay flat (last sample within 10% + 4 MiB of the first post-warm-up sample), the thread
 * count constant, and every result bit-identical to the first run's.
 *
 * <pre>
 * java --add-modules jdk.incubator.vector -cp tools/target/bnfold.jar dev.bnfold.bench.Soak \
 *     models/mobilenet_v2.onnx 10 [--threads N] [--workers W] [--interval S] [--warmup S]
 * </pre>
 *
 * <p>MODEL is ONNX (converted in memory) or the runtime format. {@code --workers} request threads
 * share the model (default 1); {@code --threads} is its intra-op pool (default 1). Exit code 0 if
 * the verdict is flat, 1 if not, 2 for bad arguments. Used by {@code tools/scripts/soak.sh}.
 */
public final class Soak {
  private static final long MIB = 1 << 20;

  private Soak() {}

  public static void main(String[] args) throws Exception {
    if (args.length < 2) {
      System.err.println(
          "usage: Soak MODEL MINUTES [--threads N] [--workers W] [--interval S] [--warmup S]");
      System.exit(2);
    }
    Path modelFile = Path.of(args[0]);
    double minutes = Double.parseDouble(args[1]);
    int threads = 1;
    int workers = 1;
    int interval = 10;
    int warmup = -1;
    for (int i = 2; i + 1 < args.length; i += 2) {
      int v = Integer.parseInt(args[i + 1]);
      switch (args[i]) {
        case "--threads" -> threads = v;
        case "--workers" -> workers = v;
        case "--interval" -> interval = v;
        case "--warmup" -> warmup = v;
        default -> {
          System.err.println("unknown option " + args[i]);
          System.exit(2);
        }
      }
    }
    long durationMs = (long) (minutes * 60_000);
    // Warm-up: 30 s, or a quarter of a short run, rounded to whole sampling intervals.
    if (warmup < 0) {
      warmup = (int) Math.min(30, durationMs / 4000);
    }
    int warmupSamples = Math.max(1, (warmup + interval - 1) / interval);

    Model model = RuntimeModels.open(modelFile, Options.builder().threads(threads).build());
    Map<String, Tensor> input = randomInputs(model);
    float[] reference = model.run(input).values().iterator().next().floatData();
    System.out.printf(
        Locale.ROOT,
        "soak: %s, %.1f min, %d request thread(s) x %d intra-op thread(s), kernel %s,"
            + " sample every %d s, warm-up %d sample(s)%n",
        modelFile,
        minutes,
        workers,
        threads,
        model.kernelName(),
        interval,
        warmupSamples);

    AtomicBoolean stop = new AtomicBoolean();
    AtomicLong runs = new AtomicLong();
    AtomicLong mismatches = new AtomicLong();
    AtomicReference<Throwable> failure = new AtomicReference<>();
    List<Thread> pool = new ArrayList<>();
    for (int w = 0; w < workers; w++) {
      Thread t =
          new Thread(
              () -> {
                try {
                  while (!stop.get()) {
                    float[] y = model.run(input).values().iterator().next().floatData();
                    if (!Arrays.equals(y, reference)) {
                      mismatches.incrementAndGet();
                    }
                    runs.incrementAndGet();
                  }
                } catch (Throwable e) {
                  failure.compareAndSet(null, e);
                }
              },
              "soak-" + w);
      t.setDaemon(true);
      t.start();
      pool.add(t);
    }

    MemoryMXBean memory = ManagementFactory.getMemoryMXBean();
    ThreadMXBean jvmThreads = ManagementFactory.getThreadMXBean();
    System.out.printf(
        "%8s %10s %9s %10s %8s %9s%n", "t (s)", "runs", "runs/s", "heap MiB", "threads", "");
    long start = System.nanoTime();
    long lastRuns = 0;
    long lastT = start;
    List<double[]> samples = new ArrayList<>(); // {t, heapMiB, threads}
    for (int s = 1; ; s++) {
      long due = start + s * interval * 1_000_000_000L;
      long nowNs;
      while ((nowNs = System.nanoTime()) < due && failure.get() == null) {
        Thread.sleep(Math.max(1, Math.min(1000, (due - nowNs) / 1_000_000)));
      }
      if (failure.get() != null) {
        break;
      }
      System.gc(); // a hint: what is retained, not garbage not yet collected
      long heap = memory.getHeapMemoryUsage().getUsed();
      int threadCount = jvmThreads.getThreadCount();
      long now = System.nanoTime();
      long r = runs.get();
      double t = (now - start) / 1e9;
      double rate = (r - lastRuns) / ((now - lastT) / 1e9);
      samples.add(new double[] {t, heap / (double) MIB, threadCount});
      System.out.printf(
          Locale.ROOT,
          "%8.0f %10d %9.1f %10.1f %8d %9s%n",
          t,
          r,
          rate,
          heap / (double) MIB,
          threadCount,
          s <= warmupSamples ? "(warm-up)" : "");
      lastRuns = r;
      lastT = now;
      if (now - start >= durationMs * 1_000_000L) {
        break;
      }
    }
    stop.set(true);
    for (Thread t : pool) {
      t.join(30_000);
    }
    model.close();

    Map<String, String> problems = new LinkedHashMap<>();
    if (failure.get() != null) {
      problems.put("failure", failure.get().toString());
    }
    if (mismatches.get() > 0) {
      problems.put("results", mismatches.get() + " run(s) differ from the first run's bits");
    }
    String summary = "";
    if (samples.size() > warmupSamples) {
      double[] first = samples.get(warmupSamples);
      double[] last = samples.get(samples.size() - 1);
      double maxThreads = first[2];
      double minThreads = first[2];
      for (double[] x : samples.subList(warmupSamples, samples.size())) {
        maxThreads = Math.max(maxThreads, x[2]);
        minThreads = Math.min(minThreads, x[2]);
      }
      double growth = last[1] - first[1];
      summary =
          String.format(
              Locale.ROOT,
              "heap %.1f -> %.1f MiB (%+.1f%%), threads %.0f -> %.0f (min %.0f, max %.0f),"
                  + " %d runs",
              first[1],
              last[1],
              100 * growth / first[1],
              first[2],
              last[2],
              minThreads,
              maxThreads,
              runs.get());
      if (growth > 0.10 * first[1] + 4) {
        problems.put("heap", "grew by more than 10% + 4 MiB after warm-up");
      }
      if (maxThreads != minThreads) {
        problems.put("threads", "thread count changed after warm-up");
      }
    } else if (failure.get() == null) {
      problems.put("samples", "run too short: no sample after the warm-up");
    }
    System.out.println(
        "soak verdict: "
            + (problems.isEmpty() ? "FLAT" : "NOT FLAT " + problems.values())
            + (summary.isEmpty() ? "" : " (" + summary + ")"));
    System.exit(problems.isEmpty() ? 0 : 1);
  }

  /** Random inputs of the declared shapes (symbolic dimensions as 1). */
  private static Map<String, Tensor> randomInputs(Model model) {
    SplittableRandom random = new SplittableRandom(1);
    Map<String, Tensor> in = new LinkedHashMap<>();
    for (ValueInfo v : model.inputs()) {
      long[] shape = v.hasShape() ? v.shape().clone() : new long[] {1};
      long n = 1;
      for (int i = 0; i < shape.length; i++) {
        shape[i] = shape[i] < 0 ? 1 : shape[i];
        n *= shape[i];
      }
      float[] x = new float[Math.toIntExact(n)];
      for (int i = 0; i < x.length; i++) {
        x[i] = (float) random.nextGaussian();
      }
      in.put(v.name(), Tensor.of(x, shape));
    }
    return in;
  }
}
