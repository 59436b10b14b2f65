package dev.bnfold.runtime.kernels;

import static dev.bnfold.runtime.kernels.KernelTestSupport.assertClose;
import static dev.bnfold.runtime.kernels.KernelTestSupport.random;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Winograd F(4x4, 3x3) with every micro-kernel against {@link Conv#reference}: named edge cases and
 * random shapes, with and without bias, fused activation (clamp and plain function) and residual
 * addend, whole and split into output-channel chunks.
 */
class WinogradTest {
  /** Named geometries: n, c, m, h, w, pad. */
  private static final int[][] CASES = {
    {1, 3, 4, 5, 5, 1}, // one partial tile per axis... two tiles
    {1, 1, 1, 1, 1, 1}, // 1x1 image: all padding
    {2, 5, 7, 9, 11, 1}, // batch, odd sizes: partial edge tiles
    {1, 4, 3, 8, 8, 0}, // no padding: 6x6 output
    {1, 2, 2, 3, 3, 0}, // one output
    {1, 3, 5, 6, 6, 2}, // pad 2: border tiles read nothing on their first rows
    {1, 40, 33, 14, 14, 1}, // 16 tiles, M not a multiple of nr
    {1, 300, 9, 7, 7, 1}, // C = 300: two k blocks of the GEMM
    {1, 64, 64, 56, 56, 1}, // ResNet-18 layer 1: several tile blocks
    {1, 8, 70, 29, 3, 1}, // tall and narrow
    {1, 37, 45, 30, 61, 1}, // C, M not multiples of the vector or panel sizes; wide odd rows
    {2, 33, 17, 23, 40, 1}, // blocks that start and end inside a tile row
  };

  /** Every micro-kernel with the scalar transforms, and with the vector ones if available. */
  static Stream<Arguments> implementations() {
    List<Arguments> a = new ArrayList<>();
    for (GemmMicroKernel k : KernelTestSupport.gemmKernels()) {
      a.add(Arguments.of(k.name() + "/scalar-transforms", k, Winograd.SCALAR));
      if (Kernels.vectorWinograd() != null) {
        a.add(Arguments.of(k.name() + "/vector-transforms", k, Kernels.vectorWinograd()));
      }
    }
    return a.stream();
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("implementations")
  void matchesReference(String name, GemmMicroKernel kern, WinogradTransforms tr) {
    Random r = new Random(11);
    List<ConvGeometry> gs = new ArrayList<>();
    for (int[] c : CASES) {
      gs.add(geometry(c[0], c[1], c[2], c[3], c[4], c[5]));
    }
    for (int t = 0; t < 30; t++) {
      int pad = r.nextInt(3);
      int h = Math.max(1, 3 - 2 * pad) + r.nextInt(14);
      int w = Math.max(1, 3 - 2 * pad) + r.nextInt(14);
      gs.add(geometry(1 + r.nextInt(2), 1 + r.nextInt(20), 1 + r.nextInt(40), h, w, pad));
    }
    for (ConvGeometry g : gs) {
      assertTrue(Winograd.applies(g));
      String what = name + " " + describe(g);
      // tilings for 1 to 4 threads: blocks rounded to a multiple of the thread count
      Winograd.Tiling tl = Winograd.tiling(g, kern, tr, 1 + r.nextInt(4));
      float[] x = random(r, g.n * g.c * g.inPlane());
      float[] w = random(r, g.m * g.c * 9);
      float[] b = r.nextBoolean() ? random(r, g.m) : null;
      int ySize = g.n * g.m * g.outPlane();
      float[] ref = new float[ySize];
      Conv.reference(ref, 0, x, 0, w, 0, b, 0, g);
      float[] u = new float[Winograd.transformedWeightSize(g, kern.nr()) + 2];
      Winograd.transformWeights(u, w, 0, g, kern.nr());

      float[] got = run(kern, tl, x, u, b, null, null, 1, r);
      assertClose(ref, got, ySize, what);

      // residual addend, then ReLU as a clamp; split into output-channel chunks
      float[] add = random(r, ySize);
      float[] relu = new float[ySize];
      for (int i = 0; i < ySize; i++) {
        relu[i] = Math.max(ref[i] + add[i], 0f);
      }
      int chunks = 1 + r.nextInt(3);
      got = run(kern, tl, x, u, b, add, Epilogue.clamp(0f, Float.POSITIVE_INFINITY), chunks, r);
      assertClose(relu, got, ySize, what + " residual+relu, chunks " + chunks);

      // a fused activation that is not a clamp: applied by the epilogue's function
      float[] sq = ref.clone();
      for (int i = 0; i < ySize; i++) {
        sq[i] = sq[i] * Math.abs(sq[i]);
      }
      Epilogue fn =
          (y, off, n) -> {
            for (int i = off; i < off + n; i++) {
              y[i] = y[i] * Math.abs(y[i]);
            }
          };
      got = run(kern, tl, x, u, b, null, fn, 2, r);
      assertClose(sq, got, ySize, what + " function epilogue");
    }
  }

  /** All jobs, in two ranges with separate scratch (as two workers would), into a NaN output. */
  private static float[] run(
      GemmMicroKernel kern,
      Winograd.Tiling tl,
      float[] x,
      float[] u,
      float[] b,
      float[] add,
      Epilogue epi,
      int chunks,
      Random r) {
    ConvGeometry g = tl.g;
    int stride = tl.scratchSize();
    float[] scratch = new float[3 + 2 * stride];
    Arrays.fill(scratch, Float.NaN); // stale scratch must not leak into outputs
    float[] y = new float[g.n * g.m * g.outPlane()];
    Arrays.fill(y, Float.NaN);
    int jobs = tl.jobs(chunks);
    int split = r.nextInt(jobs + 1);
    Winograd.runJobs(kern, tl, y, 0, x, 0, u, b, 0, add, 0, epi, chunks, scratch, 3, 0, split);
    Winograd.runJobs(
        kern, tl, y, 0, x, 0, u, b, 0, add, 0, epi, chunks, scratch, 3 + stride, split, jobs);
    return y;
  }

  /** Large channel counts: the error of F(4x4, 3x3) stays small against the output scale. */
  @Test
  void errorStaysSmallOnResNetShapes() {
    GemmMicroKernel kern = Kernels.gemm(false);
    Random r = new Random(3);
    for (int[] s : new int[][] {{256, 256, 14}, {512, 64, 7}}) {
      ConvGeometry g = geometry(1, s[0], s[1], s[2], s[2], 1);
      float[] x = random(r, g.c * g.inPlane());
      float[] w = random(r, g.m * g.c * 9);
      float[] ref = new float[g.m * g.outPlane()];
      Conv.reference(ref, 0, x, 0, w, 0, null, 0, g);
      float[] u = new float[Winograd.transformedWeightSize(g, kern.nr())];
      Winograd.transformWeights(u, w, 0, g, kern.nr());
      float[] got = run(kern, Winograd.tiling(g, kern), x, u, null, null, null, 1, r);
      double maxRef = 0;
      double maxErr = 0;
      for (int i = 0; i < ref.length; i++) {
        maxRef = Math.max(maxRef, Math.abs(ref[i]));
        maxErr = Math.max(maxErr, Math.abs(ref[i] - got[i]));
      }
      assertTrue(maxErr <= 2e-5 * maxRef, "error " + maxErr + " against scale " + maxRef);
    }
  }

  @Test
  void appliesOnlyToUndilatedStride1Dense3x3() {
    assertTrue(Winograd.applies(geometry(1, 4, 4, 8, 8, 1)));
    assertFalse(Winograd.applies(geo(4, 4, 1, 3, 2, 1))); // stride 2
    assertFalse(Winograd.applies(geo(4, 4, 1, 3, 1, 2))); // dilation 2
    assertFalse(Winograd.applies(geo(4, 4, 2, 3, 1, 1))); // groups
    assertFalse(Winograd.applies(geo(4, 4, 1, 5, 1, 1))); // 5x5
  }

  @Test
  void channelChunksGiveEveryThreadWork() {
    GemmMicroKernel kern = Kernels.gemm(false);
    Winograd.Tiling small = Winograd.tiling(geometry(1, 256, 256, 14, 14, 1), kern, 2);
    assertEquals(1, small.channelChunks(1));
    assertEquals(2, small.chunks(), "one block of 16 tiles: its channels split in two");
    assertEquals(2, small.jobs(small.chunks()));
    // 196 tiles: an even number of blocks, no channel split
    Winograd.Tiling big = Winograd.tiling(geometry(1, 64, 64, 56, 56, 1), kern, 2);
    assertEquals(1, big.chunks());
    assertEquals(0, big.jobs(1) % 2, "blocks " + big.jobs(1));
  }

  private static ConvGeometry geometry(int n, int c, int m, int h, int w, int pad) {
    return new ConvGeometry(
        n,
        c,
        m,
        1,
        new int[] {1, h, w},
        new int[] {1, h + 2 * pad - 2, w + 2 * pad - 2},
        new int[] {1, 3, 3},
        new int[] {1, 1, 1},
        new int[] {1, 1, 1},
        new int[] {0, pad, pad});
  }

  private static ConvGeometry geo(int c, int m, int group, int k, int stride, int dil) {
    int h = 12;
    int out = (h - dil * (k - 1) - 1) / stride + 1;
    return new ConvGeometry(
        1,
        c,
        m,
        group,
        new int[] {1, h, h},
        new int[] {1, out, out},
        new int[] {1, k, k},
        new int[] {1, stride, stride},
        new int[] {1, dil, dil},
        new int[] {0, 0, 0});
  }

  private static String describe(ConvGeometry g) {
    return "n="
        + g.n
        + " c="
        + g.c
        + " m="
        + g.m
        + " in="
        + g.in[1]
        + "x"
        + g.in[2]
        + " pad="
        + g.padBegin[1];
  }
}
