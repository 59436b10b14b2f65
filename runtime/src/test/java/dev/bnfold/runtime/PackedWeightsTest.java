package dev.bnfold.runtime;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.bnfold.runtime.format.Attribute;
import dev.bnfold.runtime.format.ConstantDef;
import dev.bnfold.runtime.format.ModelFile;
import dev.bnfold.runtime.format.ModelReader;
import dev.bnfold.runtime.format.ModelWriter;
import dev.bnfold.runtime.kernels.GemmMicroKernel;
import dev.bnfold.runtime.kernels.Kernels;
import dev.bnfold.runtime.kernels.PanelLayout;
import dev.bnfold.runtime.ops.WeightLayouts;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * Weights stored in panel layouts: whichever layout a file holds (the kernel's, another kernel's,
 * row-major), a model computes the same outputs on every kernel; a file in the kernel's layout is
 * used as stored, without a row-major copy.
 */
class PackedWeightsTest {
  private static float[] random(Random r, int n) {
    float[] a = new float[n];
    for (int i = 0; i < n; i++) {
      a[i] = r.nextFloat() - 0.5f;
    }
    return a;
  }

  /**
   * x (1, 4, 6, 6) -> Conv 3x3 (8) + Relu -> depthwise Conv 3x3 (group 8) -> Conv 1x1 (group 2, 6)
   * -> GlobalAveragePool -> Flatten -> Gemm transB (5) -> Gemm (3) -> MatMul (4) = y.
   */
  static ModelWriter network() {
    Random r = new Random(42);
    return new ModelWriter()
        .producer("test")
        .opset(13)
        .addInput("x", DType.FLOAT32, 1, 4, 6, 6)
        .addConstant("a.w", new long[] {8, 4, 3, 3}, random(r, 8 * 4 * 9))
        .addConstant("a.b", new long[] {8}, random(r, 8))
        .addConstant("dw.w", new long[] {8, 1, 3, 3}, random(r, 8 * 9))
        .addConstant("c.w", new long[] {6, 4, 1, 1}, random(r, 6 * 4))
        .addConstant("g1.w", new long[] {5, 6}, random(r, 30))
        .addConstant("g1.b", new long[] {5}, random(r, 5))
        .addConstant("g2.w", new long[] {5, 3}, random(r, 15))
        .addConstant("m.w", new long[] {3, 4}, random(r, 12))
        .addNode(
            "Conv",
            "a",
            List.of("x", "a.w", "a.b"),
            List.of("a"),
            Attribute.ofInts("pads", 1, 1, 1, 1))
        .addNode("Relu", "ar", List.of("a"), List.of("ar"))
        .addNode(
            "Conv",
            "dw",
            List.of("ar", "dw.w"),
            List.of("dw"),
            Attribute.ofInts("pads", 1, 1, 1, 1),
            Attribute.of("group", 8L))
        .addNode("Conv", "c", List.of("dw", "c.w"), List.of("c"), Attribute.of("group", 2L))
        .addNode("GlobalAveragePool", "gap", List.of("c"), List.of("gap"))
        .addNode("Flatten", "flat", List.of("gap"), List.of("flat"))
        .addNode(
            "Gemm",
            "g1",
            List.of("flat", "g1.w", "g1.b"),
            List.of("g1"),
            Attribute.of("transB", 1L))
        .addNode("Gemm", "g2", List.of("g1", "g2.w"), List.of("g2"))
        .addNode("MatMul", "mm", List.of("g2", "m.w"), List.of("y"))
        .addOutput("y", DType.FLOAT32);
  }

  private static float[] run(byte[] file, boolean scalar) {
    Random r = new Random(7);
    Tensor x = Tensor.of(random(r, 4 * 36), 1, 4, 6, 6);
    try (Model m = Model.load(file, "m", Options.builder().scalarOnly(scalar).build())) {
      return m.run(Map.of("x", x)).get("y").floatData();
    }
  }

  private static List<GemmMicroKernel> kernels() {
    List<GemmMicroKernel> ks = new ArrayList<>();
    ks.add(Kernels.scalarGemm());
    if (Kernels.vectorGemm() != null) {
      ks.add(Kernels.vectorGemm());
    }
    return ks;
  }

