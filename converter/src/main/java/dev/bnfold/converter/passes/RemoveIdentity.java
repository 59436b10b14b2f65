package dev.bnfold.converter.passes;

import dev.bnfold.converter.graph.Graph;
import dev.bnfold.converter.graph.Node;
import dev.bnfold.converter.graph.Tensor;
import java.util.ArrayList;
import java.util.List;

/**
 * Removes Identity nodes and inference-mode Dropout, which exporters leave between a Conv and its
 * BN and which would otherwise hide the pattern.
 *
 * <pre>
 * Before:  x -> Identity -> y -> consumers        After:  x -> consumers
 * </pre>
 *
 * <p>Preconditions: for Dropout, the mask output is unused and training_mode (opset 12+) is absent
 * or a constant false. When y is a graph output, x is renamed to y instead (only if x is computed
 * by a node and is not itself a graph output); when neither works the node stays.
 */
public final class RemoveIdentity implements Pass {

  @Override
  public String name() {
    return "remove-identity";
  }

  @Override
  public boolean run(Graph graph, PassContext context) {
    boolean changed = false;
    for (Node n : new ArrayList<>(graph.nodes())) {
      if (!isIdentity(graph, n)) {
        continue;
      }
      String x = n.input(0);
      String y = n.output(0);
      if (!graph.isGraphOutput(y)) {
        graph.nodes().remove(n);
        graph.replaceUses(y, x);
        changed = true;
      } else {
        Node p = graph.producer(x);
        if (p == null || graph.isGraphOutput(x)) {
          continue;
        }
        graph.nodes().remove(n);
        graph.replaceUses(x, y);
        p.outputs().replaceAll(o -> o.equals(x) ? y : o);
        graph.valueInfo().remove(x);
        changed = true;
      }
    }
    return changed;
  }

  private static boolean isIdentity(Graph graph, Node n) {
    if (n.is("Identity")) {
      return n.outputs().size() == 1;
    }
    if (!n.is("Dropout")) {
      return false;
    }
    List<String> out = n.outputs();
    if (out.size() > 1 && !out.get(1).isEmpty() && !graph.consumers(out.get(1)).isEmpty()) {
      return false;
    }
    if (out.size() > 1 && graph.isGraphOutput(out.get(1))) {
      return false;
    }
    if (n.hasInput(2)) {
      Tensor training = graph.constant(n.input(2));
      return training != null && training.elementCount() == 1 && training.longs()[0] == 0;
    }
    return n.attrInt("is_test", 1) != 0 || graph.onnxOpset() >= 7;
  }
}
