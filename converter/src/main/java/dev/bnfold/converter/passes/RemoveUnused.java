package dev.bnfold.converter.passes;

import dev.bnfold.converter.graph.Graph;

/**
 * Drops nodes whose outputs nobody reads, initializers nobody reads (the weights a fold replaced)
 * and stale value infos: {@link Graph#removeUnused()} as a pass.
 */
public final class RemoveUnused implements Pass {

  @Override
  public String name() {
    return "remove-unused";
  }

  @Override
  public boolean run(Graph graph, PassContext context) {
    int nodes = graph.nodes().size();
    int inits = graph.initializers().size();
    graph.removeUnused();
    return nodes != graph.nodes().size() || inits != graph.initializers().size();
  }
}