  @Test
  void weightLayoutsPackConvAndGemmWeightsOnly() {
    GemmMicroKernel k = Kernels.scalarGemm(); // mr 4, nr 8
    Map<String, PanelLayout> chosen = WeightLayouts.choose(network().build(), k);
    assertEquals(
        Map.of(
            "a.w", PanelLayout.rows(1, 4),
            "c.w", PanelLayout.rows(2, 4),
            "g1.w", PanelLayout.rows(1, 8),
            "g2.w", PanelLayout.transposedRows(8),
            "m.w", PanelLayout.transposedRows(8)),
        chosen,
        "depthwise weights (read in place) and biases stay row-major");
  }

  @Test
  void sharedOrOutputWeightsStayRowMajor() {
    ModelWriter w =
        new ModelWriter()
            .addInput("x", DType.FLOAT32, 3, 3)
            .addConstant("w", new long[] {3, 3}, random(new Random(1), 9))
            .addConstant("v", new long[] {3, 3}, random(new Random(2), 9))
            .addNode("Gemm", "g1", List.of("x", "w"), List.of("g1"), Attribute.of("transB", 1L))
            .addNode("Gemm", "g2", List.of("g1", "w"), List.of("g2"))
            .addNode("Gemm", "g3", List.of("g2", "v"), List.of("y"))
            .addOutput("y", DType.FLOAT32)
            .addOutput("v", DType.FLOAT32);
    assertEquals(Map.of(), WeightLayouts.choose(w.build(), Kernels.scalarGemm()));
  }

  @Test
  void everyStoredLayoutRunsTheSameOnEveryKernel() {
    byte[] rowMajor = network().toByteArray();
    List<byte[]> files = new ArrayList<>();
    for (GemmMicroKernel k : kernels()) {
      ModelWriter w = network();
      WeightLayouts.choose(w.build(), k).forEach(w::storeAs);
      files.add(w.toByteArray());
    }
    // a width no kernel uses: every packed weight is repacked at load
    ModelWriter odd =
        network()
            .storeAs("a.w", PanelLayout.rows(1, 3))
            .storeAs("c.w", PanelLayout.rows(2, 3))
            .storeAs("dw.w", PanelLayout.rows(8, 3))
            .storeAs("g1.w", PanelLayout.rows(1, 3))
            .storeAs("g2.w", PanelLayout.transposedRows(3))
            .storeAs("m.w", PanelLayout.rows(1, 2));
    files.add(odd.toByteArray());
    for (boolean scalar : new boolean[] {true, false}) {
      float[] expect = run(rowMajor, scalar);
      for (byte[] f : files) {
        assertArrayEquals(expect, run(f, scalar), "scalar " + scalar);
      }
    }
  }

  @Test
  void weightsTakenPackedKeepNoRowMajorCopy() {
    GemmMicroKernel k = Kernels.scalarGemm();
    ModelWriter w = network();
    WeightLayouts.choose(w.build(), k).forEach(w::storeAs);
    w.storeAs("g2.w", PanelLayout.transposedRows(3)); // not the kernel's: repacked at load
    ModelFile packed = ModelReader.read(w.toByteArray(), "m", ModelReader.Limits.DEFAULT);
    ModelFile plain = ModelReader.read(network().toByteArray(), "m", ModelReader.Limits.DEFAULT);
    for (ModelFile file : List.of(packed, plain)) {
      CompiledGraph g = new CompiledGraph("m", file, Options.defaults(), k);
      for (String name : List.of("a.w", "c.w", "g1.w", "g2.w", "m.w")) {
        assertSame(CompiledGraph.TAKEN_PACKED, g.constData.get(g.ids.get(name)), name);
      }
      assertInstanceOf(float[].class, g.constData.get(g.ids.get("dw.w")), "read in place");
      assertInstanceOf(float[].class, g.constData.get(g.ids.get("a.b")), "biases are read");
    }
    // the weights in the kernel's layout were not unpacked either
    assertEquals(null, packedRowMajorIfAny(packed, "a.w"));
  }

  /** The row-major data a ConstantDef has unpacked so far, read without unpacking. */
  private static float[] packedRowMajorIfAny(ModelFile file, String name) {
    for (ConstantDef c : file.constants()) {
      if (c.name().equals(name)) {
        try {
          java.lang.reflect.Field f = ConstantDef.class.getDeclaredField("rowMajor");
          f.setAccessible(true);
          return (float[]) f.get(c);
        } catch (ReflectiveOperationException e) {
          throw new AssertionError(e);
        }
      }
    }
    throw new AssertionError(name);
  }

