package dev.bnfold.runtime;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.bnfold.runtime.format.Attribute;
import dev.bnfold.runtime.format.ModelWriter;
import java.lang.management.ManagementFactory;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.Test;

/** The public API: loading, running, shapes, threads, closing, errors, fusion, allocation. */
class ModelApiTest {
  /**
   * A small CNN: Conv-BN(ChannelAffine)-Relu-MaxPool-Conv(dw)-Clip-GAP-Flatten-Gemm-Softmax, batch
   * N.
   */
  static ModelWriter cnn() {
    Random r = new Random(9);
    ModelWriter w =
        new ModelWriter()
            .producer("test")
            .opset(13)
            .addInput(
                "image",
                DType.FLOAT32,
                new long[] {-1, 3, 12, 12},
                new String[] {"N", null, null, null})
            .addConstant("w1", new long[] {8, 3, 3, 3}, OpCase.random(r, 8 * 27))
            .addConstant("b1", new long[] {8}, OpCase.random(r, 8))
            .addConstant("s1", new long[] {8}, OpCase.random(r, 8))
            .addConstant("t1", new long[] {8}, OpCase.random(r, 8))
            .addConstant("w2", new long[] {8, 1, 3, 3}, OpCase.random(r, 72))
            .addConstant("wfc", new long[] {5, 8}, OpCase.random(r, 40))
            .addConstant("bfc", new long[] {5}, OpCase.random(r, 5));
    w.addNode(
        "Conv",
        "conv1",
        List.of("image", "w1", "b1"),
        List.of("c1"),
        Attribute.ofInts("pads", 1, 1, 1, 1));
    w.addNode("ChannelAffine", "bn1", List.of("c1", "s1", "t1"), List.of("a1"));
    w.addNode("Relu", "relu1", List.of("a1"), List.of("r1"));
    w.addNode(
        "MaxPool",
        "pool1",
        List.of("r1"),
        List.of("p1"),
        Attribute.ofInts("kernel_shape", 2, 2),
        Attribute.ofInts("strides", 2, 2));
    w.addNode(
        "Conv",
        "dw2",
        List.of("p1", "w2", ""),
        List.of("c2"),
        Attribute.of("group", 8L),
        Attribute.ofInts("pads", 1, 1, 1, 1));
    w.addNode(
        "Clip",
        "relu6",
        List.of("c2"),
        List.of("r2"),
        Attribute.of("min", 0f),
        Attribute.of("max", 6f));
    w.addNode("GlobalAveragePool", "gap", List.of("r2"), List.of("g"));
    w.addNode("Flatten", "flat", List.of("g"), List.of("f"));
    w.addNode(
        "Gemm", "fc", List.of("f", "wfc", "bfc"), List.of("logits"), Attribute.of("transB", 1L));
    w.addNode("Softmax", "prob", List.of("logits"), List.of("prob"), Attribute.of("axis", 1L));
    return w.opset(10).addOutput("prob", DType.FLOAT32).addOutput("logits", DType.FLOAT32);
  }

  static Model load(Options o) {
    return Model.load(cnn().toByteArray(), "cnn", o);
  }

  static float[] image(int batch, long seed) {
    return OpCase.random(new Random(seed), batch * 3 * 12 * 12);
  }

  @Test
  void symbolicBatchGivesOnePlanPerBatchAndBatchIndependentResults() {
    try (Model m = load(Options.defaults())) {
      assertEquals(List.of("image"), List.of(m.inputs().get(0).name()));
      assertEquals("N", m.inputs().get(0).dimNames()[0]);
      float[] x3 = image(3, 1);
      Map<String, Tensor> out3 = m.run(Map.of("image", Tensor.of(x3, 3, 3, 12, 12)));
      assertArrayEquals(new long[] {3, 5}, out3.get("prob").shape());
      for (int b = 0; b < 3; b++) {
        float[] xb = java.util.Arrays.copyOfRange(x3, b * 432, (b + 1) * 432);
        float[] p = m.run(Map.of("image", Tensor.of(xb, 1, 3, 12, 12))).get("prob").floatData();
        float sum = 0;
        for (int j = 0; j < 5; j++) {
          assertEquals(out3.get("prob").floatData()[b * 5 + j], p[j], 1e-6);
          sum += p[j];
        }
        assertEquals(1f, sum, 1e-5);
      }
    }
  }

