package dev.bnfold.converter.verify;

import java.util.List;

/**
 * The outcome of checking a folded model against the original in ONNX Runtime.
 *
 * @param samples number of input sets compared (random samples plus user inputs)
 * @param comparison the worst error per output over all samples, for the final model
 * @param undone BN node names whose folds were undone because they broke the tolerance
 * @param attempts conversions verified, including those of the bisection
 */
public record Verification(int samples, Comparison comparison, List<String> undone, int attempts) {

  public Verification {
    undone = List.copyOf(undone);
  }

  /** Whether the final model is within tolerance. */
  public boolean passed() {
    return comparison.passed();
  }
}
