package dev.bnfold.runtime;

import java.util.List;
import java.util.Locale;

/**
 * Per-layer timings of a model for one set of input shapes, from {@link PreparedRun#profile}: for
 * each step of the plan (a node, with any activation fused into it), the kernel chosen at load, the
 * median time over the profiled runs, and the achieved GFLOP/s where the op's arithmetic is known
 * (convolutions, Gemm, MatMul). Immutable.
 */
public final class Profile {
  private final List<Layer> layers;
  private final int runs;
  private final double totalMedianMs;

  Profile(List<Layer> layers, int runs, double totalMedianMs) {
    this.layers = List.copyOf(layers);
    this.runs = runs;
    this.totalMedianMs = totalMedianMs;
  }

  /**
   * One step of the plan.
   *
   * @param node the source node's name (may be empty)
   * @param opType the ONNX op type, with {@code +Activation} when an activation is fused into it
   * @param kernel the kernel the step uses (for example {@code gemm-im2col}), or the op type
   * @param outputShape the shape of the step's first output
   * @param flops multiply-adds counted as two operations; 0 when not counted for this op
   * @param medianMs median time of this step over the profiled runs
   */
  public record Layer(
      String node, String opType, String kernel, long[] outputShape, long flops, double medianMs) {
    /** Achieved GFLOP/s, or NaN when the op's arithmetic is not counted. */
    public double gflops() {
      return flops == 0 || medianMs <= 0 ? Double.NaN : flops / (medianMs * 1e6);
    }
  }

  /** The steps in execution order. */
  public List<Layer> layers() {
    return layers;
  }

  /** Number of profiled runs each median is taken over. */
  public int runs() {
    return runs;
  }

  /** Median of the whole-run time (sum of the steps in each run) over the profiled runs. */
  public double totalMedianMs() {
    return totalMedianMs;
  }

  /** The profile as a text table, one line per step, with each step's share of the sum. */
  @Override
  public String toString() {
    double sum = layers.stream().mapToDouble(Layer::medianMs).sum();
    StringBuilder sb = new StringBuilder();
    sb.append(
        String.format(
            Locale.ROOT,
            "%-4s %-28s %-20s %-22s %-20s %9s %6s %8s%n",
            "#",
            "node",
            "op",
            "kernel",
            "output",
            "ms",
            "%",
            "GFLOP/s"));
    int i = 0;
    for (Layer l : layers) {
      double g = l.gflops();
      sb.append(
          String.format(
              Locale.ROOT,
              "%-4d %-28s %-20s %-22s %-20s %9.4f %6.1f %8s%n",
              i++,
              clip(l.node(), 28),
              clip(l.opType(), 20),
              clip(l.kernel(), 22),
              shape(l.outputShape()),
              l.medianMs(),
              sum > 0 ? 100 * l.medianMs() / sum : 0,
              Double.isNaN(g) ? "-" : String.format(Locale.ROOT, "%.1f", g)));
    }
    sb.append(
        String.format(
            Locale.ROOT,
            "total: %.3f ms median over %d runs (sum of step medians %.3f ms)%n",
            totalMedianMs,
            runs,
            sum));
    return sb.toString();
  }

  private static String clip(String s, int n) {
    return s.length() <= n ? s : s.substring(0, n - 1) + "~";
  }

  private static String shape(long[] s) {
    StringBuilder sb = new StringBuilder();
    for (int i = 0; i < s.length; i++) {
      sb.append(i == 0 ? "" : "x").append(s[i]);
    }
    return sb.toString();
  }
}