  @Test
  void scalarAndVectorKernelsAgree() {
    float[] x = image(2, 2);
    try (Model s = load(Options.builder().scalarOnly(true).build());
        Model v = load(Options.defaults())) {
      assertTrue(s.kernelName().startsWith("scalar"));
      float[] a = s.run(Map.of("image", Tensor.of(x, 2, 3, 12, 12))).get("logits").floatData();
      float[] b = v.run(Map.of("image", Tensor.of(x, 2, 3, 12, 12))).get("logits").floatData();
      for (int i = 0; i < a.length; i++) {
        assertEquals(a[i], b[i], 1e-4 * Math.max(1, Math.abs(a[i])));
      }
    }
  }

  @Test
  void activationsAreFusedOnlyWhenSafe() {
    try (Model m = load(Options.defaults())) {
      // Relu follows ChannelAffine (not fusable); Clip follows the depthwise Conv: fused.
      assertEquals(9, m.opCount());
    }
    Random r = new Random(3);
    float[] w = OpCase.random(r, 4 * 27);
    ModelWriter fused =
        new ModelWriter()
            .addInput("x", DType.FLOAT32, 1, 3, 5, 5)
            .addConstant("w", new long[] {4, 3, 3, 3}, w)
            .addNode("Conv", "c", List.of("x", "w"), List.of("c"))
            .addNode("Relu", "r", List.of("c"), List.of("y"))
            .addOutput("y", DType.FLOAT32);
    ModelWriter exposed = ModelWriter.from(fused.build()).addOutput("c", DType.FLOAT32);
    Tensor x = Tensor.of(OpCase.random(r, 75), 1, 3, 5, 5);
    try (Model a = Model.fromFile(fused.build(), "fused", Options.defaults());
        Model b = Model.fromFile(exposed.build(), "exposed", Options.defaults())) {
      assertEquals(1, a.opCount());
      assertEquals(2, b.opCount());
      Map<String, Tensor> rb = b.run(Map.of("x", x));
      assertArrayEquals(rb.get("y").floatData(), a.run(Map.of("x", x)).get("y").floatData());
      float[] c = rb.get("c").floatData();
      boolean anyNegative = false;
      for (float v : c) {
        anyNegative |= v < 0;
      }
      assertTrue(anyNegative, "the exposed conv output is the pre-activation value");
    }
  }

  @Test
  void concurrentRunsGiveTheSameBitsAsSingleThreaded() throws Exception {
    try (Model m = load(Options.defaults())) {
      int n = 12;
      float[][] expect = new float[n][];
      for (int i = 0; i < n; i++) {
        expect[i] =
            m.run(Map.of("image", Tensor.of(image(1 + i % 3, i), 1 + i % 3, 3, 12, 12)))
                .get("logits")
                .floatData();
      }
      ExecutorService pool = Executors.newFixedThreadPool(4);
      try {
        List<Future<Boolean>> fs = new ArrayList<>();
        for (int t = 0; t < 4; t++) {
          fs.add(
              pool.submit(
                  () -> {
                    for (int rep = 0; rep < 5; rep++) {
                      for (int i = 0; i < n; i++) {
                        float[] got =
                            m.run(
                                    Map.of(
                                        "image",
                                        Tensor.of(image(1 + i % 3, i), 1 + i % 3, 3, 12, 12)))
                                .get("logits")
                                .floatData();
                        if (!java.util.Arrays.equals(expect[i], got)) {
                          return false;
                        }
                      }
                    }
                    return true;
                  }));
        }
        for (Future<Boolean> f : fs) {
          assertTrue(f.get());
        }
      } finally {
        pool.shutdown();
      }
    }
  }

  @Test
  void intraOpThreadsGiveTheSameBits() {
    float[] x = image(4, 8);
    try (Model one = load(Options.defaults());
        Model three = load(Options.builder().threads(3).build())) {
      Map<String, Tensor> a = one.run(Map.of("image", Tensor.of(x, 4, 3, 12, 12)));
      Map<String, Tensor> b = three.run(Map.of("image", Tensor.of(x, 4, 3, 12, 12)));
      assertArrayEquals(a.get("logits").floatData(), b.get("logits").floatData());
    }
    // a wide Gemm whose column panels are split across threads
    Random r = new Random(12);
    float[] w = OpCase.random(r, 300 * 64);
    ModelWriter gemm =
        new ModelWriter()
            .addInput("x", DType.FLOAT32, 8, 64)
            .addConstant("w", new long[] {64, 300}, w)
            .addNode("MatMul", "mm", List.of("x", "w"), List.of("y"))
            .addOutput("y", DType.FLOAT32);
    Tensor in = Tensor.of(OpCase.random(r, 512), 8, 64);
    try (Model one = Model.fromFile(gemm.build(), "mm1", Options.defaults());
        Model four = Model.fromFile(gemm.build(), "mm4", Options.builder().threads(4).build())) {
      assertArrayEquals(one.run(in).floatData(), four.run(in).floatData());
    }
  }

