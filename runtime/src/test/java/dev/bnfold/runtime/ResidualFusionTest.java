package dev.bnfold.runtime;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.fail;

import dev.bnfold.runtime.format.Attribute;
import dev.bnfold.runtime.format.ModelWriter;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Conv -> Add(residual) [-> Relu] folded into the Conv (CompiledGraph.fuseResiduals): structure (op
 * counts) and numerics against the same graph with the fusion blocked by exposing the conv output,
 * on every conv path (Winograd, gather, im2col, 1x1), scalar and vector kernels, 1 and 2 threads;
 * plus the cases that must not fuse or must fall back.
 */
class ResidualFusionTest {
  /** channels, image side, kernel of the residual conv. */
  static Stream<Arguments> shapes() {
    return Stream.of(
        Arguments.of(64, 24, 3), // Winograd
        Arguments.of(12, 9, 3), // gather (vector) / im2col (scalar)
        Arguments.of(6, 20, 3), // im2col, more than one column block
        Arguments.of(10, 11, 1)); // 1x1 without im2col
  }

  /**
   * A ResNet basic block: z = Relu(Add(ConvB(Relu(ConvA(x))), shortcut)); the shortcut is x, or a
   * 1x1 conv of x listed after ConvB (so the fused Conv must move to the Add's place), with the
   * Add's inputs in either order.
   */
  static ModelWriter block(int c, int h, int k, boolean downsample, Random r) {
    int m = downsample ? c + 3 : c;
    ModelWriter w =
        new ModelWriter()
            .addInput("x", DType.FLOAT32, 1, c, h, h)
            .addConstant("wa", new long[] {c, c, 3, 3}, random(r, c * c * 9, 0.3f))
            .addConstant("ba", new long[] {c}, random(r, c, 1f))
            .addConstant("wb", new long[] {m, c, k, k}, random(r, m * c * k * k, 0.3f))
            .addConstant("bb", new long[] {m}, random(r, m, 1f))
            .addConstant("wd", new long[] {m, c, 1, 1}, random(r, m * c, 0.3f));
    w.addNode(
        "Conv",
        "convA",
        List.of("x", "wa", "ba"),
        List.of("a"),
        Attribute.ofInts("pads", 1, 1, 1, 1));
    w.addNode("Relu", "reluA", List.of("a"), List.of("ar"));
    int p = k / 2;
    w.addNode(
        "Conv",
        "convB",
        List.of("ar", "wb", "bb"),
        List.of("cb"),
        Attribute.ofInts("pads", p, p, p, p));
    String shortcut = "x";
    if (downsample) {
      w.addNode("Conv", "convD", List.of("x", "wd", ""), List.of("cd"));
      shortcut = "cd";
    }
    w.addNode(
        "Add", "add", downsample ? List.of(shortcut, "cb") : List.of("cb", shortcut), List.of("s"));
    w.addNode("Relu", "relu", List.of("s"), List.of("z"));
    return w.addOutput("z", DType.FLOAT32);
  }

  @ParameterizedTest(name = "c={0} h={1} k={2}")
  @MethodSource("shapes")
  void fusedBlockMatchesUnfused(int c, int h, int k) {
    Random r = new Random(c * 31 + h);
    for (boolean downsample : new boolean[] {false, true}) {
      ModelWriter fused = block(c, h, k, downsample, r);
      // exposing the conv outputs gives them a second reader: the Add must then stay
      ModelWriter exposed = ModelWriter.from(fused.build()).addOutput("cb", DType.FLOAT32);
      if (downsample) {
        exposed.addOutput("cd", DType.FLOAT32);
      }
      Tensor x = Tensor.of(random(r, c * h * h, 1f), 1, c, h, h);
      for (Options o :
          List.of(
              Options.builder().scalarOnly(true).build(),
              Options.defaults(),
              Options.builder().threads(2).build())) {
        String what = "c=" + c + " h=" + h + " downsample=" + downsample + " " + o;
        try (Model a = Model.fromFile(fused.build(), "fused", o);
            Model b = Model.fromFile(exposed.build(), "exposed", o)) {
          // ConvA+Relu, ConvB+Add+Relu (+ ConvD unfused, as the Conv the Add did not absorb)
          assertEquals(downsample ? 3 : 2, a.opCount(), what);
          // the Add, and the Relu after it (nothing to fuse it into), stay in the exposed graph
          assertEquals(a.opCount() + 2, b.opCount(), what + ": the exposed graph keeps its Add");
          float[] want = b.run(Map.of("x", x)).get("z").floatData();
          float[] got = a.run(Map.of("x", x)).get("z").floatData();
          assertClose(want, got, what);
        }
      }
    }
  }

