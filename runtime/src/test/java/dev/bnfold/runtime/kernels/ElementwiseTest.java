package dev.bnfold.runtime.kernels;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.function.DoubleUnaryOperator;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Every {@link ElementwiseKernel} against per-element double-precision formulas, on random lengths
 * (not multiples of any vector width), offsets, in place, and the special values 0, -0, +-inf, NaN
 * and the edges of exp's float range.
 */
class ElementwiseTest {
  private static final float[] SPECIAL = {
    0f,
    -0f,
    Float.POSITIVE_INFINITY,
    Float.NEGATIVE_INFINITY,
    Float.NaN,
    88f,
    -88f,
    100f,
    -100f,
    1e-8f,
    -1e-8f,
    3f,
    -3f,
    6f
  };

  static List<ElementwiseKernel> kernels() {
    List<ElementwiseKernel> ks = new ArrayList<>();
    ks.add(new ScalarElementwise());
    if (Kernels.vectorElementwise() != null) {
      ks.add(Kernels.vectorElementwise());
    }
    return ks;
  }

  /** One activation under test: the kernel call and its double-precision definition. */
  private interface Call {
    void run(ElementwiseKernel k, float[] y, int yOff, float[] x, int xOff, int n);
  }

  private static void checkUnary(
      ElementwiseKernel k, String name, Call call, DoubleUnaryOperator f) {
    Random r = new Random(name.hashCode());
    for (int t = 0; t < 300; t++) {
      int n = t < 200 ? t : 1 + r.nextInt(3000);
      int xOff = r.nextInt(5);
      int yOff = r.nextInt(5);
      float[] x = new float[xOff + n + 3];
      for (int i = 0; i < x.length; i++) {
        x[i] = r.nextInt(4) == 0 ? SPECIAL[r.nextInt(SPECIAL.length)] : (r.nextFloat() - 0.5f) * 24;
      }
      boolean inPlace = t % 3 == 0;
      float[] y = inPlace ? x.clone() : new float[yOff + n + 3];
      int yo = inPlace ? xOff : yOff;
      float guard = -12345f;
      if (!inPlace) {
        java.util.Arrays.fill(y, guard);
      }
      call.run(k, y, yo, inPlace ? y : x, xOff, n);
      for (int i = 0; i < n; i++) {
        double ref = f.applyAsDouble(x[xOff + i]);
        float got = y[yo + i];
        if (!close(ref, got)) {
          fail(
              k.getClass().getSimpleName()
                  + " "
                  + name
                  + "("
                  + x[xOff + i]
                  + ") = "
                  + got
                  + ", expected "
                  + ref
                  + " (n "
                  + n
                  + ", i "
                  + i
                  + ")");
        }
      }
      if (!inPlace) {
        for (int i = 0; i < yOff; i++) {
          assertEquals(guard, y[i], name + " wrote before the run");
        }
        for (int i = yOff + n; i < y.length; i++) {
          assertEquals(guard, y[i], name + " wrote past the run");
        }
      }
    }
  }

  /** Within 2e-6 relative (a few float ulps) or 1e-30 absolute; NaN and infinities exactly. */
  private static boolean close(double ref, float got) {
    if (Double.isNaN(ref)) {
      return Float.isNaN(got);
    }
    if (Double.isInfinite(ref)) {
      return got == ref;
    }
    return Math.abs(got - ref) <= 2e-6 * Math.abs(ref) + 1e-30;
  }

  private static double sigmoid(double x) {
    return 1 / (1 + Math.exp(-x));
  }

  @ParameterizedTest
  @MethodSource("kernels")
  void activationsMatchTheirDefinitions(ElementwiseKernel k) {
    checkUnary(k, "sigmoid", ElementwiseKernel::sigmoid, ElementwiseTest::sigmoid);
    checkUnary(k, "silu", ElementwiseKernel::silu, x -> x * sigmoid(x));
    checkUnary(k, "tanh", ElementwiseKernel::tanh, Math::tanh);
    float a = 1f / 6;
    float b = 0.5f;
    checkUnary(
        k,
        "hardSigmoid",
        (kk, y, yo, x, xo, n) -> kk.hardSigmoid(y, yo, x, xo, n, a, b),
        x -> Math.max(0, Math.min(1, (float) (a * (float) x) + b)));
    checkUnary(
        k,
        "hardSwish",
        (kk, y, yo, x, xo, n) -> kk.hardSwish(y, yo, x, xo, n, a, b),
        x -> x * Math.max(0, Math.min(1, (float) (a * (float) x) + b)));
    checkUnary(
        k,
        "relu6",
        (kk, y, yo, x, xo, n) -> kk.clamp(y, yo, x, xo, n, 0f, 6f),
        x -> Math.min(Math.max(x, 0), 6));
    checkUnary(
        k,
        "relu",
        (kk, y, yo, x, xo, n) -> kk.clamp(y, yo, x, xo, n, 0f, Float.POSITIVE_INFINITY),
        x -> Math.max(x, 0));
  }