  @Test
  void closedModelThrows() {
    Model m = load(Options.defaults());
    PreparedRun p = m.prepare(new long[] {1, 3, 12, 12});
    m.close();
    m.close();
    Tensor x = Tensor.of(image(1, 1), 1, 3, 12, 12);
    ModelClosedException e =
        assertThrows(ModelClosedException.class, () -> m.run(Map.of("image", x)));
    assertTrue(e.getMessage().contains("cnn"));
    assertThrows(
        ModelClosedException.class,
        () -> p.run(new float[][] {x.floatData()}, new float[][] {new float[5], new float[5]}));
  }

  @Test
  void wrongInputsAreReportedWithModelAndInputName() {
    try (Model m = load(Options.defaults())) {
      Tensor ok = Tensor.of(image(1, 1), 1, 3, 12, 12);
      InvalidInputException e =
          assertThrows(InvalidInputException.class, () -> m.run(Map.of("img", ok)));
      assertTrue(
          e.getMessage().contains("cnn") && e.getMessage().contains("'img'"), e.getMessage());
      assertThrows(InvalidInputException.class, () -> m.run(Map.of()));
      e =
          assertThrows(
              InvalidInputException.class,
              () -> m.run(Map.of("image", Tensor.of(new float[432], 3, 12, 12))));
      assertTrue(e.getMessage().contains("rank 3"), e.getMessage());
      e =
          assertThrows(
              InvalidInputException.class,
              () -> m.run(Map.of("image", Tensor.of(new float[4 * 144], 1, 4, 12, 12))));
      assertTrue(e.getMessage().contains("'image'"), e.getMessage());
      assertThrows(
          InvalidInputException.class,
          () -> m.run(Map.of("image", Tensor.ofLongs(new long[432], 1, 3, 12, 12))));
      // too small for the 3x3 conv + pool + conv chain: a shape error naming the node
      e = assertThrows(InvalidInputException.class, () -> m.prepare(new long[] {1, 3, 0, 12}));
      assertThrows(InvalidInputException.class, () -> Tensor.of(new float[5], 2, 3));
    }
  }

  @Test
  void graphOutputsMayBeInputsConstantsOrViews() {
    ModelWriter w =
        new ModelWriter()
            .addInput("x", DType.FLOAT32, 2, 3)
            .addConstant("k", new long[] {2}, new float[] {4, 5})
            .addConstant("shape", new long[] {1}, new long[] {6})
            .addNode("Reshape", "flat", List.of("x", "shape"), List.of("v"))
            .addOutput("x", DType.FLOAT32)
            .addOutput("k", DType.FLOAT32)
            .addOutput("v", DType.FLOAT32);
    try (Model m = Model.fromFile(w.build(), "pass", Options.defaults())) {
      float[] x = {1, 2, 3, 4, 5, 6};
      Map<String, Tensor> out = m.run(Map.of("x", Tensor.of(x, 2, 3)));
      assertArrayEquals(x, out.get("x").floatData());
      assertArrayEquals(new float[] {4, 5}, out.get("k").floatData());
      assertArrayEquals(x, out.get("v").floatData());
      assertArrayEquals(new long[] {6}, out.get("v").shape());
      assertEquals(List.of("x", "k", "v"), List.copyOf(out.keySet()));
    }
  }

  @Test
  void hugeIntermediateIsRejectedAtLoad() {
    ModelWriter w =
        new ModelWriter()
            .addInput("x", DType.FLOAT32, 1, 1)
            .addConstant("big", new long[] {1, 1 << 20}, new float[1 << 20])
            .addNode("MatMul", "mm", List.of("x", "big"), List.of("y"))
            .addNode("Transpose", "t", List.of("y"), List.of("z"))
            .addNode("MatMul", "outer", List.of("z", "y"), List.of("o"))
            .addOutput("o", DType.FLOAT32);
    ModelFormatException e =
        assertThrows(
            ModelFormatException.class,
            () -> Model.fromFile(w.build(), "huge", Options.defaults()));
    assertTrue(e.getMessage().contains("'outer'"), e.getMessage());
  }

