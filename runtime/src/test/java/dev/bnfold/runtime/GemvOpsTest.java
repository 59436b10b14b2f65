package dev.bnfold.runtime;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.bnfold.runtime.format.Attribute;
import dev.bnfold.runtime.format.ModelWriter;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Matrix-vector cases against double-precision references: Conv's gemv branch (window covering the
 * whole input, 1x1 output plane: squeeze-excitation) with a fused activation and batch 2, and Gemm
 * with one row (batch-1 fully connected) with every bias shape; vector and scalar kernels.
 */
class GemvOpsTest {
  private static Options options(boolean scalar) {
    return Options.builder().scalarOnly(scalar).build();
  }

  @ParameterizedTest
  @ValueSource(booleans = {false, true})
  void convOnAOnePixelOutputMatchesReference(boolean scalar) {
    Random r = new Random(41);
    for (int t = 0; t < 40; t++) {
      int n = 1 + r.nextInt(2);
      int c = 1 + r.nextInt(70);
      int m = 1 + r.nextInt(40);
      int k = t % 3 == 0 ? 1 + r.nextInt(3) : 1;
      boolean bias = t % 2 == 0;
      boolean sigmoid = t % 4 < 2;
      float[] x = OpCase.random(r, n * c * k * k);
      float[] w = OpCase.random(r, m * c * k * k);
      float[] b = OpCase.random(r, m);
      ModelWriter mw = new ModelWriter().producer("test").opset(13);
      mw.addInput("x", DType.FLOAT32, new long[] {n, c, k, k});
      mw.addConstant("w", new long[] {m, c, k, k}, w);
      List<String> in = new ArrayList<>(List.of("x", "w"));
      if (bias) {
        mw.addConstant("b", new long[] {m}, b);
        in.add("b");
      }
      mw.addNode("Conv", "conv", in, List.of(sigmoid ? "c" : "y"));
      if (sigmoid) {
        mw.addNode("Sigmoid", "act", List.of("c"), List.of("y"));
      }
      mw.addOutput("y", DType.FLOAT32);
      float[] got;
      try (Model model = Model.fromFile(mw.build(), "conv-gemv", options(scalar))) {
        got = model.run(Map.of("x", Tensor.of(x, n, c, k, k))).get("y").floatData();
      }
      int kk = c * k * k;
      for (int img = 0; img < n; img++) {
        for (int o = 0; o < m; o++) {
          double s = bias ? b[o] : 0;
          for (int j = 0; j < kk; j++) {
            s += (double) w[o * kk + j] * x[img * kk + j];
          }
          if (sigmoid) {
            s = 1 / (1 + Math.exp(-s));
          }
          assertEquals(s, got[img * m + o], 1e-5, "image " + img + " channel " + o);
        }
      }
    }
  }

  @ParameterizedTest
  @ValueSource(booleans = {false, true})
  void gemmOfOneRowMatchesReference(boolean scalar) {
    Random r = new Random(42);
    long[][] biasShapes = {null, {7}, {1, 7}, {1}, {}};
    for (int t = 0; t < 20; t++) {
      int k = 1 + r.nextInt(300);
      int n = 7;
      long[] cs = biasShapes[t % biasShapes.length];
      float alpha = t % 2 == 0 ? 1f : 0.5f;
      float beta = t % 3 == 0 ? 1f : 2f;
      boolean transA = t % 4 == 1;
      float[] a = OpCase.random(r, k);
      float[] bw = OpCase.random(r, n * k);
      float[] c =
          cs == null ? null : OpCase.random(r, cs.length == 0 ? 1 : (int) cs[cs.length - 1]);
      OpCase op =
          OpCase.of("Gemm")
              .input(OpCase.t(a, transA ? new long[] {k, 1} : new long[] {1, k}))
              .constant(OpCase.t(bw, n, k))
              .attr(Attribute.of("transA", transA ? 1L : 0L))
              .attr(Attribute.of("transB", 1L))
              .attr(Attribute.of("alpha", alpha))
              .attr(Attribute.of("beta", beta))
              .options(options(scalar));
      if (c != null) {
        op.constant(OpCase.t(c, cs));
      }
      float[] got = op.run().floatData();
      for (int j = 0; j < n; j++) {
        double s = 0;
        for (int i = 0; i < k; i++) {
          s += (double) a[i] * bw[j * k + i];
        }
        s *= alpha;
        if (c != null) {
          s += beta * c[c.length == 1 ? 0 : j];
        }
        assertEquals(
            s,
            got[j],
            1e-5,
            "column " + j + " (k " + k + ", C " + java.util.Arrays.toString(cs) + ")");
      }
    }
  }

  /** A one-row Gemm with a large B splits its column panels across 2 threads. */
  @Test
  void gemmOfOneRowWithLargeBOnTwoThreads() {
    Random r = new Random(7);
    int k = 300;
    int n = 500; // 150,000 weights: above the split threshold; 500 is not a whole number of panels
    float[] a = OpCase.random(r, k);
    float[] bw = OpCase.random(r, n * k);
    float[] got =
        OpCase.of("Gemm")
            .input(OpCase.t(a, 1, k))
            .constant(OpCase.t(bw, n, k))
            .attr(Attribute.of("transB", 1L))
            .options(Options.builder().threads(2).build())
            .run()
            .floatData();
    for (int j = 0; j < n; j++) {
      double s = 0;
      for (int i = 0; i < k; i++) {
        s += (double) a[i] * bw[j * k + i];
      }
      assertEquals(s, got[j], 1e-4, "column " + j);
    }
  }
}
