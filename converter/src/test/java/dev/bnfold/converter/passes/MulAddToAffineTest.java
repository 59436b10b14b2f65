package dev.bnfold.converter.passes;

import static dev.bnfold.converter.passes.PassAssertions.assertSameOutputs;
import static dev.bnfold.converter.passes.PassAssertions.convert;
import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.bnfold.converter.graph.Graph;
import dev.bnfold.converter.graph.Node;
import dev.bnfold.converter.testing.TestModels;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Conv -> Mul(const) -> Add(const), as TensorFlow exports BN, folds like a BN. */
class MulAddToAffineTest {

  @Test
  void perChannelMulAddAfterConvFolds() {
    TestModels m = new TestModels(30);
    String x = m.input("x", 1, 3, 4, 4);
    String c = m.conv(x, 3, 4, 3, true);
    String mul = m.node("Mul", List.of(c, m.random("m", 0.5, 2, 1, 4, 1, 1)));
    String add = m.node("Add", List.of(mul, m.random("a", -1, 1, 4, 1, 1)));
    Graph g = m.output(m.relu(add)).build();
    PassAssertions.Converted conv = convert(g);
    assertEquals(List.of("Conv", "Relu"), conv.graph().nodes().stream().map(Node::opType).toList());
    FoldRecord r = conv.record("mul2");
    assertEquals("Mul+Add", r.op());
    assertEquals(FoldOutcome.FOLDED_INTO_PRODUCER, r.outcome());
    assertSameOutputs(g, conv.graph());
  }

  @Test
  void scalarOrSpatialConstantsAreNotPerChannel() {
    TestModels m = new TestModels(31);
    String x = m.input("x", 1, 3, 4, 4);
    String c = m.conv(x, 3, 4, 3, true);
    String mul = m.node("Mul", List.of(c, m.random("m", 0.5, 2, 2)));
    String add = m.node("Add", List.of(mul, m.random("a", -1, 1, 4, 1, 1)));
    Graph g = m.output(add).build();
    Graph out = convert(g).graph();
    assertEquals(List.of("Conv", "Mul", "Add"), out.nodes().stream().map(Node::opType).toList());
    assertSameOutputs(g, out);
  }
}