  @ParameterizedTest
  @MethodSource("kernels")
  void binaryOpsMatchScalarArithmetic(ElementwiseKernel k) {
    Random r = new Random(5);
    for (int t = 0; t < 200; t++) {
      int n = t < 100 ? t : 1 + r.nextInt(2000);
      int ao = r.nextInt(4);
      int bo = r.nextInt(4);
      float[] a = KernelTestSupport.random(r, ao + n);
      float[] b = KernelTestSupport.random(r, bo + n);
      if (n > 0 && t % 5 == 0) {
        a[ao + r.nextInt(n)] = Float.NaN;
        b[bo + r.nextInt(n)] = Float.POSITIVE_INFINITY;
      }
      float s = t % 7 == 0 ? Float.NaN : r.nextFloat() * 4 - 2;
      float[] y = new float[n + 2];
      k.add(y, 1, a, ao, b, bo, n);
      for (int i = 0; i < n; i++) {
        assertEquals(a[ao + i] + b[bo + i], y[1 + i], "add");
      }
      k.mul(y, 1, a, ao, b, bo, n);
      for (int i = 0; i < n; i++) {
        assertEquals(a[ao + i] * b[bo + i], y[1 + i], "mul");
      }
      k.max(y, 1, a, ao, b, bo, n);
      for (int i = 0; i < n; i++) {
        assertEquals(Math.max(a[ao + i], b[bo + i]), y[1 + i], "max");
      }
      float[] inPlace = a.clone();
      k.max(inPlace, ao, inPlace, ao, b, bo, n);
      for (int i = 0; i < n; i++) {
        assertEquals(Math.max(a[ao + i], b[bo + i]), inPlace[ao + i], "max in place");
      }
      k.addScalar(y, 1, a, ao, s, n);
      for (int i = 0; i < n; i++) {
        assertEquals(a[ao + i] + s, y[1 + i], "addScalar");
      }
      k.mulScalar(y, 1, a, ao, s, n);
      for (int i = 0; i < n; i++) {
        assertEquals(a[ao + i] * s, y[1 + i], "mulScalar");
      }
      assertEquals(0f, y[0], "wrote before the run");
      assertEquals(0f, y[n + 1], "wrote past the run");
    }
  }

  @ParameterizedTest
  @MethodSource("kernels")
  void sumMatchesDoubleSum(ElementwiseKernel k) {
    Random r = new Random(6);
    for (int t = 0; t < 200; t++) {
      int n = t < 100 ? t : 1 + r.nextInt(5000);
      int off = r.nextInt(4);
      float[] x = KernelTestSupport.random(r, off + n);
      double ref = 0;
      double abs = 0;
      for (int i = 0; i < n; i++) {
        ref += x[off + i];
        abs += Math.abs(x[off + i]);
      }
      float got = k.sum(x, off, n);
      assertTrue(
          Math.abs(got - ref) <= 1e-6 * abs + 1e-7, "sum of " + n + ": " + got + " vs " + ref);
    }
    float[] x = {1, 2, Float.NaN, 4};
    assertTrue(Float.isNaN(k.sum(x, 0, 4)), "NaN propagates");
    assertTrue(Float.isNaN(k.sum(new float[40], 0, 40) + k.sum(nanAt(40, 33), 0, 40)));
  }

  @ParameterizedTest
  @MethodSource("kernels")
  void gemvPanelsMatchesDoubleDotProducts(ElementwiseKernel k) {
    Random r = new Random(7);
    int[] widths = {4, 8, 16, 1, 3, 32};
    for (int t = 0; t < 300; t++) {
      int width = widths[t % widths.length];
      int m = r.nextInt(30);
      int kk = t < 90 ? t : r.nextInt(700);
      int wo = r.nextInt(4);
      int xo = r.nextInt(4);
      float[] w = KernelTestSupport.random(r, m * kk);
      float[] x = KernelTestSupport.random(r, xo + kk);
      float[] packed = new float[wo + Gemm.packedASize(m, kk, width)];
      Gemm.packA(packed, wo, w, 0, kk, false, m, kk, width);
      float[] y = new float[m + 2];
      k.gemvPanels(y, 1, packed, wo, width, x, xo, m, kk);
      for (int i = 0; i < m; i++) {
        double ref = 0;
        double abs = 0;
        for (int j = 0; j < kk; j++) {
          ref += (double) w[i * kk + j] * x[xo + j];
          abs += Math.abs((double) w[i * kk + j] * x[xo + j]);
        }
        assertTrue(
            Math.abs(y[1 + i] - ref) <= 1e-6 * abs + 1e-7,
            "row "
                + i
                + " of ("
                + m
                + ", "
                + kk
                + ") width "
                + width
                + ": "
                + y[1 + i]
                + " vs "
                + ref);
      }
      assertEquals(0f, y[0], "wrote before the rows");
      assertEquals(0f, y[m + 1], "wrote past the rows");
    }
    float[] w = new float[Gemm.packedASize(6, 40, 8)];
    float[] x = new float[40];
    x[37] = Float.NaN;
    float[] y = new float[6];
    k.gemvPanels(y, 0, w, 0, 8, x, 0, 6, 40);
    for (float v : y) {
      assertTrue(Float.isNaN(v), "NaN in x reaches every row");
    }
  }

  private static float[] nanAt(int n, int i) {
    float[] x = new float[n];
    x[i] = Float.NaN;
    return x;
  }
}
