package dev.bnfold.converter.passes;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.bnfold.converter.graph.Graph;
import dev.bnfold.converter.graph.Node;
import dev.bnfold.converter.graph.Tensor;
import dev.bnfold.converter.testing.TestModels;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Static shapes of the CNN ops, with a symbolic batch carried through. */
class InferShapesTest {

  private static String shape(Graph g, String v) {
    return g.info(v).shapeString();
  }

  @Test
  void convPoolFlattenGemmKeepTheBatchSymbol() {
    TestModels m = new TestModels(50);
    String x = m.input("x", -1, 3, 32, 32);
    String c1 = m.conv(x, 3, 8, 3, true, Node.intsAttr("strides", 2, 2), TestModels.pads(1));
    String p =
        m.node(
            "MaxPool",
            List.of(c1),
            Node.intsAttr("kernel_shape", 3, 3),
            Node.intsAttr("strides", 2, 2),
            Node.intAttr("ceil_mode", 1));
    String gap = m.node("GlobalAveragePool", List.of(p));
    String ap =
        m.node(
            "AveragePool",
            List.of(p),
            Node.intsAttr("kernel_shape", 2, 2),
            Node.stringAttr("auto_pad", "SAME_UPPER"));
    String ct =
        m.convTranspose(
            p,
            8,
            4,
            3,
            false,
            Node.intsAttr("strides", 2, 2),
            Node.intsAttr("pads", 1, 1, 1, 1),
            Node.intsAttr("output_padding", 1, 1));
    String flat = m.node("Flatten", List.of(gap));
    String gemm = m.gemm(flat, 8, 10, true, 1f, 1f, new long[] {10});
    String soft = m.node("Softmax", List.of(gemm), Node.intAttr("axis", 1));
    String t = m.node("Transpose", List.of(p), Node.intsAttr("perm", 0, 2, 3, 1));
    String rm =
        m.node("ReduceMean", List.of(p), Node.intsAttr("axes", 2, 3), Node.intAttr("keepdims", 0));
    String mm = m.node("MatMul", List.of(t, m.random("B", 0, 1, 8, 5)));
    String cat = m.node("Concat", List.of(p, p), Node.intAttr("axis", 1));
    Graph g = m.output(soft).build();
    new InferShapes().run(g, new PassContext());
    assertEquals("[N,8,16,16]", shape(g, c1));
    assertEquals("[N,8,8,8]", shape(g, p));
    assertEquals("[N,8,1,1]", shape(g, gap));
    assertEquals("[N,8,8,8]", shape(g, ap)); // stride 1, SAME
    assertEquals("[N,4,16,16]", shape(g, ct));
    assertEquals("[N,8]", shape(g, flat));
    assertEquals("[N,10]", shape(g, gemm));
    assertEquals("[N,10]", shape(g, soft));
    assertEquals("[N,8,8,8]", shape(g, t));
    assertEquals("[N,8]", shape(g, rm));
    assertEquals("[N,8,8,5]", shape(g, mm));
    assertEquals("[N,16,8,8]", shape(g, cat));
  }

  @Test
  void sliceSplitPadSqueezeUnsqueezeReshapeAndBroadcast() {
    TestModels m = new TestModels(51);
    String x = m.input("x", -1, 6, 10);
    Graph g0 = m.graph();
    String starts = g0.addConstant("s", Tensor.ofLongs(new long[] {1}, new long[] {1}));
    String ends = g0.addConstant("e", Tensor.ofLongs(new long[] {1}, new long[] {-1}));
    String axes = g0.addConstant("a", Tensor.ofLongs(new long[] {1}, new long[] {2}));
    String slice = m.node("Slice", List.of(x, starts, ends, axes));
    List<String> split = m.node("Split", "split", List.of(x), 2, Node.intAttr("axis", 1));
    String pads =
        g0.addConstant("p", Tensor.ofLongs(new long[] {6}, new long[] {0, 0, 1, 0, 0, 2}));
    String pad = m.node("Pad", List.of(x, pads));
    String ax0 = g0.addConstant("ax0", Tensor.ofLongs(new long[] {1}, new long[] {3}));
    String unsq = m.node("Unsqueeze", List.of(x, ax0));
    String sq = m.node("Squeeze", List.of(unsq, ax0));
    String shape = g0.addConstant("shape", Tensor.ofLongs(new long[] {3}, new long[] {0, 2, -1}));
    String reshape = m.node("Reshape", List.of(x, shape));
    String sum = m.node("Add", List.of(x, m.random("bias", 0, 1, 10)));
    Graph g = m.output(sum).build();
    new InferShapes().run(g, new PassContext());
    assertEquals("[N,6,8]", shape(g, slice));
    assertEquals("[N,3,10]", shape(g, split.get(0)));
    assertEquals("[N,6,13]", shape(g, pad));
    assertEquals("[N,6,10,1]", shape(g, unsq));
    assertEquals("[N,6,10]", shape(g, sq));
    assertEquals("[N,2,30]", shape(g, reshape));
    assertEquals("[N,6,10]", g.outputs().get(0).shapeString());
  }
}
