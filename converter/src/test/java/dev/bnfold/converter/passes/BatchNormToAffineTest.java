package dev.bnfold.converter.passes;

import static dev.bnfold.converter.passes.PassAssertions.assertClose;
import static dev.bnfold.converter.passes.PassAssertions.assertSameOutputs;
import static dev.bnfold.converter.passes.PassAssertions.constantInput;
import static dev.bnfold.converter.passes.PassAssertions.convert;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.bnfold.converter.graph.DataType;
import dev.bnfold.converter.graph.Dim;
import dev.bnfold.converter.graph.Graph;
import dev.bnfold.converter.graph.Node;
import dev.bnfold.converter.graph.ValueInfo;
import dev.bnfold.converter.testing.TestModels;
import dev.bnfold.runtime.BnfoldException;
import dev.bnfold.runtime.ModelFormatException;
import java.util.List;
import org.junit.jupiter.api.Test;

/** BN -> per-channel affine, written as Mul+Add when no linear neighbour absorbs it. */
class BatchNormToAffineTest {

  /** input -> BN -> Relu -> output: nothing to fold into. */
  private static Graph standalone(TestModels m) {
    String x = m.input("x", -1, 3, 5, 5);
    return m.output(m.relu(m.bn(x, 3))).build();
  }

  @Test
  void standaloneBnBecomesMulAddWithClosedFormValues() {
    TestModels m = new TestModels(1);
    Graph g = standalone(m);
    Node bn = g.nodes().get(0);
    PassAssertions.Converted c = convert(g);

    assertEquals(0, c.graph().count("BatchNormalization"));
    Node mul = PassAssertions.only(c.graph(), "Mul");
    Node add = PassAssertions.only(c.graph(), "Add");
    assertEquals("bn1/scale", mul.name());
    assertEquals("bn1/shift", add.name());
    assertEquals(List.of(3L, 1L, 1L), toList(c.graph().constant(mul.input(1)).dims()));
    assertEquals(FoldOutcome.TURNED_INTO_AFFINE, c.record("bn1").outcome());

    double[][] st =
        PassAssertions.scaleShift(
            constantInput(g, bn, 1),
            constantInput(g, bn, 2),
            constantInput(g, bn, 3),
            constantInput(g, bn, 4),
            1e-5);
    float[] s = constantInput(c.graph(), mul, 1);
    float[] t = constantInput(c.graph(), add, 1);
    for (int i = 0; i < 3; i++) {
      assertClose(st[0][i], s[i], "s" + i);
      assertClose(st[1][i], t[i], "t" + i);
    }
    // The 4 BN parameters are gone, 2 [C,1,1] tensors remain.
    assertEquals(2, c.graph().initializers().size());
    assertSameOutputs(g, c.graph());
  }

  private static List<Long> toList(long[] v) {
    return java.util.Arrays.stream(v).boxed().toList();
  }

  @Test
  void epsilonAttributeIsUsedAndDefaultsTo1e5() {
    TestModels m = new TestModels(2);
    String x = m.input("x", 1, 2, 3, 3);
    String y =
        m.bn(
            x,
            "bn",
            new float[] {1f, 2f},
            new float[] {0f, 0f},
            new float[] {0f, 0f},
            new float[] {1e-4f, 1e-4f});
    Graph g = m.output(m.relu(y)).build();
    Node mul = PassAssertions.only(convert(g).graph(), "Mul");
    assertClose(
        1 / Math.sqrt(1e-4 + 1e-5),
        convert(g).graph().constant(mul.input(1)).floats()[0],
        "default eps");

    g.nodes().get(0).setAttribute(Node.floatAttr("epsilon", 1e-3f));
    Graph converted = convert(g).graph();
    Node mul2 = PassAssertions.only(converted, "Mul");
    assertClose(
        2 / Math.sqrt(1e-4 + (double) 1e-3f), converted.constant(mul2.input(1)).floats()[1], "eps");
    assertSameOutputs(g, converted);
  }

  @Test
  void nanVarianceIsAnErrorNamingTheNode() {
    TestModels m = new TestModels(3);
    String x = m.input("x", 1, 2, 3, 3);
    String y =
        m.bn(
            x,
            "bad_bn",
            new float[] {1, 1},
            new float[] {0, 0},
            new float[] {0, 0},
            new float[] {1, Float.NaN});
    Graph g = m.output(y).build();
    ModelFormatException e = assertThrows(ModelFormatException.class, () -> convert(g));
    assertTrue(e.getMessage().contains("'bad_bn'"), e.getMessage());
    assertTrue(e.getMessage().contains("var of channel 1"), e.getMessage());
    assertEquals(BnfoldException.ErrorCode.BAD_MODEL, e.code());
  }

  @Test
  void negativeVarianceIsAnError() {
    TestModels m = new TestModels(3);
    String x = m.input("x", 1, 2, 3, 3);
    String y =
        m.bn(
            x,
            "neg_bn",
            new float[] {1, 1},
            new float[] {0, 0},
            new float[] {0, 0},
            new float[] {1, -2});
    Graph g = m.output(y).build();
    ModelFormatException e = assertThrows(ModelFormatException.class, () -> convert(g));
    assertTrue(
        e.getMessage().contains("'neg_bn'") && e.getMessage().contains("negative"), e.getMessage());
  }

