package dev.bnfold.converter.passes;

import static dev.bnfold.converter.passes.PassAssertions.assertClose;
import static dev.bnfold.converter.passes.PassAssertions.assertSameOutputs;
import static dev.bnfold.converter.passes.PassAssertions.constantInput;
import static dev.bnfold.converter.passes.PassAssertions.convert;
import static dev.bnfold.converter.passes.PassAssertions.only;
import static dev.bnfold.converter.testing.TestModels.group;
import static dev.bnfold.converter.testing.TestModels.pads;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.bnfold.converter.graph.Graph;
import dev.bnfold.converter.graph.Node;
import dev.bnfold.converter.testing.TestModels;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

/** Linear layer -> BN: the BN disappears into the layer's weights and bias. */
class FoldAffineIntoProducerTest {

  private static Node bnOf(Graph g) {
    return g.nodes().stream().filter(n -> n.is("BatchNormalization")).findFirst().orElseThrow();
  }

  private static double[][] st(Graph g) {
    Node bn = bnOf(g);
    return PassAssertions.scaleShift(
        constantInput(g, bn, 1),
        constantInput(g, bn, 2),
        constantInput(g, bn, 3),
        constantInput(g, bn, 4),
        1e-5);
  }

  @ParameterizedTest(name = "bias={0}")
  @ValueSource(booleans = {true, false})
  void convBnFoldsWithClosedFormWeights(boolean bias) {
    TestModels m = new TestModels(10);
    String x = m.input("x", -1, 3, 6, 6);
    Graph g = m.output(m.relu(m.bn(m.conv(x, 3, 4, 3, bias, pads(1)), 4))).build();
    Node conv = only(g, "Conv");
    float[] w = constantInput(g, conv, 1);
    float[] b = bias ? constantInput(g, conv, 2) : new float[4];
    double[][] st = st(g);

    PassAssertions.Converted c = convert(g);
    Graph out = c.graph();
    assertEquals(0, out.count("BatchNormalization"));
    assertEquals(List.of("Conv", "Relu"), out.nodes().stream().map(Node::opType).toList());
    assertEquals(2, out.initializers().size(), "W' and b' only");
    Node folded = only(out, "Conv");
    assertEquals(conv.name(), folded.name());
    float[] w2 = constantInput(out, folded, 1);
    float[] b2 = constantInput(out, folded, 2);
    int inner = w.length / 4;
    for (int o = 0; o < 4; o++) {
      assertClose(st[0][o] * b[o] + st[1][o], b2[o], "b'" + o);
      for (int r = 0; r < inner; r++) {
        assertClose(st[0][o] * w[o * inner + r], w2[o * inner + r], "W'");
      }
    }
    FoldRecord r = c.record("bn2");
    assertEquals(FoldOutcome.FOLDED_INTO_PRODUCER, r.outcome());
    assertEquals(conv.name(), r.target());
    assertSameOutputs(g, out);
  }

  @ParameterizedTest(name = "kernel rank {0}, group {1}")
  @CsvSource({"1,1", "3,1", "2,2", "2,4"})
  void convOfAnyRankAndGroupFolds(int rank, int groups) {
    TestModels m = new TestModels(11);
    long[] dims = new long[2 + rank];
    dims[0] = 2;
    dims[1] = 4;
    long[] kernel = new long[rank];
    for (int i = 0; i < rank; i++) {
      dims[2 + i] = 5;
      kernel[i] = 3;
    }
    String x = m.input("x", dims);
    Graph g = m.output(m.bn(m.conv(x, 4, 8, kernel, true, group(groups)), 8)).build();
    Graph out = convert(g).graph();
    assertEquals(0, out.count("BatchNormalization"));
    assertEquals(1, out.nodes().size());
    assertSameOutputs(g, out);
  }

  @ParameterizedTest(name = "Cin={0} Cout={1} group={2}")
  @CsvSource({"3,5,1", "4,6,2", "6,4,2", "4,4,4"})
  void convTransposeFoldsWithGroupAwareOutputChannels(int cin, int cout, int groups) {
    TestModels m = new TestModels(12);
    String x = m.input("x", 1, cin, 4, 4);
    Graph g =
        m.output(
                m.bn(
                    m.convTranspose(
                        x, cin, cout, 3, true, group(groups), Node.intsAttr("strides", 2, 2)),
                    cout))
            .build();
    Node ct = only(g, "ConvTranspose");
    float[] w = constantInput(g, ct, 1);
    double[][] st = st(g);
    Graph out = convert(g).graph();
    assertEquals(0, out.count("BatchNormalization"));
    float[] w2 = constantInput(out, only(out, "ConvTranspose"), 1);
    // W[Cin, Cout/g, k, k]: input channel i, column j feeds o = (i / (Cin/g)) * (Cout/g) + j.
    int perOut = cout / groups;
    int perIn = cin / groups;
    for (int i = 0; i < cin; i++) {
      for (int j = 0; j < perOut; j++) {
        int o = (i / perIn) * perOut + j;
        for (int k = 0; k < 9; k++) {
          int idx = (i * perOut + j) * 9 + k;
          assertClose(st[0][o] * w[idx], w2[idx], "W'[" + i + "," + j + "]");
        }
      }
    }
    assertSameOutputs(g, out);
  }

