package dev.bnfold.runtime.kernels;

import static dev.bnfold.runtime.kernels.KernelTestSupport.assertClose;
import static dev.bnfold.runtime.kernels.KernelTestSupport.random;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.Random;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/** Every GEMM micro-kernel against {@link Gemm#reference} on random shapes, tails included. */
class GemmTest {
  static Stream<GemmMicroKernel> kernels() {
    return KernelTestSupport.gemmKernels().stream();
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("kernels")
  void packedMatchesReference(GemmMicroKernel kern) {
    Random r = new Random(42);
    int[][] fixed = {{1, 1, 1}, {4, 8, 3}, {5, 33, 7}, {3, 17, 300}, {9, 64, 257}, {1, 100, 16}};
    for (int t = 0; t < 40; t++) {
      int m;
      int n;
      int k;
      if (t < fixed.length) {
        m = fixed[t][0];
        n = fixed[t][1];
        k = fixed[t][2];
      } else {
        m = 1 + r.nextInt(20);
        n = 1 + r.nextInt(70);
        k = 1 + r.nextInt(300);
      }
      boolean ta = r.nextBoolean();
      boolean tb = r.nextBoolean();
      float[] a = random(r, m * k + 3);
      float[] b = random(r, k * n + 5);
      int lda = ta ? m : k;
      int ldb = tb ? k : n;
      float[] ref = new float[m * n];
      Gemm.reference(ref, 0, n, a, 3, lda, ta, b, 5, ldb, tb, m, n, k, 1f, 0f);
      float[] pa = new float[Gemm.packedASize(m, k, kern.mr())];
      float[] pb = new float[Gemm.packedBSize(k, n, kern.nr())];
      Gemm.packA(pa, 0, a, 3, lda, ta, m, k, kern.mr());
      Gemm.packB(pb, 0, b, 5, ldb, tb, k, n, kern.nr());
      float[] got = new float[m * n + 1];
      got[m * n] = 12345f; // canary past the end
      Gemm.multiplyPacked(
          kern, got, 0, n, pa, 0, pb, 0, m, n, k, false, 0, Gemm.panels(n, kern.nr()));
      assertClose(ref, got, m * n, kern.name() + " m=" + m + " n=" + n + " k=" + k);
      assertEquals(12345f, got[m * n], "wrote past the output");
      // accumulate mode adds
      Gemm.multiplyPacked(
          kern, got, 0, n, pa, 0, pb, 0, m, n, k, true, 0, Gemm.panels(n, kern.nr()));
      float[] twice = ref.clone();
      for (int i = 0; i < twice.length; i++) {
        twice[i] *= 2;
      }
      assertClose(twice, got, m * n, kern.name() + " accumulate");
      // clamped to [-0.5, 0.5] tile by tile
      Gemm.multiplyPacked(
          kern, got, 0, n, pa, 0, pb, 0, m, n, k, false, 0, Gemm.panels(n, kern.nr()), -0.5f, 0.5f);
      float[] clamped = ref.clone();
      for (int i = 0; i < clamped.length; i++) {
        clamped[i] = Math.min(Math.max(clamped[i], -0.5f), 0.5f);
      }
      assertClose(clamped, got, m * n, kern.name() + " clamped");
      assertEquals(12345f, got[m * n], "wrote past the output");
    }
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("kernels")
  void rowMatchesReference(GemmMicroKernel kern) {
    Random r = new Random(43);
    int[][] fixed = {
      {1, 1}, {64, 512}, {10, 64}, {33, 7}, {kern.nr(), 1}, {2 * kern.nr() + 3, 300}
    };
    for (int t = 0; t < 30; t++) {
      int n = t < fixed.length ? fixed[t][0] : 1 + r.nextInt(100);
      int k = t < fixed.length ? fixed[t][1] : 1 + r.nextInt(600);
      boolean tb = r.nextBoolean();
      float[] a = random(r, k + 3);
      float[] b = random(r, k * n + 5);
      int ldb = tb ? k : n;
      float[] ref = new float[n];
      Gemm.reference(ref, 0, n, a, 3, k, false, b, 5, ldb, tb, 1, n, k, 1f, 0f);
      float[] pb = new float[Gemm.packedBSize(k, n, kern.nr())];
      Gemm.packB(pb, 0, b, 5, ldb, tb, k, n, kern.nr());
      float[] got = new float[n + 2];
      got[0] = 777f;
      got[n + 1] = 12345f; // canary past the end
      Gemm.multiplyRow(kern, got, 1, a, 3, pb, 0, n, k, 0, Gemm.panels(n, kern.nr()));
      float[] shifted = java.util.Arrays.copyOfRange(got, 1, n + 1);
      assertClose(ref, shifted, n, kern.name() + " row n=" + n + " k=" + k);
      assertEquals(777f, got[0], "wrote before the output");
      assertEquals(12345f, got[n + 1], "wrote past the output");
    }
  }

  /** multiplyPacked with a per-row bias (tileBias): full and edge tiles, two k blocks, no bias. */
  @ParameterizedTest(name = "{0}")
  @MethodSource("kernels")
  void biasStartMatchesReference(GemmMicroKernel kern) {
    java.util.Random r = new java.util.Random(21);
    int[][] shapes = {{8, 32, 16}, {17, 45, 7}, {3, 5, 300}, {16, 64, 1}, {9, 33, 0}};
    for (int[] sh : shapes) {
      int m = sh[0];
      int n = sh[1];
      int k = sh[2];
      float[] a = KernelTestSupport.random(r, m * k);
      float[] b = KernelTestSupport.random(r, k * n);
      float[] bias = KernelTestSupport.random(r, m + 2);
      float[] pa = new float[Gemm.packedASize(m, k, kern.mr())];
      float[] pb = new float[Gemm.packedBSize(k, n, kern.nr())];
      Gemm.packA(pa, 0, a, 0, k, false, m, k, kern.mr());
      Gemm.packB(pb, 0, b, 0, n, false, k, n, kern.nr());
      for (boolean withBias : new boolean[] {true, false}) {
        float[] ref = new float[m * n];
        Gemm.reference(ref, 0, n, a, 0, k, false, b, 0, n, false, m, n, k, 1f, 0f);
        for (int i = 0; i < m && withBias; i++) {
          for (int j = 0; j < n; j++) {
            ref[i * n + j] += bias[2 + i];
          }
        }
        float[] c = new float[m * n];
        java.util.Arrays.fill(c, Float.NaN); // C must not be read
        Gemm.multiplyPacked(
            kern,
            c,
            0,
            n,
            pa,
            0,
            pb,
            0,
            m,
            n,
            k,
            false,
            withBias ? bias : null,
            2,
            0,
            Gemm.panels(n, kern.nr()),
            Float.NEGATIVE_INFINITY,
            Float.POSITIVE_INFINITY);
        KernelTestSupport.assertClose(
            ref, c, m * n, kern.name() + " " + m + "x" + n + "x" + k + " bias " + withBias);
      }
    }
  }
}