  @Test
  void scaleOverflowingFloatIsAnError() {
    TestModels m = new TestModels(3);
    String x = m.input("x", 1, 2, 3, 3);
    String y =
        m.bn(
            x,
            "tiny_bn",
            new float[] {1e30f, 1},
            new float[] {0, 0},
            new float[] {0, 0},
            new float[] {0, 1});
    Graph g = m.output(y).build();
    g.nodes().get(0).setAttribute(Node.floatAttr("epsilon", 1e-30f));
    ModelFormatException e = assertThrows(ModelFormatException.class, () -> convert(g));
    assertTrue(
        e.getMessage().contains("'tiny_bn'") && e.getMessage().contains("overflows"),
        e.getMessage());
  }

  @Test
  void trainingModeIsLeftWithAReason() {
    TestModels m = new TestModels(4);
    String x = m.input("x", 1, 2, 3, 3);
    Graph g = m.output(m.bn(x, 2, Node.intAttr("training_mode", 1))).build();
    PassAssertions.Converted c = convert(g);
    assertEquals(1, c.graph().count("BatchNormalization"));
    FoldRecord r = c.record("bn1");
    assertEquals(FoldOutcome.LEFT, r.outcome());
    assertTrue(r.reason().contains("training_mode"), r.reason());
  }

  @Test
  void nonConstantParameterIsLeftWithAReasonNamingIt() {
    TestModels m = new TestModels(5);
    String x = m.input("x", 1, 2, 3, 3);
    Graph g = m.output(m.bn(x, 2)).build();
    // The mean is also declared as a graph input: a user may override it, so it is not constant.
    String mean = g.nodes().get(0).input(3);
    g.inputs().add(new ValueInfo(mean, DataType.FLOAT, List.of(Dim.of(2))));
    PassAssertions.Converted c = convert(g);
    FoldRecord r = c.record("bn1");
    assertEquals(FoldOutcome.LEFT, r.outcome());
    assertTrue(r.reason().contains("mean '" + mean + "'"), r.reason());
    assertEquals(1, c.graph().count("BatchNormalization"));
  }

  @Test
  void disabledFoldIsLeftWithTheGivenReason() {
    TestModels m = new TestModels(6);
    String x = m.input("x", 1, 2, 3, 3);
    Graph g = m.output(m.conv(m.bn(x, 2), 2, 2, 1, true)).build();
    PassAssertions.Converted c =
        convert(g, new PassContext(java.util.Map.of("bn1", "disabled by test")));
    assertEquals(FoldOutcome.LEFT, c.record("bn1").outcome());
    assertEquals("disabled by test", c.record("bn1").reason());
    assertEquals(1, c.graph().count("BatchNormalization"));
  }

  @Test
  void spatialZeroOfOldOpsetsIsLeft() {
    TestModels m = new TestModels(7, 7);
    String x = m.input("x", 1, 2, 3, 3);
    Graph g =
        m.output(m.conv(m.bn(m.relu(x), 2, Node.intAttr("spatial", 0)), 2, 2, 1, true)).build();
    PassAssertions.Converted c = convert(g);
    assertEquals(FoldOutcome.LEFT, c.record("bn2").outcome());
    assertTrue(c.record("bn2").reason().contains("spatial=0"), c.record("bn2").reason());
  }

  @Test
  void spatialZeroOnAnInputWithoutSpatialDimsIsPerChannelAndFolds() {
    TestModels m = new TestModels(7, 7);
    String x = m.input("x", 2, 4);
    Graph g =
        m.output(
                m.bn(m.gemm(x, 4, 3, false, 1f, 1f, new long[] {3}), 3, Node.intAttr("spatial", 0)))
            .build();
    PassAssertions.Converted c = convert(g);
    assertEquals(FoldOutcome.FOLDED_INTO_PRODUCER, c.record("bn2").outcome());
    assertSameOutputs(g, c.graph());
  }

  @Test
  void rankComesFromTheConvWhenShapeInferenceCannotReachTheValue() {
    TestModels m = new TestModels(8);
    String x = m.input("x", 1, 2, 3, 3);
    // An op of another domain: no shape is inferred past it.
    String custom = m.graph().freshName("custom_out");
    m.graph()
        .nodes()
        .add(new Node("custom", "Mystery", "com.example", List.of(x), List.of(custom), List.of()));
    m.graph().opsets().put("com.example", 1L);
    Graph g = m.output(m.relu(m.bn(m.conv(custom, 2, 3, 1, true), 3))).build();
    PassAssertions.Converted c = convert(g);
    assertEquals(FoldOutcome.FOLDED_INTO_PRODUCER, c.record("bn2").outcome());
    assertEquals(0, c.graph().count("BatchNormalization"));
  }
}
