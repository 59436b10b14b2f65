package dev.bnfold.runtime.ops;

/** One bound node: an op specialised for concrete shapes and buffer slots, run once per call. */
@FunctionalInterface
public interface Step {
  /** Runs the node, reading its inputs from and writing its outputs to {@code frame}. */
  void run(Frame frame);
}
