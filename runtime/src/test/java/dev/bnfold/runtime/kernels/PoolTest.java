package dev.bnfold.runtime.kernels;

import static dev.bnfold.runtime.kernels.KernelTestSupport.random;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Random;
import org.junit.jupiter.api.Test;

/** The row-wise {@link Pool#max} against {@link Pool#maxReference}. */
class PoolTest {
  @Test
  void maxMatchesReference() {
    Random r = new Random(11);
    for (int t = 0; t < 200; t++) {
      int[] in = {t % 5 == 0 ? 1 + r.nextInt(4) : 1, 1 + r.nextInt(12), 1 + r.nextInt(40)};
      int[] k = {in[0] == 1 ? 1 : 1 + r.nextInt(2), 1 + r.nextInt(3), 1 + r.nextInt(4)};
      int[] s = {1 + r.nextInt(2), 1 + r.nextInt(3), 1 + r.nextInt(3)};
      int[] d = {1, 1 + r.nextInt(2), 1 + r.nextInt(2)};
      int[] p = {0, r.nextInt(k[1]), r.nextInt(k[2])};
      int[] out = new int[3];
      boolean ok = true;
      for (int i = 0; i < 3; i++) {
        out[i] = (in[i] + 2 * p[i] - (k[i] - 1) * d[i] - 1) / s[i] + 1;
        ok &= out[i] >= 1;
      }
      if (!ok) {
        continue;
      }
      int n = 1 + r.nextInt(2);
      int c = 1 + r.nextInt(3);
      ConvGeometry g = new ConvGeometry(n, c, c, 1, in, out, k, s, d, p);
      float[] x = random(r, n * c * g.inPlane());
      if (t % 7 == 0) {
        x[r.nextInt(x.length)] = Float.NaN;
      }
      float[] ref = new float[n * c * g.outPlane()];
      float[] got = new float[ref.length];
      Pool.maxReference(ref, 0, x, 0, g);
      Pool.max(got, 0, x, 0, g);
      assertArrayEquals(ref, got, "in " + java.util.Arrays.toString(in) + " k " + k[2]);
    }
  }

  @Test
  void maxSeparableMatchesReference() {
    Random r = new Random(13);
    int tested = 0;
    for (int t = 0; t < 400; t++) {
      int[] in = {1, 1 + r.nextInt(12), 1 + r.nextInt(40)};
      int[] k = {1, 1 + r.nextInt(4), 1 + r.nextInt(4)};
      if (t % 3 == 0) {
        k[1] = 3;
        k[2] = 3;
      }
      int[] s = {1, 1 + r.nextInt(3), 1 + r.nextInt(3)};
      int[] d = {1, 1, 1};
      int[] p = {0, r.nextInt(k[1]), r.nextInt(k[2])};
      int[] out = new int[3];
      boolean ok = true;
      for (int i = 0; i < 3; i++) {
        // ceil_mode sometimes: windows that hang past the end padding
        int span = in[i] + 2 * p[i] - (k[i] - 1) - 1;
        out[i] = (t % 2 == 0 ? span : span + s[i] - 1) / s[i] + 1;
        ok &= out[i] >= 1 && span >= 0;
      }
      if (!ok) {
        continue;
      }
      int n = 1 + r.nextInt(2);
      int c = 1 + r.nextInt(3);
      ConvGeometry g = new ConvGeometry(n, c, c, 1, in, out, k, s, d, p);
      assertTrue(Pool.isSeparable(g));
      float[] x = random(r, n * c * g.inPlane());
      if (t % 5 == 0) {
        x[r.nextInt(x.length)] = Float.NaN;
      }
      float[] ref = new float[n * c * g.outPlane()];
      float[] got = new float[ref.length];
      Pool.maxReference(ref, 0, x, 0, g);
      int sOff = r.nextInt(3);
      float[] scratch = new float[sOff + Pool.separableScratch(g)];
      java.util.Arrays.fill(scratch, 7f); // stale data the kernel must overwrite
      for (ElementwiseKernel ek : ElementwiseTest.kernels()) {
        java.util.Arrays.fill(got, 0f);
        // the matching split2: vector with vector, plain Java with plain Java
        DepthwiseKernel split =
            ek instanceof ScalarElementwise
                ? new ScalarDepthwiseKernel()
                : Kernels.depthwiseFor(Kernels.vectorGemm());
        Pool.maxSeparable(got, 0, x, 0, g, scratch, sOff, ek, split);
        assertArrayEquals(
            ref,
            got,
            "in "
                + java.util.Arrays.toString(in)
                + " k "
                + java.util.Arrays.toString(k)
                + " s "
                + java.util.Arrays.toString(s)
                + " p "
                + java.util.Arrays.toString(p)
                + " "
                + ek.getClass().getSimpleName());
      }
      tested++;
    }
    assertTrue(tested > 200, "cases run: " + tested);
  }

  @Test
  void max2x2MatchesReference() {
    Random r = new Random(12);
    for (int t = 0; t < 100; t++) {
      int[] in = {1, 2 + r.nextInt(20), 2 + r.nextInt(20)};
      int[] out = {1, in[1] / 2, in[2] / 2};
      int n = 1 + r.nextInt(2);
      int c = 1 + r.nextInt(5);
      ConvGeometry g =
          new ConvGeometry(
              n,
              c,
              c,
              1,
              in,
              out,
              new int[] {1, 2, 2},
              new int[] {1, 2, 2},
              new int[] {1, 1, 1},
              new int[3]);
      assertTrue(Pool.isMax2x2(g));
      float[] x = random(r, n * c * g.inPlane());
      if (t % 3 == 0) {
        x[r.nextInt(x.length)] = Float.NaN;
      }
      float[] ref = new float[n * c * g.outPlane()];
      float[] got = new float[ref.length];
      Pool.maxReference(ref, 0, x, 0, g);
      Pool.max(got, 0, x, 0, g);
      assertArrayEquals(ref, got, "in " + java.util.Arrays.toString(in));
    }
  }

  @Test
  void windowOnlyInPaddingGivesMinusInfinity() {
    // 1x1 input, 3x3 window, pad 2, stride 2: the corner outputs see only padding
    ConvGeometry g =
        new ConvGeometry(
            1,
            1,
            1,
            1,
            new int[] {1, 1, 1},
            new int[] {1, 2, 2},
            new int[] {1, 1, 1},
            new int[] {1, 2, 2},
            new int[] {1, 1, 1},
            new int[] {0, 2, 2});
    float[] y = new float[4];
    float[] ref = new float[4];
    Pool.max(y, 0, new float[] {5f}, 0, g);
    Pool.maxReference(ref, 0, new float[] {5f}, 0, g);
    assertArrayEquals(ref, y);
    assertTrue(y[0] == Float.NEGATIVE_INFINITY);
  }
}
