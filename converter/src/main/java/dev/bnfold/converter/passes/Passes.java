package dev.bnfold.converter.passes;

import dev.bnfold.converter.graph.Graph;
import java.util.List;

/**
 * The pass pipelines of the converter. Each pass is followed by {@link Graph#check()}, so a pass
 * that breaks the graph is caught at once, named.
 */
public final class Passes {
  private Passes() {}

  /** Cleanup that exposes the BN patterns: Identity/Dropout removal, constant folding, shapes. */
  public static List<Pass> cleanup() {
    return List.of(new RemoveIdentity(), new InferShapes(), new FoldConstants(), new InferShapes());
  }

  /** The folding passes proper, in order. */
  public static List<Pass> folding() {
    return List.of(
        new BatchNormToAffine(),
        new MulAddToAffine(),
        new FoldAffineIntoProducer(),
        new FoldAffineIntoConsumer(),
        new LowerChannelAffine(),
        new RemoveUnused(),
        new InferShapes());
  }

  /** Runs cleanup (repeated until constant folding stops finding work) then folding. */
  public static void runAll(Graph graph, PassContext context) {
    for (int round = 0; round < 8; round++) {
      boolean changed = false;
      for (Pass p : cleanup()) {
        changed |= run(p, graph, context) && !(p instanceof InferShapes);
      }
      if (!changed) {
        break;
      }
    }
    for (Pass p : folding()) {
      run(p, graph, context);
    }
  }

  /** Runs one pass and checks the graph afterwards. */
  public static boolean run(Pass pass, Graph graph, PassContext context) {
    boolean changed = pass.run(graph, context);
    try {
      graph.check();
    } catch (IllegalStateException e) {
      throw new IllegalStateException("after pass " + pass.name() + ": " + e.getMessage(), e);
    }
    return changed;
  }
}
