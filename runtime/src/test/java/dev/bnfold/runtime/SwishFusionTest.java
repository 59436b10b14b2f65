package dev.bnfold.runtime;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.bnfold.runtime.format.Attribute;
import dev.bnfold.runtime.format.ModelFile;
import dev.bnfold.runtime.format.ModelWriter;
import dev.bnfold.runtime.kernels.Kernels;
import dev.bnfold.runtime.ops.Activation;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * CompiledGraph's Mul(x, Sigmoid(x)) -> SiLU and Mul(x, HardSigmoid(x)) -> HardSwish rewrite, and
 * the fold of the result into the producing Conv: structure (ops left, activation fused), numerics
 * against the same graph with the rewrite blocked, and the cases where it must not fire.
 */
class SwishFusionTest {
  private static final int C = 3;
  private static final int M = 5;
  private static final long[] X_SHAPE = {1, C, 7, 9};

  /**
   * x -> Conv(1x1) -> c; gate(c) -> s; Mul(c, s) or Mul(s, c) -> y. With {@code exposeGate} s is a
   * graph output too, which blocks the rewrite.
   */
  private static ModelFile model(String gate, boolean gateFirst, boolean exposeGate) {
    Random r = new Random(3);
    ModelWriter w = new ModelWriter().producer("test").opset(13);
    w.addInput("x", DType.FLOAT32, X_SHAPE);
    w.addConstant("w", new long[] {M, C, 1, 1}, random(r, M * C, 2f));
    w.addConstant("b", new long[] {M}, random(r, M, 1f));
    w.addNode("Conv", "conv", List.of("x", "w", "b"), List.of("c"));
    if (gate.equals("HardSigmoid")) {
      w.addNode(
          "HardSigmoid",
          "gate",
          List.of("c"),
          List.of("s"),
          Attribute.of("alpha", 0.2f),
          Attribute.of("beta", 0.4f));
    } else {
      w.addNode(gate, "gate", List.of("c"), List.of("s"));
    }
    w.addNode("Mul", "mul", gateFirst ? List.of("s", "c") : List.of("c", "s"), List.of("y"));
    w.addOutput("y", DType.FLOAT32);
    if (exposeGate) {
      w.addOutput("s", DType.FLOAT32);
    }
    return w.build();
  }

  private static float[] random(Random r, int n, float scale) {
    float[] a = new float[n];
    for (int i = 0; i < n; i++) {
      a[i] = (r.nextFloat() * 2 - 1) * scale;
    }
    return a;
  }

  private static CompiledGraph compile(ModelFile f, boolean scalar) {
    return new CompiledGraph("t", f, Options.defaults(), Kernels.gemm(scalar));
  }

  private static float[] run(ModelFile f, boolean scalar) {
    return run(f, scalar, random(new Random(4), C * 7 * 9, 4f));
  }

  private static float[] run(ModelFile f, boolean scalar, float[] x) {
    Options o = Options.builder().scalarOnly(scalar).build();
    try (Model m = Model.fromFile(f, "t", o)) {
      return m.run(Map.of("x", Tensor.of(x, X_SHAPE))).get("y").floatData();
    }
  }

  @ParameterizedTest
  @ValueSource(booleans = {false, true})
  void mulOfSigmoidBecomesSiluFusedIntoTheConv(boolean scalar) {
    for (boolean gateFirst : new boolean[] {false, true}) {
      CompiledGraph g = compile(model("Sigmoid", gateFirst, false), scalar);
      assertEquals(1, g.ops.size(), "only the Conv is left");
      assertEquals(Activation.Kind.SILU, g.ops.get(0).fused().kind());
      assertClose(
          run(model("Sigmoid", gateFirst, true), scalar),
          run(model("Sigmoid", gateFirst, false), scalar));
    }
  }

