package dev.bnfold.converter.passes;

/**
 * One line of the explain table: what became of one BatchNormalization node (or of one constant
 * Mul/Add pair absorbed like a BN).
 *
 * @param node the name of the BN node in the input model
 * @param op the op type of that node ("BatchNormalization", or "Mul+Add" for affine chains)
 * @param outcome what became of it
 * @param target the node it was folded into, or null
 * @param reason why it was left, or details of the fold; never null
 */
public record FoldRecord(
    String node, String op, FoldOutcome outcome, String target, String reason) {

  /** Whether the node is gone from the graph (folded or turned into an affine map). */
  public boolean rewritten() {
    return outcome != FoldOutcome.LEFT;
  }
}