  /** An addend that broadcasts (per-channel [1, M, 1, 1], or a larger batch) takes the fallback. */
  @Test
  void broadcastingAddendFallsBackCorrectly() {
    Random r = new Random(5);
    int c = 5;
    int h = 7;
    for (long[] rShape : new long[][] {{1, c, 1, 1}, {2, c, h, h}}) {
      ModelWriter fused =
          new ModelWriter()
              .addInput("x", DType.FLOAT32, 1, c, h, h)
              .addInput("res", DType.FLOAT32, rShape)
              .addConstant("w", new long[] {c, c, 3, 3}, random(r, c * c * 9, 0.3f))
              .addNode(
                  "Conv",
                  "conv",
                  List.of("x", "w"),
                  List.of("y"),
                  Attribute.ofInts("pads", 1, 1, 1, 1))
              .addNode("Add", "add", List.of("y", "res"), List.of("s"))
              .addNode("Relu", "relu", List.of("s"), List.of("z"))
              .addOutput("z", DType.FLOAT32);
      ModelWriter exposed = ModelWriter.from(fused.build()).addOutput("y", DType.FLOAT32);
      int rSize = (int) (rShape[0] * rShape[1] * rShape[2] * rShape[3]);
      Map<String, Tensor> in =
          Map.of(
              "x", Tensor.of(random(r, c * h * h, 1f), 1, c, h, h),
              "res", Tensor.of(random(r, rSize, 1f), rShape));
      try (Model a = Model.fromFile(fused.build(), "fused", Options.defaults());
          Model b = Model.fromFile(exposed.build(), "exposed", Options.defaults())) {
        assertEquals(1, a.opCount());
        Tensor want = b.run(in).get("z");
        Tensor got = a.run(in).get("z");
        assertArrayEquals(want.shape(), got.shape());
        assertClose(
            want.floatData(), got.floatData(), "residual " + java.util.Arrays.toString(rShape));
      }
    }
  }

  /** Conv + constant is a bias, and a grouped conv is not a dense GEMM conv: neither fuses. */
  @Test
  void constantAddendsAndGroupedConvsDoNotFuse() {
    Random r = new Random(6);
    ModelWriter w =
        new ModelWriter()
            .addInput("x", DType.FLOAT32, 1, 4, 6, 6)
            .addInput("res", DType.FLOAT32, 1, 4, 6, 6)
            .addConstant("w", new long[] {4, 4, 1, 1}, random(r, 16, 1f))
            .addConstant("wg", new long[] {4, 2, 1, 1}, random(r, 8, 1f))
            .addConstant("k", new long[] {1, 4, 1, 1}, random(r, 4, 1f))
            .addNode("Conv", "conv", List.of("x", "w"), List.of("y"))
            .addNode("Add", "addConst", List.of("y", "k"), List.of("s"))
            .addNode("Conv", "grouped", List.of("s", "wg"), List.of("g"), Attribute.of("group", 2L))
            .addNode("Add", "addGrouped", List.of("g", "res"), List.of("z"))
            .addOutput("z", DType.FLOAT32);
    try (Model m = Model.fromFile(w.build(), "nofuse", Options.defaults())) {
      assertEquals(4, m.opCount());
    }
  }

  private static float[] random(Random r, int n, float scale) {
    float[] a = new float[n];
    for (int i = 0; i < n; i++) {
      a[i] = (r.nextFloat() * 2 - 1) * scale;
    }
    return a;
  }

  private static void assertClose(float[] want, float[] got, String what) {
    assertEquals(want.length, got.length, what);
    float max = 0;
    for (float v : want) {
      max = Math.max(max, Math.abs(v));
    }
    for (int i = 0; i < want.length; i++) {
      if (!(Math.abs(want[i] - got[i]) <= 1e-5f + 1e-5f * max)) {
        fail(what + ": element " + i + " is " + got[i] + ", expected " + want[i]);
      }
    }
  }
}
