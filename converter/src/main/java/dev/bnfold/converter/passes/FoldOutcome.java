package dev.bnfold.converter.passes;

/** What became of one BatchNormalization (or constant Mul/Add affine) node. */
public enum FoldOutcome {
  /** Absorbed into the linear layer that produces its input. */
  FOLDED_INTO_PRODUCER,
  /** Absorbed into the linear layer that reads its output. */
  FOLDED_INTO_CONSUMER,
  /** Replaced by one per-channel affine map (a Mul and an Add with constant [C,1,...] tensors). */
  TURNED_INTO_AFFINE,
  /** Kept as it was; the record's reason says why. */
  LEFT
}
