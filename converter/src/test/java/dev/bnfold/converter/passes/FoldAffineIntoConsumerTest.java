package dev.bnfold.converter.passes;

import static dev.bnfold.converter.passes.PassAssertions.assertClose;
import static dev.bnfold.converter.passes.PassAssertions.assertSameOutputs;
import static dev.bnfold.converter.passes.PassAssertions.constantInput;
import static dev.bnfold.converter.passes.PassAssertions.convert;
import static dev.bnfold.converter.passes.PassAssertions.only;
import static dev.bnfold.converter.testing.TestModels.group;
import static dev.bnfold.converter.testing.TestModels.pads;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.bnfold.converter.graph.Graph;
import dev.bnfold.converter.graph.Node;
import dev.bnfold.converter.testing.TestModels;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** BN -> linear layer (after a non-linear producer): folded into the consumer where exact. */
class FoldAffineIntoConsumerTest {

  private static List<String> ops(Graph g) {
    return g.nodes().stream().map(Node::opType).toList();
  }

  @ParameterizedTest(name = "transB={0} alpha={1} beta={2}")
  @CsvSource({"true, 0.7, 1.3", "false, 1.0, 1.0", "true, 2.0, 0.0"})
  void bnBeforeGemmFoldsWithClosedFormValues(boolean transB, float alpha, float beta) {
    TestModels m = new TestModels(20);
    String x = m.input("x", 2, 4);
    Graph g =
        m.output(m.gemm(m.bn(m.relu(x), 4), 4, 3, transB, alpha, beta, new long[] {3})).build();
    Node bn = only(g, "BatchNormalization");
    Node gemm = only(g, "Gemm");
    double[][] st =
        PassAssertions.scaleShift(
            constantInput(g, bn, 1),
            constantInput(g, bn, 2),
            constantInput(g, bn, 3),
            constantInput(g, bn, 4),
            1e-5);
    float[] w = constantInput(g, gemm, 1);
    float[] c = constantInput(g, gemm, 2);

    PassAssertions.Converted conv = convert(g);
    assertEquals(List.of("Relu", "Gemm"), ops(conv.graph()));
    FoldRecord r = conv.record("bn2");
    assertEquals(FoldOutcome.FOLDED_INTO_CONSUMER, r.outcome());
    assertEquals(gemm.name(), r.target());
    Node folded = only(conv.graph(), "Gemm");
    float[] w2 = constantInput(conv.graph(), folded, 1);
    float[] c2 = constantInput(conv.graph(), folded, 2);
    for (int n = 0; n < 3; n++) {
      double sum = 0;
      for (int k = 0; k < 4; k++) {
        int idx = transB ? n * 4 + k : k * 3 + n;
        assertClose(st[0][k] * w[idx], w2[idx], "W'");
        sum += st[1][k] * w[idx];
      }
      double expected = beta == 0 ? alpha * sum : c[n] + alpha / beta * sum;
      assertClose(expected, c2[n], "b'" + n);
    }
    assertSameOutputs(g, conv.graph());
  }

  @Test
  void bnBeforeFlattenGemmRepeatsPerChannelValues() {
    TestModels m = new TestModels(21);
    String x = m.input("x", -1, 3, 2, 2);
    String flat = m.node("Flatten", List.of(m.bn(m.relu(x), 3)));
    Graph g = m.output(m.gemm(flat, 12, 5, true, 1f, 1f, new long[] {5})).build();
    PassAssertions.Converted c = convert(g);
    assertEquals(List.of("Relu", "Flatten", "Gemm"), ops(c.graph()));
    assertEquals(FoldOutcome.FOLDED_INTO_CONSUMER, c.record("bn2").outcome());
    assertSameOutputs(g, c.graph());
  }

  @Test
  void bnBeforeMatMulBecomesGemm() {
    TestModels m = new TestModels(22);
    String x = m.input("x", 3, 4);
    Graph g = m.output(m.matMul(m.bn(m.relu(x), 4), 4, 2)).build();
    Graph out = convert(g).graph();
    assertEquals(List.of("Relu", "Gemm"), ops(out));
    assertSameOutputs(g, out);
  }

