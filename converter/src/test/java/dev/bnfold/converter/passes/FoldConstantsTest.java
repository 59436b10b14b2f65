package dev.bnfold.converter.passes;

import static dev.bnfold.converter.passes.PassAssertions.assertSameOutputs;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.bnfold.converter.graph.Graph;
import dev.bnfold.converter.graph.Node;
import dev.bnfold.converter.graph.Tensor;
import dev.bnfold.converter.testing.TestModels;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Constant subgraphs and dynamic-batch shape arithmetic are evaluated at conversion time. */
class FoldConstantsTest {

  private static List<String> ops(Graph g) {
    return g.nodes().stream().map(Node::opType).toList();
  }

  @Test
  void shapeGatherConcatReshapeChainBecomesAConstantTarget() {
    // Flatten as old PyTorch exports wrote it: Reshape(x, Concat(Unsqueeze(Gather(Shape(x), 0)),
    // [-1]))
    TestModels m = new TestModels(42);
    String x = m.input("x", -1, 2, 3, 3);
    String r = m.relu(x);
    String shape = m.node("Shape", List.of(r));
    String zero = m.graph().addConstant("zero", Tensor.ofLongs(new long[] {}, new long[] {0}));
    String batch = m.node("Gather", List.of(shape, zero));
    String axes = m.graph().addConstant("axes", Tensor.ofLongs(new long[] {1}, new long[] {0}));
    String unsq = m.node("Unsqueeze", List.of(batch, axes));
    String minus1 = m.graph().addConstant("m1", Tensor.ofLongs(new long[] {1}, new long[] {-1}));
    String target = m.node("Concat", List.of(unsq, minus1), Node.intAttr("axis", 0));
    String flat = m.node("Reshape", List.of(r, target));
    Graph g = m.output(m.gemm(flat, 18, 4, false, 1f, 1f, new long[] {4})).build();

    Graph out = PassAssertions.convert(g).graph();
    assertEquals(List.of("Relu", "Reshape", "Gemm"), ops(out));
    Node reshape = PassAssertions.only(out, "Reshape");
    assertArrayEquals(new long[] {0, -1}, out.constant(reshape.input(1)).longs());
    assertEquals("[N,18]", out.info(reshape.output(0)).shapeString());
    assertSameOutputs(g, out);
  }

  @Test
  void arithmeticOnConstantsIsEvaluated() {
    TestModels m = new TestModels(43);
    String x = m.input("x", 2, 3);
    String a = m.constant("a", new long[] {3}, new float[] {1, 2, 3});
    String b = m.constant("b", new long[] {1}, new float[] {0.5f});
    String ab = m.node("Mul", List.of(a, b));
    String cast = m.node("Cast", List.of(m.node("Add", List.of(ab, b))), Node.intAttr("to", 1));
    Graph g = m.output(m.node("Add", List.of(x, cast))).build();
    new FoldConstants().run(g, new PassContext());
    g.removeUnused();
    assertEquals(List.of("Add"), ops(g));
    assertArrayEquals(new float[] {1f, 1.5f, 2f}, g.constant(g.nodes().get(0).input(1)).floats());
  }
}