  @ParameterizedTest
  @ValueSource(booleans = {false, true})
  void mulOfHardSigmoidBecomesHardSwishWithItsParameters(boolean scalar) {
    CompiledGraph g = compile(model("HardSigmoid", false, false), scalar);
    assertEquals(1, g.ops.size());
    Activation a = g.ops.get(0).fused();
    assertEquals(Activation.Kind.HARD_SWISH, a.kind());
    assertEquals(0.2f, a.a());
    assertEquals(0.4f, a.b());
    assertClose(
        run(model("HardSigmoid", false, true), scalar),
        run(model("HardSigmoid", false, false), scalar));
  }

  @Test
  void gateThatIsAlsoAGraphOutputIsNotFused() {
    CompiledGraph g = compile(model("Sigmoid", false, true), false);
    assertEquals(3, g.ops.size(), "Conv, Sigmoid and Mul");
    assertEquals("Mul", g.ops.get(2).node().opType());
    assertNull(g.ops.get(0).fused());
  }

  @Test
  void otherGatesAndOtherOperandsAreNotFused() {
    // Tanh is no gate of this rewrite
    CompiledGraph tanh = compile(model("Tanh", false, false), false);
    assertEquals(3, tanh.ops.size());
    assertEquals("Mul", tanh.ops.get(2).node().opType());
    // Mul(x, Sigmoid(c)): the gate is not of the other operand
    ModelWriter w = new ModelWriter().producer("test").opset(13);
    w.addInput("x", DType.FLOAT32, X_SHAPE);
    w.addInput("z", DType.FLOAT32, X_SHAPE);
    w.addNode("Sigmoid", "gate", List.of("z"), List.of("s"));
    w.addNode("Mul", "mul", List.of("x", "s"), List.of("y"));
    w.addOutput("y", DType.FLOAT32);
    CompiledGraph g = compile(w.build(), false);
    assertEquals(2, g.ops.size());
    assertEquals("Sigmoid", g.ops.get(0).node().opType());
    assertNull(g.ops.get(1).fused());
  }

  @Test
  void gateWithTwoConsumersIsNotFused() {
    ModelWriter w = new ModelWriter().producer("test").opset(13);
    w.addInput("x", DType.FLOAT32, X_SHAPE);
    w.addNode("Sigmoid", "gate", List.of("x"), List.of("s"));
    w.addNode("Mul", "mul", List.of("x", "s"), List.of("m"));
    w.addNode("Add", "add", List.of("m", "s"), List.of("y"));
    w.addOutput("y", DType.FLOAT32);
    CompiledGraph g = compile(w.build(), false);
    assertEquals(3, g.ops.size());
    assertEquals("Mul", g.ops.get(1).node().opType());
  }

  @Test
  void siluOnAGraphInputRunsAsItsOwnOp() {
    ModelWriter w = new ModelWriter().producer("test").opset(13);
    w.addInput("x", DType.FLOAT32, X_SHAPE);
    w.addNode("Sigmoid", "gate", List.of("x"), List.of("s"));
    w.addNode("Mul", "mul", List.of("s", "x"), List.of("y"));
    w.addOutput("y", DType.FLOAT32);
    ModelFile f = w.build();
    CompiledGraph g = compile(f, false);
    assertEquals(1, g.ops.size());
    assertEquals("SiLU", g.ops.get(0).node().opType());
    assertEquals(Activation.Kind.SILU, g.ops.get(0).asActivation().kind());
    float[] x = random(new Random(4), C * 7 * 9, 4f);
    x[5] = Float.NaN;
    x[6] = Float.POSITIVE_INFINITY;
    float[] y = run(f, false, x);
    for (int i = 0; i < x.length; i++) {
      float ref = x[i] * (float) (1 / (1 + Math.exp(-x[i])));
      if (Float.isNaN(ref)) {
        assertTrue(Float.isNaN(y[i]), "NaN at " + i);
      } else {
        assertEquals(ref, y[i], 1e-6f * Math.abs(ref) + 1e-30f, "at " + i);
      }
    }
  }

  private static void assertClose(float[] ref, float[] got) {
    assertEquals(ref.length, got.length);
    for (int i = 0; i < ref.length; i++) {
      assertEquals(ref[i], got[i], 1e-6f * Math.abs(ref[i]) + 1e-7f, "element " + i);
    }
  }
}