  @ParameterizedTest(name = "group {0}")
  @CsvSource({"1", "2"})
  void bnBeforeUnpaddedConvFoldsExactly(int groups) {
    TestModels m = new TestModels(23);
    String x = m.input("x", 1, 4, 5, 5);
    Graph g = m.output(m.conv(m.bn(m.relu(x), 4), 4, 6, 3, true, group(groups))).build();
    PassAssertions.Converted c = convert(g);
    assertEquals(List.of("Relu", "Conv"), ops(c.graph()));
    assertEquals(FoldOutcome.FOLDED_INTO_CONSUMER, c.record("bn2").outcome());
    assertSameOutputs(g, c.graph());
  }

  @Test
  void bnBeforePaddedConvFoldsOnlyTheScale() {
    TestModels m = new TestModels(24);
    String x = m.input("x", 1, 4, 5, 5);
    Graph g = m.output(m.conv(m.bn(m.relu(x), 4), 4, 6, 3, true, pads(1))).build();
    Node conv = only(g, "Conv");
    PassAssertions.Converted c = convert(g);
    // The shift cannot go into the bias (the conv pads the BN's output with zeros): an Add of t/s
    // stays before the conv, whose bias is unchanged.
    assertEquals(List.of("Relu", "Add", "Conv"), ops(c.graph()));
    Node folded = only(c.graph(), "Conv");
    assertEquals(conv.input(2), folded.input(2));
    FoldRecord r = c.record("bn2");
    assertEquals(FoldOutcome.FOLDED_INTO_CONSUMER, r.outcome());
    assertTrue(r.reason().contains("shift kept"), r.reason());
    assertSameOutputs(g, c.graph());
  }

  @ParameterizedTest(name = "strides {0}, group {1}")
  @CsvSource({"1, 1", "2, 1", "2, 2"})
  void bnWithAZeroScaleBeforePaddedConvUsesAPerPositionBiasMap(int stride, int groups) {
    TestModels m = new TestModels(27);
    String x = m.input("x", -1, 4, 7, 7);
    String y =
        m.bn(
            m.relu(x),
            "bn_pruned",
            new float[] {1.2f, 0f, 0.7f, -0.9f}, // channel 1 pruned: gamma = 0
            new float[] {0.3f, 0.5f, -0.2f, 0.1f},
            new float[] {0.1f, 0.2f, 0.3f, -0.4f},
            new float[] {0.5f, 1.5f, 0.8f, 1.1f});
    Graph g =
        m.output(
                m.conv(
                    y,
                    4,
                    6,
                    3,
                    true,
                    pads(1),
                    group(groups),
                    Node.intsAttr("strides", stride, stride)))
            .build();
    PassAssertions.Converted c = convert(g);
    assertEquals(List.of("Relu", "Conv", "Add"), ops(c.graph()));
    FoldRecord r = c.record("bn_pruned");
    assertEquals(FoldOutcome.FOLDED_INTO_CONSUMER, r.outcome());
    assertTrue(r.reason().contains("bias map"), r.reason());
    assertSameOutputs(g, c.graph());
  }

  @Test
  void bnFeedingTwoConsumersBecomesAnAffine() {
    TestModels m = new TestModels(25);
    String x = m.input("x", 1, 4, 5, 5);
    String y = m.bn(m.relu(x), 4);
    Graph g = m.output(m.conv(y, 4, 4, 1, true)).output(m.conv(y, 4, 2, 1, false)).build();
    PassAssertions.Converted c = convert(g);
    assertEquals(FoldOutcome.TURNED_INTO_AFFINE, c.record("bn2").outcome());
    assertTrue(c.record("bn2").reason().contains("read by 2 nodes"), c.record("bn2").reason());
    assertEquals(2, c.graph().count("Conv"));
    assertSameOutputs(g, c.graph());
  }

  @Test
  void bnBeforeGemmWithTransposedInputIsNotFolded() {
    TestModels m = new TestModels(26);
    String x = m.input("x", 4, 3);
    String y = m.bn(m.relu(x), 3);
    Graph g =
        m.output(m.node("Gemm", List.of(y, m.random("B", -1, 1, 4, 2)), Node.intAttr("transA", 1)))
            .build();
    PassAssertions.Converted c = convert(g);
    assertEquals(FoldOutcome.TURNED_INTO_AFFINE, c.record("bn2").outcome());
    assertTrue(c.record("bn2").reason().contains("transA=1"), c.record("bn2").reason());
    assertSameOutputs(g, c.graph());
  }
}
