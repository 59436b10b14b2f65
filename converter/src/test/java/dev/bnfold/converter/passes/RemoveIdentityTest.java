package dev.bnfold.converter.passes;

import static dev.bnfold.converter.passes.PassAssertions.assertSameOutputs;
import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.bnfold.converter.graph.Graph;
import dev.bnfold.converter.graph.Node;
import dev.bnfold.converter.graph.Tensor;
import dev.bnfold.converter.testing.TestModels;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Identity and inference-mode Dropout are removed; training Dropout is kept. */
class RemoveIdentityTest {

  private static List<String> ops(Graph g) {
    return g.nodes().stream().map(Node::opType).toList();
  }

  @Test
  void identityAndInferenceDropoutBetweenConvAndBnAreRemovedSoTheBnFolds() {
    TestModels m = new TestModels(40);
    String x = m.input("x", 1, 3, 4, 4);
    String c = m.node("Identity", List.of(m.conv(x, 3, 4, 1, true)));
    String d = m.node("Dropout", List.of(c));
    Graph g = m.output(m.bn(d, 4)).build();
    Graph out = PassAssertions.convert(g).graph();
    assertEquals(List.of("Conv"), ops(out));
    assertSameOutputs(g, out);
  }

  @Test
  void identityProducingAGraphOutputRenamesItsInput() {
    TestModels m = new TestModels(41);
    String x = m.input("x", 1, 3);
    String r = m.relu(x);
    String y = m.node("Identity", List.of(r));
    Graph g = m.output(y).build();
    new RemoveIdentity().run(g, new PassContext());
    g.check();
    assertEquals(List.of("Relu"), ops(g));
    assertEquals(y, g.nodes().get(0).output(0));
  }

  @Test
  void dropoutInTrainingModeIsKept() {
    TestModels m = new TestModels(45);
    String x = m.input("x", 2, 3);
    String training =
        m.graph()
            .addConstant(
                "training",
                Tensor.ofRaw(
                    dev.bnfold.converter.graph.DataType.BOOL, new long[] {}, new byte[] {1}));
    String ratio = m.constant("ratio", new long[] {}, new float[] {0.5f});
    Graph g = m.output(m.node("Dropout", List.of(m.relu(x), ratio, training))).build();
    new RemoveIdentity().run(g, new PassContext());
    assertEquals(List.of("Relu", "Dropout"), ops(g));
  }
}
