package dev.bnfold.runtime.kernels;

import static dev.bnfold.runtime.kernels.KernelTestSupport.assertClose;
import static dev.bnfold.runtime.kernels.KernelTestSupport.random;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Every convolution implementation (packed GEMM with each micro-kernel, direct depthwise) against
 * {@link Conv#reference}, on named edge cases and random geometries.
 */
class ConvTest {
  /** Named geometries: n, c, m, group, h, w, kh, kw, stride, dilation, pad. */
  private static final int[][] CASES = {
    {1, 3, 4, 1, 5, 5, 3, 3, 1, 1, 1}, // plain 3x3 same
    {2, 4, 6, 1, 7, 6, 3, 3, 2, 1, 1}, // stride 2, batch 2
    {1, 3, 5, 1, 9, 9, 3, 3, 1, 2, 2}, // dilation 2
    {1, 8, 8, 4, 6, 6, 3, 3, 1, 1, 1}, // groups
    {1, 6, 6, 6, 7, 7, 3, 3, 1, 1, 1}, // depthwise
    {1, 6, 6, 6, 8, 8, 3, 3, 2, 1, 1}, // depthwise stride 2
    {1, 4, 8, 4, 5, 5, 5, 5, 1, 1, 2}, // depthwise multiplier 2, 5x5
    {1, 5, 7, 1, 6, 6, 1, 1, 1, 1, 0}, // pointwise (GEMM directly)
    {1, 5, 7, 1, 6, 6, 1, 1, 2, 1, 0}, // strided 1x1
    {1, 3, 3, 1, 1, 17, 1, 3, 1, 1, 0}, // 1-D like
    {1, 2, 3, 1, 20, 20, 3, 3, 1, 1, 0}, // 324 outputs: crosses the NC column block
    {1, 3, 2, 1, 3, 3, 5, 5, 1, 1, 2}, // kernel larger than the image
  };

  static Stream<Arguments> implementations() {
    List<Arguments> a = new ArrayList<>();
    for (GemmMicroKernel k : KernelTestSupport.gemmKernels()) {
      a.add(Arguments.of("gemm/" + k.name(), k));
    }
    a.add(Arguments.of("depthwise", null));
    return a.stream();
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("implementations")
  void matchesReference(String name, GemmMicroKernel kern) {
    Random r = new Random(7);
    List<ConvGeometry> gs = new ArrayList<>();
    for (int[] c : CASES) {
      gs.add(geometry(c));
    }
    for (int t = 0; t < 25; t++) {
      int group = 1 + r.nextInt(3);
      boolean dw = kern == null || r.nextInt(3) == 0;
      int c = dw ? group * (1 + r.nextInt(2)) : group * (1 + r.nextInt(3));
      if (dw) {
        c = group;
      }
      int m = group * (1 + r.nextInt(3));
      int h = 1 + r.nextInt(9);
      int w = 1 + r.nextInt(9);
      int kh = 1 + r.nextInt(3);
      int kw = 1 + r.nextInt(3);
      int s = 1 + r.nextInt(2);
      int d = 1 + r.nextInt(2);
      int p = r.nextInt(3);
      if (h + 2 * p < (kh - 1) * d + 1 || w + 2 * p < (kw - 1) * d + 1) {
        continue;
      }
      gs.add(geometry(new int[] {1 + r.nextInt(2), c, m, group, h, w, kh, kw, s, d, p}));
    }
    for (ConvGeometry g : gs) {
      if (kern == null && !Conv.isDepthwise(g)) {
        continue;
      }
      float[] x = random(r, g.n * g.c * g.inPlane());
      float[] w = random(r, g.m * (g.c / g.group) * g.kernelSize());
      float[] b = random(r, g.m);
      int ySize = g.n * g.m * g.outPlane();
      float[] ref = new float[ySize];
      Conv.reference(ref, 0, x, 0, w, 0, b, 0, g);
      float[] got = new float[ySize];
      if (kern == null) {
        Conv.depthwise(got, 0, x, 0, w, 0, b, 0, g);
      } else {
        float[] pw = new float[Conv.packedWeightSize(g, kern.mr())];
        Conv.packWeights(pw, w, 0, g, kern.mr());
        Conv.gemmPath(kern, got, 0, x, 0, pw, b, 0, g, new float[Conv.scratchSize(g, kern.nr())]);
      }
      assertClose(ref, got, ySize, name + " " + describe(g));
    }
  }

  private static ConvGeometry geometry(int[] c) {
    int n = c[0], ch = c[1], m = c[2], group = c[3], h = c[4], w = c[5], kh = c[6], kw = c[7];
    int s = c[8], d = c[9], p = c[10];
    int oh = (h + 2 * p - (kh - 1) * d - 1) / s + 1;
    int ow = (w + 2 * p - (kw - 1) * d - 1) / s + 1;
    return new ConvGeometry(
        n,
        ch,
        m,
        group,
        new int[] {1, h, w},
        new int[] {1, oh, ow},
        new int[] {1, kh, kw},
        new int[] {1, s, s},
        new int[] {1, d, d},
        new int[] {0, p, p});
  }

  private static String describe(ConvGeometry g) {
    return "n="
        + g.n
        + " c="
        + g.c
        + " m="
        + g.m
        + " g="
        + g.group
        + " in="
        + g.in[1]
        + "x"
        + g.in[2]
        + " k="
        + g.k[1]
        + "x"
        + g.k[2]
        + " s="
        + g.stride[1]
        + " d="
        + g.dilation[1]
        + " p="
        + g.padBegin[1];
  }
}