  @Test
  void aThreeDConvThatRunsDepthwiseStillReadsItsWeights() {
    // W (4, 1, 1, 3, 3), group 4: with input depth 1 the conv runs depthwise and reads W in place;
    // with depth 3 it runs as a packed GEMM. Checked against the reference loop (W as an input).
    float[] wData = random(new Random(9), 4 * 9);
    for (int depth : new int[] {1, 3}) {
      Random r = new Random(depth);
      Tensor x = Tensor.of(random(r, 4 * depth * 25), 1, 4, depth, 5, 5);
      Tensor wIn = Tensor.of(wData, 4, 1, 1, 3, 3);
      ModelWriter constant =
          new ModelWriter()
              .addInput("x", DType.FLOAT32, 1, 4, depth, 5, 5)
              .addConstant("w", new long[] {4, 1, 1, 3, 3}, wData)
              .addNode("Conv", "c", List.of("x", "w"), List.of("y"), Attribute.of("group", 4L))
              .addOutput("y", DType.FLOAT32);
      WeightLayouts.choose(constant.build(), Kernels.gemm(false)).forEach(constant::storeAs);
      ModelWriter reference =
          new ModelWriter()
              .addInput("x", DType.FLOAT32, 1, 4, depth, 5, 5)
              .addInput("w", DType.FLOAT32, 4, 1, 1, 3, 3)
              .addNode(
                  "Conv",
                  "c",
                  List.of("x", "w"),
                  List.of("y"),
                  Attribute.of("group", 4L),
                  Attribute.ofInts("kernel_shape", 1, 3, 3))
              .addOutput("y", DType.FLOAT32);
      float[] expect;
      try (Model m = Model.load(reference.toByteArray(), "ref", Options.defaults())) {
        expect = m.run(Map.of("x", x, "w", wIn)).get("y").floatData();
      }
      try (Model m = Model.load(constant.toByteArray(), "c", Options.defaults())) {
        float[] got = m.run(Map.of("x", x)).get("y").floatData();
        assertEquals(expect.length, got.length);
        for (int i = 0; i < got.length; i++) {
          assertEquals(expect[i], got[i], 1e-5f, "depth " + depth + ", element " + i);
        }
      }
    }
  }

  @Test
  void aPackedWeightAlsoReadAsAValueIsUnpackedForThatUse() {
    // y = Gemm(x, w, transB) + w: the Add reads w itself, row-major
    float[] wData = random(new Random(3), 12 * 12);
    for (GemmMicroKernel k : kernels()) {
      ModelWriter plain =
          new ModelWriter()
              .addInput("x", DType.FLOAT32, 12, 12)
              .addConstant("w", new long[] {12, 12}, wData)
              .addNode("Gemm", "g", List.of("x", "w"), List.of("g"), Attribute.of("transB", 1L))
              .addNode("Add", "add", List.of("g", "w"), List.of("y"))
              .addOutput("y", DType.FLOAT32);
      byte[] packed =
          ModelWriter.from(plain.build()).storeAs("w", PanelLayout.rows(1, k.nr())).toByteArray();
      Tensor x = Tensor.of(random(new Random(4), 144), 12, 12);
      Options o = Options.builder().scalarOnly(k == Kernels.scalarGemm()).build();
      float[] expect;
      try (Model m = Model.load(plain.toByteArray(), "plain", o)) {
        expect = m.run(Map.of("x", x)).get("y").floatData();
      }
      ModelFile file = ModelReader.read(packed, "packed", ModelReader.Limits.DEFAULT);
      CompiledGraph g = new CompiledGraph("m", file, o, k);
      Object data = g.constData.get(g.ids.get("w"));
      assertInstanceOf(float[].class, data, k.name());
      assertSame(file.constants().get(0).floats(), data);
      try (Model m = Model.fromFile(file, "packed", o)) {
        assertArrayEquals(expect, m.run(Map.of("x", x)).get("y").floatData(), k.name());
      }
      assertTrue(expect.length == 144);
    }
  }
}
