package dev.bnfold.converter.verify;

import dev.bnfold.converter.graph.DataType;
import dev.bnfold.converter.io.NdArray;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;

/**
 * Compares a set of outputs against reference outputs, independent of how either was produced (ONNX
 * Runtime, the bnfold runtime, a .npy file). Float outputs must satisfy {@link Tolerance}; integer
 * outputs must match exactly; float outputs of shape [N, classes] also report top-1 agreement.
 *
 * @param outputs one comparison per reference output, in reference order
 */
public record Comparison(List<OutputComparison> outputs) {

  public Comparison {
    outputs = List.copyOf(outputs);
  }

  /** Compares {@code actual} against {@code reference}, output by output. */
  public static Comparison compare(
      Map<String, NdArray> reference, Map<String, NdArray> actual, Tolerance tolerance) {
    List<OutputComparison> out = new ArrayList<>();
    for (Map.Entry<String, NdArray> e : reference.entrySet()) {
      out.add(compare(e.getKey(), e.getValue(), actual.get(e.getKey()), tolerance));
    }
    return new Comparison(out);
  }

  /** Compares one output. {@code actual} may be null (missing output). */
  public static OutputComparison compare(
      String name, NdArray ref, NdArray actual, Tolerance tolerance) {
    if (actual == null) {
      return failure(name, "missing from the outputs compared");
    }
    if (!Arrays.equals(ref.shape(), actual.shape())) {
      return failure(
          name,
          "shape "
              + Arrays.toString(actual.shape())
              + " differs from the reference "
              + Arrays.toString(ref.shape()));
    }
    if (ref.type() != DataType.FLOAT || actual.type() != DataType.FLOAT) {
      if (ref.type() == DataType.FLOAT || actual.type() == DataType.FLOAT) {
        return failure(name, "type " + actual.type().onnxName() + " differs from the reference");
      }
      long[] a = ref.longs();
      long[] b = actual.longs();
      double maxAbs = 0;
      double maxRef = 0;
      for (int i = 0; i < a.length; i++) {
        maxAbs = Math.max(maxAbs, Math.abs((double) a[i] - b[i]));
        maxRef = Math.max(maxRef, Math.abs((double) a[i]));
      }
      return new OutputComparison(
          name, maxAbs, rel(maxAbs, maxRef), maxRef, 0, maxAbs == 0, -1, -1, null);
    }
    float[] a = ref.floats();
    float[] b = actual.floats();
    double maxAbs = 0;
    double maxRef = 0;
    for (int i = 0; i < a.length; i++) {
      double r = a[i];
      double d = Math.abs(r - b[i]);
      if (Double.isNaN(r) && Double.isNaN(b[i])) {
        continue; // NaN in both: agreement
      }
      if (!Double.isFinite(r) && r == b[i]) {
        continue; // the same infinity
      }
      maxAbs = Math.max(maxAbs, Double.isNaN(d) ? Double.POSITIVE_INFINITY : d);
      if (Double.isFinite(r)) {
        maxRef = Math.max(maxRef, Math.abs(r));
      }
    }
    double bound = tolerance.bound(maxRef);
    int agree = -1;
    int total = -1;
    long[] shape = ref.shape();
    if (shape.length == 2 && shape[1] > 1) {
      total = (int) shape[0];
      agree = 0;
      int classes = (int) shape[1];
      for (int row = 0; row < total; row++) {
        if (argmax(a, row * classes, classes) == argmax(b, row * classes, classes)) {
          agree++;
        }
      }
    }
    return new OutputComparison(
        name, maxAbs, rel(maxAbs, maxRef), maxRef, bound, maxAbs <= bound, agree, total, null);
  }

  private static double rel(double abs, double ref) {
    return abs == 0 ? 0 : ref == 0 ? Double.POSITIVE_INFINITY : abs / ref;
  }

  private static OutputComparison failure(String name, String problem) {
    return new OutputComparison(
        name, Double.POSITIVE_INFINITY, Double.POSITIVE_INFINITY, 0, 0, false, -1, -1, problem);
  }

  /** Index of the largest element of {@code v[off, off+n)} (first one on ties). */
  static int argmax(float[] v, int off, int n) {
    int best = 0;
    for (int i = 1; i < n; i++) {
      if (v[off + i] > v[off + best]) {
        best = i;
      }
    }
    return best;
  }

  /** Whether every output is within tolerance. */
  public boolean passed() {
    return outputs.stream().allMatch(OutputComparison::passed);
  }

  /** The largest max abs error over all outputs. */
  public double maxAbsError() {
    return outputs.stream().mapToDouble(OutputComparison::maxAbsError).max().orElse(0);
  }

  /** The largest max rel error over all outputs. */
  public double maxRelError() {
    return outputs.stream().mapToDouble(OutputComparison::maxRelError).max().orElse(0);
  }

  /** The first failing output, or null. */
  public OutputComparison firstFailure() {
    return outputs.stream().filter(o -> !o.passed()).findFirst().orElse(null);
  }

  /**
   * Merges per-sample comparisons: per output, the worst error and bound check over all samples and
   * the summed top-1 counts.
   */
  public static Comparison worst(List<Comparison> samples) {
    if (samples.isEmpty()) {
      return new Comparison(List.of());
    }
    List<OutputComparison> merged = new ArrayList<>(samples.get(0).outputs());
    for (int s = 1; s < samples.size(); s++) {
      List<OutputComparison> next = samples.get(s).outputs();
      for (int i = 0; i < merged.size() && i < next.size(); i++) {
        OutputComparison a = merged.get(i);
        OutputComparison b = next.get(i);
        merged.set(
            i,
            new OutputComparison(
                a.name(),
                Math.max(a.maxAbsError(), b.maxAbsError()),
                Math.max(a.maxRelError(), b.maxRelError()),
                Math.max(a.maxRef(), b.maxRef()),
                Math.min(a.bound(), b.bound()),
                a.passed() && b.passed(),
                a.top1Total() < 0 ? -1 : a.top1Agree() + b.top1Agree(),
                a.top1Total() < 0 ? -1 : a.top1Total() + b.top1Total(),
                a.problem() != null ? a.problem() : b.problem()));
      }
    }
    return new Comparison(merged);
  }
}
