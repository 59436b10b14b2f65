package dev.bnfold.converter.passes;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.bnfold.converter.graph.Graph;
import dev.bnfold.converter.graph.Node;
import dev.bnfold.converter.testing.TestModels;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Unused nodes and initializers are dropped. */
class RemoveUnusedTest {

  private static List<String> ops(Graph g) {
    return g.nodes().stream().map(Node::opType).toList();
  }

  @Test
  void unusedInitializersAreDropped() {
    TestModels m = new TestModels(44);
    String x = m.input("x", 2, 3);
    m.random("unused", 0, 1, 4);
    Graph g = m.output(m.relu(x)).build();
    new RemoveUnused().run(g, new PassContext());
    assertEquals(0, g.initializers().size());
  }
}
