package dev.bnfold.converter.passes;

import dev.bnfold.converter.graph.Graph;

/**
 * One graph rewrite. A pass matches a pattern, checks its preconditions ("not applicable" returns
 * leave the graph untouched), computes every new tensor, and only then patches the graph.
 */
public interface Pass {
  /** A short name for logs and timings, e.g. {@code fold-affine-into-producer}. */
  String name();

  /**
   * Rewrites {@code graph} in place.
   *
   * @return whether anything changed
   */
  boolean run(Graph graph, PassContext context);
}
