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
 * Every convolution implementation (packed GEMM with each micro-kernel) against {@link
 * Conv#reference}, on named edge cases and random geometries; the direct depthwise path is in
 * {@link DepthwiseTest}.
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
    {1, 5, 5, 5, 9, 13, 3, 3, 1, 1, 0}, // depthwise 3x3 no padding: interior only
    {1, 5, 5, 5, 2, 2, 3, 3, 1, 1, 1}, // depthwise 3x3, all border
    {2, 4, 4, 4, 11, 10, 3, 3, 2, 1, 1}, // depthwise 3x3 stride 2, odd and even sizes
    {1, 3, 3, 3, 12, 37, 3, 3, 2, 1, 0}, // depthwise 3x3 stride 2 no padding
    {1, 4, 4, 4, 56, 56, 3, 3, 1, 1, 1}, // depthwise 3x3 MobileNet-sized rows: vector body + tail
    {1, 4, 4, 4, 14, 14, 3, 3, 1, 1, 1}, // narrow planes: one flat run over the padded plane
    {1, 4, 4, 4, 7, 7, 3, 3, 1, 1, 1},
    {1, 4, 4, 4, 4, 3, 3, 3, 1, 1, 1}, // flat run shorter than a vector: scalar
    {1, 3, 3, 3, 9, 5, 3, 3, 1, 1, 0}, // narrow, no padding
    {1, 3, 3, 3, 13, 13, 3, 3, 2, 1, 1}, // narrow stride 2: scalar
    {1, 4, 4, 4, 57, 71, 3, 3, 2, 1, 1}, // same at stride 2
    {1, 2, 6, 2, 9, 40, 3, 3, 2, 1, 1}, // multiplier 3 at stride 2: planes share the padded copy
    {1, 3, 3, 3, 6, 6, 3, 3, 1, 1, 2}, // depthwise 3x3 pad 2: border rows read nothing
    {1, 3, 3, 3, 7, 7, 3, 3, 3, 1, 1}, // depthwise 3x3 stride 3
    {1, 16, 40, 1, 14, 14, 3, 3, 1, 1, 1}, // 40 rows: mr tails, several row chunks
    {1, 7, 9, 1, 23, 29, 3, 3, 2, 1, 1}, // im2col runs crossing rows and panels, stride 2
    {1, 4, 5, 1, 17, 19, 3, 3, 3, 1, 1}, // column stride 3: three phase-split columns
    {1, 3, 8, 1, 40, 38, 7, 7, 2, 1, 3}, // ResNet stem-like 7x7 stride 2: blocks cross rows
    {1, 2, 3, 1, 13, 11, 3, 3, 2, 2, 2}, // stride 2 with dilation 2
    {1, 3, 4, 1, 9, 10, 1, 3, 2, 1, 0}, // 1x3 stride 2, even input width
  };

  static Stream<Arguments> implementations() {
    List<Arguments> a = new ArrayList<>();
    for (GemmMicroKernel k : KernelTestSupport.gemmKernels()) {
      a.add(Arguments.of("gemm/" + k.name(), k));
    }
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
      boolean dw = r.nextInt(3) == 0;
      int c = dw ? group * (1 + r.nextInt(2)) : group * (1 + r.nextInt(3));
      if (dw) {
        c = group;
      }
      int m = group * (1 + r.nextInt(3));
      int h = 1 + r.nextInt(9);
      int w = 1 + r.nextInt(dw ? 40 : 9);
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
      float[] x = random(r, g.n * g.c * g.inPlane());
      float[] w = random(r, g.m * (g.c / g.group) * g.kernelSize());
      float[] b = random(r, g.m);
      int ySize = g.n * g.m * g.outPlane();
      float[] ref = new float[ySize];
      Conv.reference(ref, 0, x, 0, w, 0, b, 0, g);
      float[] got = new float[ySize];
      float[] pw = new float[Conv.packedWeightSize(g, kern.mr())];
      Conv.packWeights(pw, w, 0, g, kern.mr());
      Conv.gemmPath(kern, got, 0, x, 0, pw, b, 0, g, new float[Conv.scratchSize(g, kern.nr())]);
      assertClose(ref, got, ySize, name + " " + describe(g));
      // the same with a fused epilogue, and for the GEMM path split into row chunks
      float[] relu = ref.clone();
      for (int i = 0; i < ySize; i++) {
        relu[i] = Math.max(relu[i], 0f);
      }
      // a plain function, or a clamp that the GEMM path applies per register tile
      Epilogue epi =
          r.nextBoolean()
              ? Epilogue.clamp(0f, Float.POSITIVE_INFINITY)
              : (y, off, len) -> {
                for (int i = off; i < off + len; i++) {
                  y[i] = Math.max(y[i], 0f);
                }
              };
      java.util.Arrays.fill(got, Float.NaN);
      float[] scratch = new float[Conv.scratchSize(g, kern.nr())];
      int chunks = 1 + r.nextInt(3);
      Conv.gemmPathJobs(
          kern, got, 0, x, 0, pw, b, 0, epi, g, chunks, scratch, 0, 0, Conv.gemmJobs(g, chunks));
      assertClose(relu, got, ySize, name + " epilogue, row chunks " + chunks + " " + describe(g));
      // a fused residual: each block starts as bias + addend (here the addend is y itself)
      float[] add = random(r, ySize);
      for (int i = 0; i < ySize; i++) {
        relu[i] = Math.max(ref[i] + add[i], 0f);
      }
      got = add.clone();
      Conv.gemmPathJobs(
          kern,
          got,
          0,
          x,
          0,
          pw,
          b,
          0,
          got,
          0,
          Epilogue.clamp(0f, Float.POSITIVE_INFINITY),
          g,
          chunks,
          scratch,
          0,
          0,
          Conv.gemmJobs(g, chunks));
      assertClose(relu, got, ySize, name + " residual in place " + describe(g));
    }
  }

  static Stream<GemmMicroKernel> gemmKernels() {
    return KernelTestSupport.gemmKernels().stream();
  }

  /**
   * {@link GatherConv} (B read in place, pointwise and padded modes) against the reference, with
   * each epilogue kind, a fused residual, and its jobs split over two workers.
   */
  @ParameterizedTest(name = "{0}")
  @MethodSource("gemmKernels")
  void gatherMatchesReference(GemmMicroKernel kern) {
    Random r = new Random(8);
    List<ConvGeometry> gs = new ArrayList<>();
    for (int[] c : CASES) {
      gs.add(geometry(c));
    }
    int[] digits = {1, 16, 32, 1, 8, 8, 3, 3, 1, 1, 1};
    gs.add(geometry(digits)); // digits-cnn: compact B rows
    if (kern.fastGather()) {
      org.junit.jupiter.api.Assertions.assertTrue(
          GatherConv.plan(geometry(digits), kern, 1).compact(), "an 8x8 plane runs compact");
    }
    gs.add(geometry(new int[] {2, 6, 10, 2, 9, 8, 3, 3, 1, 1, 1})); // compact, groups and batch
    gs.add(geometry(new int[] {1, 1, 16, 1, 8, 8, 3, 3, 1, 1, 1}));
    // compact at stride 1, output as wide as the input: B rows as masked shifts of the plane
    gs.add(geometry(new int[] {1, 5, 12, 1, 8, 8, 3, 3, 1, 2, 2})); // dilation 2
    gs.add(geometry(new int[] {1, 4, 9, 1, 8, 8, 5, 5, 1, 1, 2})); // 5x5
    gs.add(geometry(new int[] {1, 3, 8, 1, 6, 5, 3, 3, 1, 1, 1})); // rows narrower than a vector
    gs.add(geometry(new int[] {1, 40, 20, 1, 7, 7, 3, 3, 1, 1, 1})); // k = 360
    gs.add(geometry(new int[] {2, 6, 9, 3, 14, 14, 3, 3, 1, 1, 1})); // batch and groups
    gs.add(geometry(new int[] {1, 4, 5, 1, 16, 16, 3, 3, 1, 2, 2})); // dilation, 256 outputs
    gs.add(geometry(new int[] {1, 16, 24, 1, 40, 40, 1, 1, 1, 1, 0})); // pointwise, many blocks
    gs.add(geometry(new int[] {1, 3, 16, 1, 64, 64, 3, 3, 2, 1, 1})); // MobileNet stem
    gs.add(geometry(new int[] {2, 6, 12, 2, 9, 9, 1, 1, 1, 1, 0})); // grouped pointwise
    gs.add(geometry(new int[] {1, 300, 20, 1, 3, 5, 1, 1, 1, 1, 0})); // deep pointwise edge strip
    // 7x7 pointwise: the last panel as a full tile over columns 17..48 (20 rows: one partial panel)
    gs.add(geometry(new int[] {1, 40, 20, 1, 7, 7, 1, 1, 1, 1, 0}));
    // deep pointwise: k-blocks over column panels (the last one shifted or through the strip)
    gs.add(geometry(new int[] {1, 200, 16, 1, 7, 7, 1, 1, 1, 1, 0}));
    gs.add(geometry(new int[] {1, 330, 24, 1, 9, 10, 1, 1, 1, 1, 0}));
    gs.add(geometry(new int[] {2, 340, 32, 2, 6, 8, 1, 1, 1, 1, 0})); // groups, batch
    gs.add(geometry(new int[] {1, 64, 12, 1, 7, 7, 3, 3, 1, 1, 1})); // k = 576: two k-blocks
    gs.add(
        geometry(new int[] {1, 8, 100, 1, 73, 79, 1, 1, 1, 1, 0})); // output beyond L2: rows outer
    int[] downsample = {1, 40, 24, 1, 14, 14, 1, 1, 2, 1, 0}; // ResNet shortcut: 1x1 stride 2
    gs.add(geometry(downsample));
    gs.add(geometry(new int[] {1, 33, 16, 1, 7, 9, 1, 1, 2, 1, 0})); // odd sizes: a lone sample
    gs.add(geometry(new int[] {2, 6, 12, 2, 10, 11, 1, 1, 3, 1, 0})); // stride 3, groups, batch
    org.junit.jupiter.api.Assertions.assertTrue(
        GatherConv.plan(geometry(downsample), kern, 1).pointwise(),
        "a strided 1x1 conv runs pointwise on its subsampled input");
    for (int t = 0; t < 60; t++) {
      int group = 1 + r.nextInt(3);
      int c = group * (1 + r.nextInt(4));
      int m = group * (1 + r.nextInt(12));
      int h = 1 + r.nextInt(14);
      int w = 1 + r.nextInt(14);
      int kh = 1 + r.nextInt(3);
      int kw = 1 + r.nextInt(3);
      int s = 1 + r.nextInt(3);
      int d = 1 + r.nextInt(2);
      int p = r.nextInt(3);
      if (h + 2 * p < (kh - 1) * d + 1 || w + 2 * p < (kw - 1) * d + 1) {
        continue;
      }
      gs.add(geometry(new int[] {1 + r.nextInt(2), c, m, group, h, w, kh, kw, s, d, p}));
    }
    int pointwise = 0;
    for (ConvGeometry g : gs) {
      float[] x = random(r, g.n * g.c * g.inPlane());
      float[] w = random(r, g.m * (g.c / g.group) * g.kernelSize());
      float[] b = random(r, g.m);
      int ySize = g.n * g.m * g.outPlane();
      float[] ref = new float[ySize];
      Conv.reference(ref, 0, x, 0, w, 0, b, 0, g);
      float[] pw = new float[Conv.packedWeightSize(g, kern.mr())];
      Conv.packWeights(pw, w, 0, g, kern.mr());
      float[] add = random(r, ySize);
      for (int variant = 0; variant < 5; variant++) { // 4: the residual added in place
        int threads = variant == 3 ? 2 : 1;
        GatherConv gc = GatherConv.plan(g, kern, threads);
        if (gc.pointwise()) {
          pointwise++;
        }
        float[] scratch = new float[5 + gc.scratchStride(threads) * threads]; // region at 5
        java.util.Arrays.fill(scratch, Float.NaN); // stale scratch must not leak into outputs
        float[] got = new float[ySize + 3];
        java.util.Arrays.fill(got, Float.NaN);
        if (variant == 4) { // y starts as the addend and is read as it (the planner's in-place)
          System.arraycopy(add, 0, got, 3, ySize);
        }
        Epilogue epi =
            variant == 0
                ? null
                : variant == 2
                    ? (y, off, len) -> {
                      for (int i = off; i < off + len; i++) {
                        y[i] = Math.min(Math.max(y[i], 0f), 0.5f);
                      }
                    }
                    : Epilogue.clamp(0f, 0.5f);
        boolean residual = variant >= 2;
        float[] want = new float[ySize];
        for (int i = 0; i < ySize; i++) {
          float v = ref[i] + (residual ? add[i] : 0f);
          want[i] = variant == 0 ? v : Math.min(Math.max(v, 0f), 0.5f);
        }
        // with slack after the input, a pointwise edge tile may read past its plane in place
        float[] xs = variant % 2 == 0 ? x : java.util.Arrays.copyOf(x, x.length + 37);
        for (int n = 0; n < g.n; n++) {
          int units = gc.padUnits();
          int cut = r.nextInt(units + 1);
          gc.pad(scratch, 5, xs, 0, n, 0, cut);
          gc.pad(scratch, 5, xs, 0, n, cut, units);
          int jobs = gc.jobs();
          int split = threads == 1 ? jobs : r.nextInt(jobs + 1);
          for (int wk = 0; wk < threads; wk++) {
            gc.run(
                kern,
                got,
                3,
                xs,
                0,
                pw,
                b,
                0,
                variant == 4 ? got : residual ? add : null,
                variant == 4 ? 3 : 0,
                epi,
                scratch,
                5,
                wk,
                n,
                wk == 0 ? 0 : split,
                wk == 0 ? split : jobs);
          }
        }
        assertClose(
            want,
            java.util.Arrays.copyOfRange(got, 3, ySize + 3),
            ySize,
            kern.name() + " gather variant " + variant + " " + describe(g));
      }
    }
    org.junit.jupiter.api.Assertions.assertTrue(pointwise > 8, "pointwise runs: " + pointwise);
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

  /** Few column blocks: just enough row chunks to split evenly over the threads. */
  @org.junit.jupiter.api.Test
  void rowChunksSplitSmallPlanesEvenly() {
    ConvGeometry late = geometry(new int[] {1, 256, 512, 1, 14, 14, 3, 3, 2, 1, 1}); // 7x7 out
    org.junit.jupiter.api.Assertions.assertEquals(1, Conv.rowChunks(late, 8, 1));
    org.junit.jupiter.api.Assertions.assertEquals(2, Conv.rowChunks(late, 8, 2));
    org.junit.jupiter.api.Assertions.assertEquals(4, Conv.rowChunks(late, 8, 4));
    ConvGeometry mid = geometry(new int[] {1, 64, 128, 1, 56, 56, 3, 3, 2, 1, 1}); // 4 blocks
    org.junit.jupiter.api.Assertions.assertEquals(1, Conv.rowChunks(mid, 8, 2));
    ConvGeometry three = geometry(new int[] {1, 8, 64, 1, 24, 24, 3, 3, 1, 1, 1}); // 3 blocks
    int chunks = Conv.rowChunks(three, 8, 2);
    org.junit.jupiter.api.Assertions.assertEquals(0, Conv.gemmJobs(three, chunks) % 2);
  }
}