  @ParameterizedTest(name = "transB={0} alpha={1} beta={2} C={3}")
  @CsvSource({
    "true, 0.7, 1.3, vector",
    "false, 1.0, 1.0, vector",
    "true, 1.5, 0.5, scalar",
    "true, 0.7, 1.3, none",
    "false, 2.0, 0.0, vector",
    "true, 0.7, 1.3, matrix"
  })
  void gemmBnFolds(boolean transB, float alpha, float beta, String cKind) {
    TestModels m = new TestModels(13);
    String x = m.input("x", 3, 6);
    long[] cDims =
        switch (cKind) {
          case "vector" -> new long[] {5};
          case "scalar" -> new long[] {};
          case "matrix" -> new long[] {3, 5};
          default -> null;
        };
    Graph g = m.output(m.bn(m.gemm(x, 6, 5, transB, alpha, beta, cDims), 5)).build();
    PassAssertions.Converted c = convert(g);
    assertEquals(List.of("Gemm"), c.graph().nodes().stream().map(Node::opType).toList());
    assertEquals(FoldOutcome.FOLDED_INTO_PRODUCER, c.record("bn2").outcome());
    assertSameOutputs(g, c.graph());
  }

  @ParameterizedTest(name = "with bias Add: {0}")
  @ValueSource(booleans = {true, false})
  void matMulBnBecomesGemm(boolean withAdd) {
    TestModels m = new TestModels(14);
    String x = m.input("x", 4, 6);
    String y = m.matMul(x, 6, 3);
    if (withAdd) {
      y = m.node("Add", List.of(y, m.random("bias", -1, 1, 3)));
    }
    Graph g = m.output(m.bn(y, 3)).build();
    Graph out = convert(g).graph();
    assertEquals(List.of("Gemm"), out.nodes().stream().map(Node::opType).toList());
    assertSameOutputs(g, out);
  }

  @Test
  void producerReadByAnotherNodeIsNotChanged() {
    TestModels m = new TestModels(15);
    String x = m.input("x", 1, 3, 5, 5);
    String conv = m.conv(x, 3, 3, 3, true, pads(1));
    String sum = m.node("Add", List.of(m.bn(conv, 3), conv)); // residual-style second reader
    Graph g = m.output(sum).build();
    Node original = only(g, "Conv");
    PassAssertions.Converted c = convert(g);
    Node after = only(c.graph(), "Conv");
    assertEquals(original.inputs(), after.inputs(), "the shared conv keeps its weights");
    FoldRecord r = c.record("bn2");
    assertEquals(FoldOutcome.TURNED_INTO_AFFINE, r.outcome());
    assertTrue(r.reason().contains("also read elsewhere"), r.reason());
    assertSameOutputs(g, c.graph());
  }

  @Test
  void producerWhoseOutputIsAGraphOutputIsNotChanged() {
    TestModels m = new TestModels(16);
    String x = m.input("x", 1, 3, 5, 5);
    String conv = m.conv(x, 3, 3, 1, true);
    Graph g = m.output(m.bn(conv, 3)).output(conv).build();
    PassAssertions.Converted c = convert(g);
    assertEquals(FoldOutcome.TURNED_INTO_AFFINE, c.record("bn2").outcome());
    assertTrue(c.record("bn2").reason().contains("graph output"), c.record("bn2").reason());
    assertSameOutputs(g, c.graph());
  }

  @Test
  void sharedWeightInitializerIsNotEditedInPlace() {
    TestModels m = new TestModels(17);
    String x = m.input("x", 1, 3, 5, 5);
    String a = m.conv(x, 3, 3, 1, false);
    Graph g0 = m.graph();
    String w = g0.nodes().get(0).input(1);
    // A second conv reads the same weight tensor and is not followed by a BN.
    String b = m.node("Conv", List.of(x, w));
    Graph g = m.output(m.bn(a, 3)).output(b).build();
    float[] before = g.constant(w).floats();
    Graph out = convert(g).graph();
    assertArrayEquals(before, out.constant(w).floats(), "the shared W is unchanged");
    assertEquals(2, out.count("Conv"));
    assertSameOutputs(g, out);
  }

  @Test
  void nonConstantWeightsAreNotFolded() {
    TestModels m = new TestModels(18);
    String x = m.input("x", 1, 3, 5, 5);
    String w = m.input("w", 3, 3, 1, 1);
    Graph g = m.output(m.bn(m.node("Conv", List.of(x, w)), 3)).build();
    PassAssertions.Converted c = convert(g);
    assertEquals(FoldOutcome.TURNED_INTO_AFFINE, c.record("bn2").outcome());
    assertTrue(c.record("bn2").reason().contains("non-constant weights"), c.record("bn2").reason());
  }

  @Test
  void chainOfTwoBnsFoldsBothIntoTheConv() {
    TestModels m = new TestModels(19);
    String x = m.input("x", 1, 3, 5, 5);
    Graph g = m.output(m.bn(m.bn(m.conv(x, 3, 4, 3, true), 4), 4)).build();
    PassAssertions.Converted c = convert(g);
    assertEquals(List.of("Conv"), c.graph().nodes().stream().map(Node::opType).toList());
    assertSameOutputs(g, c.graph());
  }

  @Test
  void matMulOfRank3IsNotFoldedBecauseTheBnAxisIsNotItsOutputAxis() {
    TestModels m = new TestModels(20);
    String x = m.input("x", 2, 3, 4);
    Graph g = m.output(m.bn(m.matMul(x, 4, 5), 3)).build(); // BN over axis 1 (3), MatMul N = 5
    PassAssertions.Converted c = convert(g);
    assertEquals(FoldOutcome.TURNED_INTO_AFFINE, c.record("bn2").outcome());
    assertTrue(c.record("bn2").reason().contains("rank other than 2"), c.record("bn2").reason());
    assertSameOutputs(g, c.graph());
  }
}