  @Test
  void symbolsMustAgreeAcrossInputs() {
    ModelWriter w =
        new ModelWriter()
            .addInput("a", DType.FLOAT32, new long[] {-1, 2}, new String[] {"N", null})
            .addInput("b", DType.FLOAT32, new long[] {-1, 2}, new String[] {"N", null})
            .addNode("Add", "add", List.of("a", "b"), List.of("y"))
            .addOutput("y", DType.FLOAT32);
    try (Model m = Model.fromFile(w.build(), "sym", Options.defaults())) {
      InvalidInputException e =
          assertThrows(
              InvalidInputException.class,
              () -> m.run(Map.of("a", Tensor.zeros(1, 2), "b", Tensor.zeros(3, 2))));
      assertTrue(e.getMessage().contains("'N'"), e.getMessage());
    }
  }

  @Test
  void everyUnsupportedNodeIsReportedAtLoad() {
    ModelWriter w =
        new ModelWriter()
            .addInput("x", DType.FLOAT32, 1, 4)
            .addNode("LSTM", "lstm_a", List.of("x"), List.of("a"))
            .addNode("Relu", "relu_b", List.of("a"), List.of("b"), Attribute.of("bogus", 1L))
            .addNode(
                "MaxPool",
                "pool_c",
                List.of("b"),
                List.of("c", "idx"),
                Attribute.ofInts("kernel_shape", 1))
            .addOutput("c", DType.FLOAT32);
    UnsupportedModelException e =
        assertThrows(
            UnsupportedModelException.class,
            () -> Model.fromFile(w.build(), "bad", Options.defaults()));
    String msg = e.getMessage();
    assertTrue(
        msg.contains("'lstm_a' (LSTM)")
            && msg.contains("'relu_b'")
            && msg.contains("bogus")
            && msg.contains("'pool_c'"),
        msg);
    assertEquals(BnfoldException.ErrorCode.UNSUPPORTED, e.code());
  }

  @Test
  void capsAreEnforced() {
    byte[] bytes = cnn().toByteArray();
    assertThrows(
        ModelFormatException.class,
        () -> Model.load(bytes, "cnn", Options.builder().maxNodes(3).build()));
    assertThrows(
        ModelFormatException.class,
        () -> Model.load(bytes, "cnn", Options.builder().maxWeightBytes(100).build()));
    assertThrows(
        ModelFormatException.class,
        () -> Model.load(bytes, "cnn", Options.builder().maxTensorElements(50).build()));
  }

  @Test
  void nanCheckNamesTheInput() {
    try (Model m = load(Options.builder().checkNaN(true).build())) {
      float[] x = image(1, 1);
      x[7] = Float.NaN;
      InvalidInputException e =
          assertThrows(
              InvalidInputException.class,
              () -> m.run(Map.of("image", Tensor.of(x, 1, 3, 12, 12))));
      assertTrue(
          e.getMessage().contains("'image'") && e.getMessage().contains("element 7"),
          e.getMessage());
    }
  }

  @Test
  void preparedRunReusesBuffersAndDoesNotAllocateWhenWarm() {
    // Scalar kernels: the Vector API boxes vectors until C2 has compiled the kernels, which takes
    // longer than a unit test should run.
    try (Model m = load(Options.builder().scalarOnly(true).build())) {
      PreparedRun p = m.prepare(new long[] {2, 3, 12, 12});
      assertArrayEquals(new long[] {2, 5}, p.outputShape(0));
      // liveness reuse: the arena is smaller than the sum of all intermediates (8*144*2*4 + ...)
      assertTrue(
          p.workspaceFloats() < 2 * (8 * 144 * 3 + 8 * 36 * 2), "arena " + p.workspaceFloats());
      float[] x = image(2, 5);
      float[][] out = {new float[p.outputSize(0)], new float[p.outputSize(1)]};
      float[][] in = {x};
      for (int i = 0; i < 50; i++) {
        p.run(in, out);
      }
      float[] expect = m.run(Map.of("image", Tensor.of(x, 2, 3, 12, 12))).get("prob").floatData();
      assertArrayEquals(expect, out[0]);
      java.lang.management.ThreadMXBean bean = ManagementFactory.getThreadMXBean();
      if (bean instanceof com.sun.management.ThreadMXBean) {
        com.sun.management.ThreadMXBean sun = (com.sun.management.ThreadMXBean) bean;
        long tid = Thread.currentThread().getId();
        long before = sun.getThreadAllocatedBytes(tid);
        for (int i = 0; i < 20; i++) {
          p.run(in, out);
        }
        long allocated = sun.getThreadAllocatedBytes(tid) - before;
        assertTrue(allocated < 20_000, "allocated " + allocated + " bytes in 20 warm runs");
      }
    }
  }
}
