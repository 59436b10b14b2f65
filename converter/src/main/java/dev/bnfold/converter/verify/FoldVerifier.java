package dev.bnfold.converter.verify;

import dev.bnfold.converter.graph.ValueInfo;
import dev.bnfold.converter.io.NdArray;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;

/**
 * Checks folded models against the original in ONNX Runtime with graph optimizations off (so that
 * ONNX Runtime does not fold BN itself and the reference really is unfolded). The reference outputs
 * are computed once, on fixed inputs: {@code samples} random sets of the declared shapes (seeded)
 * plus the user's inputs, if any.
 */
public final class FoldVerifier implements AutoCloseable {
  private final List<Map<String, NdArray>> inputs = new ArrayList<>();
  private final List<Map<String, NdArray>> reference = new ArrayList<>();
  private final Tolerance tolerance;
  private final int threads;

  /**
   * Runs the original model on the verification inputs.
   *
   * @param original the original model's bytes
   * @param declaredInputs the model's graph inputs (shapes; symbolic dims become 1)
   * @param userInputs extra inputs to compare on (missing entries are filled randomly); may be
   *     empty
   */
  public FoldVerifier(
      byte[] original,
      List<ValueInfo> declaredInputs,
      int samples,
      long seed,
      Map<String, NdArray> userInputs,
      Tolerance tolerance,
      int threads) {
    this.tolerance = tolerance;
    this.threads = threads;
    SplittableRandom random = new SplittableRandom(seed);
    for (int i = 0; i < samples; i++) {
      inputs.add(RandomInputs.sample(declaredInputs, random));
    }
    if (!userInputs.isEmpty()) {
      Map<String, NdArray> user = new LinkedHashMap<>(RandomInputs.sample(declaredInputs, random));
      user.putAll(userInputs);
      inputs.add(user);
    }
    try (OrtRunner ort = new OrtRunner(original, false, threads)) {
      for (Map<String, NdArray> in : inputs) {
        reference.add(ort.run(in));
      }
    }
  }

  /** Number of input sets. */
  public int samples() {
    return inputs.size();
  }

  /** Runs {@code folded} on every input set and returns the worst comparison per output. */
  public Comparison check(byte[] folded) {
    List<Comparison> all = new ArrayList<>();
    try (OrtRunner ort = new OrtRunner(folded, false, threads)) {
      for (int i = 0; i < inputs.size(); i++) {
        all.add(Comparison.compare(reference.get(i), ort.run(inputs.get(i)), tolerance));
      }
    }
    return Comparison.worst(all);
  }

  @Override
  public void close() {
    inputs.clear();
    reference.clear();
  }
}
