package dev.bnfold.runtime.kernels;

import static dev.bnfold.runtime.kernels.KernelTestSupport.assertClose;
import static dev.bnfold.runtime.kernels.KernelTestSupport.random;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
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
 * Every {@link DepthwiseKernel} through {@link Depthwise#run} against {@link Conv#reference}, on
 * named edge cases and random geometries, with and without bias, with a clamp epilogue (fused into
 * the kernel) and a general one (applied per plane), split into plane ranges over stale scratch.
 */
class DepthwiseTest {
  /** Named geometries: n, c, multiplier, h, w, kh, kw, stride, dilation, pad. */
  private static final int[][] CASES = {
    {1, 6, 1, 7, 7, 3, 3, 1, 1, 1}, // 3x3 same
    {1, 6, 1, 8, 8, 3, 3, 2, 1, 1}, // 3x3 stride 2, even size
    {2, 4, 1, 11, 10, 3, 3, 2, 1, 1}, // stride 2, odd and even sizes, batch 2
    {1, 3, 1, 12, 37, 3, 3, 2, 1, 0}, // stride 2, no padding
    {1, 4, 1, 56, 56, 3, 3, 1, 1, 1}, // MobileNetV2 rows: 4-vector blocks, last one overlapping
    {1, 2, 1, 112, 112, 3, 3, 2, 1, 1}, // MobileNetV2 stride 2: vector even/odd split
    {1, 4, 1, 14, 14, 5, 5, 1, 1, 2}, // EfficientNet 5x5
    {1, 3, 1, 28, 28, 5, 5, 2, 1, 2}, // 5x5 stride 2
    {1, 3, 1, 7, 7, 5, 5, 1, 1, 2}, // 5x5 on 7x7: more padding than data per row
    {1, 3, 1, 9, 9, 7, 7, 1, 1, 3}, // 7x7
    {1, 3, 1, 15, 15, 7, 7, 2, 1, 3},
    {1, 4, 2, 5, 5, 5, 5, 1, 1, 2}, // multiplier 2: planes share the padded copy
    {1, 2, 3, 9, 40, 3, 3, 2, 1, 1}, // multiplier 3 at stride 2
    {1, 5, 1, 9, 13, 3, 3, 1, 1, 0}, // no padding: interior only
    {1, 5, 1, 2, 2, 3, 3, 1, 1, 1}, // 2x2 plane, all border
    {1, 5, 1, 1, 1, 3, 3, 1, 1, 1}, // 1x1 plane
    {1, 5, 1, 1, 1, 5, 5, 2, 1, 2}, // 1x1 plane, 5x5 stride 2
    {1, 3, 1, 6, 6, 3, 3, 1, 1, 2}, // pad 2: border rows read nothing
    {1, 3, 1, 7, 7, 3, 3, 3, 1, 1}, // stride 3: nine phase sub-planes
    {1, 3, 1, 9, 9, 3, 3, 1, 2, 2}, // dilation 2
    {1, 3, 1, 20, 23, 3, 3, 2, 2, 2}, // dilation 2, stride 2: taps in both column phases
    {1, 3, 1, 13, 13, 5, 5, 1, 3, 6}, // dilation 3
    {1, 3, 1, 9, 11, 1, 3, 1, 1, 1}, // 1x3
    {1, 3, 1, 4, 3, 3, 3, 1, 1, 1}, // flat run shorter than a vector
    {1, 2, 1, 7, 64, 1, 1, 2, 1, 0}, // 1x1 stride 2: pitch == ow, written in place
    {1, 2, 1, 9, 140, 3, 3, 2, 1, 1}, // wide rows (pitch > 64): padding zeroed row by row
    {1, 2, 1, 6, 80, 5, 5, 1, 1, 2},
    {1, 37, 1, 14, 14, 3, 3, 2, 1, 1}, // interleaved: two full channel blocks and a partial one
    {2, 20, 1, 7, 7, 5, 5, 1, 1, 2}, // a block crossing the image boundary is cut there
    {1, 18, 1, 3, 2, 3, 3, 1, 1, 1}, // rows narrower than four pixels
    {1, 17, 1, 40, 33, 3, 3, 1, 1, 1}, // interleaved bands of output rows
    {1, 9, 2, 9, 9, 3, 3, 2, 1, 1}, // multiplier 2: lanes read shared input channels
    {1, 5, 1, 9, 9, 5, 5, 1, 1, 2}, // rows5x5 narrower than a vector: spills into the next plane
    {1, 3, 1, 3, 12, 5, 5, 1, 1, 2}, // rows5x5 on three rows
    {1, 3, 1, 12, 37, 5, 5, 1, 1, 2}, // rows5x5 over three column vectors, the last overlapping
    {1, 3, 1, 40, 40, 3, 3, 2, 1, 1}, // stride2: rows of 20 outputs, the last vector overlapping
    {2, 3, 2, 33, 64, 5, 5, 2, 1, 2}, // stride2 5x5, odd input rows, multiplier 2, batch 2
    {1, 2, 1, 35, 32, 3, 3, 2, 1, 1}, // stride2 with exactly one vector of outputs per row
  };

  static Stream<DepthwiseKernel> kernels() {
    List<DepthwiseKernel> ks = new ArrayList<>();
    ks.add(Kernels.scalarDepthwise());
    if (Kernels.vectorDepthwise() != null) {
      ks.add(Kernels.vectorDepthwise());
    }
    return ks.stream();
  }

  /** A kernel and the lanes it is planned with (0: the planar path). */
  static Stream<Arguments> paths() {
    List<Arguments> ps = new ArrayList<>();
    ps.add(Arguments.of(Kernels.scalarDepthwise(), 0));
    // the interface's plain-Java interleaved reference, with block widths that divide nothing
    ps.add(Arguments.of(new ReferenceInterleaved(3), 3));
    ps.add(Arguments.of(new ReferenceInterleaved(8), 8));
    DepthwiseKernel v = Kernels.vectorDepthwise();
    if (v != null) {
      ps.add(Arguments.of(v, 0));
      ps.add(Arguments.of(v, v.lanes()));
    }
    return ps.stream();
  }

  /** The scalar planar kernel with the default (reference) interleaved methods for L lanes. */
  private static final class ReferenceInterleaved implements DepthwiseKernel {
    private final int lanes;

    ReferenceInterleaved(int lanes) {
      this.lanes = lanes;
    }

    @Override
    public String name() {
      return "reference-interleaved-" + lanes;
    }

    @Override
    public int lanes() {
      return lanes;
    }

    @Override
    public void taps(
        float[] y,
        int yOff,
        int n,
        float[] p,
        int pOff,
        int[] taps,
        float[] w,
        int wOff,
        float bias,
        float lo,
        float hi) {
      ScalarDepthwiseKernel.tapsScalar(y, yOff, n, p, pOff, taps, w, wOff, bias, lo, hi);
    }

    @Override
    public void split2(float[] dst, int even, int odd, float[] x, int xOff, int n) {
      ScalarDepthwiseKernel.split2Scalar(dst, even, odd, x, xOff, n);
    }

    @Override
    public String toString() {
      return name();
    }
  }

  @ParameterizedTest(name = "{0} lanes {1}")
  @MethodSource("paths")
  void matchesReference(DepthwiseKernel kernel, int lanes) {
    Random r = new Random(11);
    List<ConvGeometry> gs = new ArrayList<>();
    for (int[] c : CASES) {
      gs.add(geometry(c));
    }
    int[] kernelSizes = {3, 5, 7, 1 + r.nextInt(7)};
    while (gs.size() < CASES.length + 80) {
      int k = kernelSizes[r.nextInt(4)];
      int kw = r.nextInt(6) == 0 ? 1 + r.nextInt(7) : k;
      int s = r.nextInt(6) == 0 ? 3 : 1 + r.nextInt(2);
      int d = r.nextInt(5) == 0 ? 2 : 1;
      int p = r.nextInt(k / 2 + 1);
      int h = 1 + r.nextInt(r.nextBoolean() ? 9 : 40);
      int w = 1 + r.nextInt(r.nextBoolean() ? 9 : 70);
      if (h + 2 * p < (k - 1) * d + 1 || w + 2 * p < (kw - 1) * d + 1) {
        continue;
      }
      int c = 2 + r.nextInt(r.nextBoolean() ? 4 : 40); // fewer and more channels than a block
      int mult = r.nextInt(4) == 0 ? 2 + r.nextInt(2) : 1;
      gs.add(geometry(new int[] {1 + r.nextInt(2), c, mult, h, w, k, kw, s, d, p}));
    }
    gs.add(asymmetric());
    for (ConvGeometry g : gs) {
      assertTrue(Depthwise.isDepthwise(g), describe(g));
      Depthwise dw = Depthwise.plan(g, lanes);
      assertEquals(lanes, dw.lanes());
      float[] x = random(r, g.n * g.c * g.inPlane());
      float[] w = random(r, g.m * g.kernelSize());
      float[] b = r.nextBoolean() ? random(r, g.m) : null;
      int ySize = g.n * g.m * g.outPlane();
      float[] ref = new float[ySize];
      Conv.reference(ref, 0, x, 0, w, 0, b, 0, g);
      float[] clamped = ref.clone();
      float[] swished = ref.clone();
      for (int i = 0; i < ySize; i++) {
        clamped[i] = Math.min(Math.max(ref[i], -0.25f), 0.5f);
        swished[i] = hardSwish(ref[i]);
      }
      Epilogue swish =
          (y, off, len) -> {
            for (int i = off; i < off + len; i++) {
              y[i] = hardSwish(y[i]);
            }
          };
      Epilogue[] epilogues = {null, Epilogue.clamp(-0.25f, 0.5f), swish};
      float[][] expected = {ref, clamped, swished};
      int planes = g.n * g.m;
      for (int e = 0; e < 3; e++) {
        // two workers' plane ranges, each with its own region of stale scratch
        int stride = dw.scratchSize() + 3;
        float[] scratch = new float[5 + 2 * stride];
        Arrays.fill(scratch, Float.NaN);
        float[] got = new float[ySize + 4];
        Arrays.fill(got, Float.NaN);
        // x and w at offsets too, as in a frame's arena
        float[] xo = shifted(x, 3);
        float[] wo = shifted(w, 2);
        float[] bo = b == null ? null : shifted(b, 1);
        if (e == 1) { // as ConvOp runs it: split by jobs
          int jobs = dw.jobs();
          int split = r.nextInt(jobs + 1);
          dw.runJobs(kernel, got, 4, xo, 3, wo, 2, bo, 1, epilogues[e], scratch, 5, 0, split);
          dw.runJobs(
              kernel, got, 4, xo, 3, wo, 2, bo, 1, epilogues[e], scratch, 5 + stride, split, jobs);
        } else { // split anywhere, cutting channel blocks
          int split = r.nextInt(planes + 1);
          dw.run(kernel, got, 4, xo, 3, wo, 2, bo, 1, epilogues[e], scratch, 5, 0, split);
          for (int i = 4 + split * g.outPlane(); i < got.length; i++) {
            assertTrue(Float.isNaN(got[i]), "wrote beyond its planes: " + describe(g));
          }
          dw.run(
              kernel,
              got,
              4,
              xo,
              3,
              wo,
              2,
              bo,
              1,
              epilogues[e],
              scratch,
              5 + stride,
              split,
              planes);
        }
        assertClose(
            expected[e],
            Arrays.copyOfRange(got, 4, 4 + ySize),
            ySize,
            kernel.name() + " epilogue " + e + " bias " + (b != null) + " " + describe(g));
      }
    }
  }

  /** Both kernels' row-wise 3x3 (the vector one and the default) against its formula. */
  @ParameterizedTest(name = "{0}")
  @MethodSource("kernels")
  void rows3x3MatchesItsFormula(DepthwiseKernel kernel) {
    Random r = new Random(13);
    for (int rows = 1; rows <= 5; rows++) {
      for (int cols = 1; cols <= 40; cols += 1 + r.nextInt(3)) {
        int pPitch = cols + 2 + r.nextInt(3);
        int yPitch = cols + r.nextInt(3);
        float[] p = random(r, 3 + (rows + 2) * pPitch + 64);
        float[] w = random(r, 11);
        float[] y = new float[2 + rows * yPitch + 64];
        Arrays.fill(y, Float.NaN);
        kernel.rows3x3(y, 2, yPitch, rows, cols, p, 3, pPitch, w, 2, 0.25f, -0.5f, 0.75f);
        boolean exact = cols >= kernel.lanes(); // narrower rows may be computed a vector wide
        for (int i = 0; i < rows; i++) {
          for (int j = 0; j < yPitch; j++) {
            String at = kernel.name() + " " + rows + "x" + cols + " at " + i + "," + j;
            if (j >= cols) {
              assertTrue(!exact || Float.isNaN(y[2 + i * yPitch + j]), "wrote outside: " + at);
              continue;
            }
            double s = 0.25;
            for (int kh = 0; kh < 3; kh++) {
              for (int kw = 0; kw < 3; kw++) {
                s += w[2 + 3 * kh + kw] * p[3 + (i + kh) * pPitch + j + kw];
              }
            }
            assertEquals(Math.min(Math.max(s, -0.5), 0.75), y[2 + i * yPitch + j], 1e-5, at);
          }
        }
      }
    }
  }

  /**
   * Both kernels' row-wise 5x5 against its formula; a kernel may write past a row narrower than its
   * vectors (into the following rows, rewritten later, and past the last row).
   */
  @ParameterizedTest(name = "{0}")
  @MethodSource("kernels")
  void rows5x5MatchesItsFormula(DepthwiseKernel kernel) {
    Random r = new Random(14);
    int slack = 64;
    for (int rows = 1; rows <= 9; rows++) {
      for (int cols = 1; cols <= 40; cols += 1 + r.nextInt(3)) {
        int pPitch = cols + 4 + r.nextInt(3);
        int yPitch = cols + r.nextInt(3);
        float[] p = random(r, 3 + (rows + 4) * pPitch + slack);
        float[] w = random(r, 27);
        float[] y = new float[2 + rows * yPitch + slack];
        Arrays.fill(y, Float.NaN);
        kernel.rows5x5(y, 2, yPitch, rows, cols, p, 3, pPitch, w, 2, 0.25f, -0.5f, 0.75f);
        boolean exact = cols >= kernel.lanes();
        for (int i = 0; i < rows; i++) {
          for (int j = 0; j < yPitch; j++) {
            String at = kernel.name() + " " + rows + "x" + cols + " at " + i + "," + j;
            if (j >= cols) {
              assertTrue(!exact || Float.isNaN(y[2 + i * yPitch + j]), "wrote outside: " + at);
              continue;
            }
            double s = 0.25;
            for (int kh = 0; kh < 5; kh++) {
              for (int kw = 0; kw < 5; kw++) {
                s += w[2 + 5 * kh + kw] * p[3 + (i + kh) * pPitch + j + kw];
              }
            }
            assertEquals(Math.min(Math.max(s, -0.5), 0.75), y[2 + i * yPitch + j], 1e-5, at);
          }
        }
        assertTrue(Float.isNaN(y[0]) && Float.isNaN(y[1]), "wrote before the plane");
      }
    }
  }

  /** Both kernels' stride-2 rows against the formula, 3x3 and 5x5, over stale scratch. */
  @ParameterizedTest(name = "{0}")
  @MethodSource("kernels")
  void stride2MatchesItsFormula(DepthwiseKernel kernel) {
    Random r = new Random(15);
    for (int k = 3; k <= 5; k += 2) {
      int pad = (k - 1) / 2;
      for (int cols = 1; cols <= 50; cols += 1 + r.nextInt(4)) {
        int inRows = 1 + r.nextInt(12);
        int rows = (inRows + 2 * pad - k) / 2 + 1;
        if (rows < 1) {
          continue;
        }
        float[] x = random(r, 5 + inRows * 2 * cols);
        float[] w = random(r, 3 + k * k);
        float[] y = new float[4 + rows * cols + 2];
        Arrays.fill(y, Float.NaN);
        float[] tmp = new float[7 + kernel.stride2Scratch(k, cols)];
        Arrays.fill(tmp, Float.NaN);
        kernel.stride2(y, 4, rows, cols, x, 5, inRows, k, w, 3, 0.25f, -0.5f, 0.75f, tmp, 7);
        for (int i = 0; i < rows; i++) {
          for (int j = 0; j < cols; j++) {
            double s = 0.25;
            for (int kh = 0; kh < k; kh++) {
              for (int kw = 0; kw < k; kw++) {
                int ih = 2 * i + kh - pad;
                int iw = 2 * j + kw - pad;
                if (ih >= 0 && ih < inRows && iw >= 0 && iw < 2 * cols) {
                  s += w[3 + k * kh + kw] * x[5 + ih * 2 * cols + iw];
                }
              }
            }
            String at = kernel.name() + " k" + k + " " + rows + "x" + cols + " at " + i + "," + j;
            assertEquals(Math.min(Math.max(s, -0.5), 0.75), y[4 + i * cols + j], 1e-5, at);
          }
        }
        assertTrue(Float.isNaN(y[3]) && Float.isNaN(y[4 + rows * cols]), "wrote outside");
      }
    }
  }

  /** Both kernels' even/odd split, over lengths around the vector width and odd offsets. */
  @ParameterizedTest(name = "{0}")
  @MethodSource("kernels")
  void split2Deinterleaves(DepthwiseKernel kernel) {
    Random r = new Random(12);
    for (int n = 0; n < 70; n++) {
      float[] x = random(r, 2 * n + 7);
      float[] dst = new float[2 * n + 9];
      Arrays.fill(dst, Float.NaN);
      kernel.split2(dst, 1, 2 + n, x, 5, n);
      for (int i = 0; i < n; i++) {
        assertEquals(x[5 + 2 * i], dst[1 + i], kernel.name() + " even " + i + " of " + n);
        assertEquals(x[6 + 2 * i], dst[2 + n + i], kernel.name() + " odd " + i + " of " + n);
      }
      assertTrue(Float.isNaN(dst[0]) && Float.isNaN(dst[2 + 2 * n]), "wrote outside, n=" + n);
    }
  }

  /**
   * Both kernels' masked copy: the positions whose column is in [lo, hi) get the source, the others
   * exactly 0 even where the source is NaN or infinite (a blend, not a multiply by a 0/1 mask);
   * nothing is written outside the run, over lengths around the vector width.
   */
  @ParameterizedTest(name = "{0}")
  @MethodSource("kernels")
  void copyMaskedZeroesTheColumnsOutsideTheWindow(DepthwiseKernel kernel) {
    Random r = new Random(13);
    for (int n = 0; n < 70; n++) {
      int width = 1 + r.nextInt(9);
      float[] col = new float[n];
      for (int i = 0; i < n; i++) {
        col[i] = i % width;
      }
      float[] x = random(r, n + 3);
      for (int i = 0; i < x.length; i += 4) {
        x[i] = i % 8 == 0 ? Float.NaN : Float.POSITIVE_INFINITY;
      }
      float lo = r.nextInt(3) - 1;
      float hi = width + r.nextInt(3) - 1;
      float[] dst = new float[n + 4];
      Arrays.fill(dst, -7f);
      kernel.copyMasked(dst, 2, x, 3, col, n, lo, hi);
      for (int i = 0; i < n; i++) {
        float want = col[i] >= lo && col[i] < hi ? x[3 + i] : 0f;
        assertEquals(want, dst[2 + i], kernel.name() + " position " + i + " of " + n);
      }
      assertTrue(dst[0] == -7f && dst[1] == -7f && dst[n + 2] == -7f, "wrote outside, n=" + n);
    }
  }

  @Test
  void plansThePathTheKernelCanRun() {
    ConvGeometry large = geometry(new int[] {1, 144, 1, 56, 56, 3, 3, 1, 1, 1});
    ConvGeometry strided = geometry(new int[] {1, 144, 1, 56, 56, 3, 3, 2, 1, 1});
    ConvGeometry small = geometry(new int[] {1, 960, 1, 7, 7, 3, 3, 1, 1, 1});
    ConvGeometry wide = geometry(new int[] {1, 4, 40, 7, 7, 3, 3, 1, 1, 1}); // multiplier 40
    for (ConvGeometry g : List.of(large, strided, small, wide)) {
      assertEquals(0, Depthwise.plan(g, Kernels.scalarDepthwise()).lanes(), describe(g));
      assertEquals(0, Depthwise.plan(g).lanes(), describe(g));
    }
    assertEquals(0, Depthwise.plan(large, new ReferenceInterleaved(16)).lanes());
    assertEquals(16, Depthwise.plan(strided, new ReferenceInterleaved(16)).lanes());
    assertEquals(16, Depthwise.plan(small, new ReferenceInterleaved(16)).lanes());
    assertEquals(0, Depthwise.plan(wide, new ReferenceInterleaved(16)).lanes());
  }

  @Test
  void interleavedPlanRefusesAKernelOfOtherLanes() {
    ConvGeometry g = geometry(new int[] {1, 4, 1, 5, 5, 3, 3, 1, 1, 1});
    Depthwise dw = Depthwise.plan(g, 3);
    float[] y = new float[g.m * g.outPlane()];
    float[] x = new float[g.c * g.inPlane()];
    float[] w = new float[g.m * g.kernelSize()];
    float[] scratch = new float[dw.scratchSize()];
    assertThrows(
        IllegalArgumentException.class,
        () ->
            dw.run(
                new ReferenceInterleaved(4), y, 0, x, 0, w, 0, null, 0, null, scratch, 0, 0, g.m));
  }

  @Test
  void declinesWhatIsNotDepthwise() {
    ConvGeometry depthwise = geometry(new int[] {1, 4, 1, 5, 5, 3, 3, 1, 1, 1});
    ConvGeometry grouped =
        new ConvGeometry(
            1,
            8,
            8,
            4,
            depthwise.in,
            depthwise.out,
            depthwise.k,
            depthwise.stride,
            depthwise.dilation,
            depthwise.padBegin);
    ConvGeometry single =
        new ConvGeometry(
            1,
            1,
            1,
            1,
            depthwise.in,
            depthwise.out,
            depthwise.k,
            depthwise.stride,
            depthwise.dilation,
            depthwise.padBegin);
    assertTrue(Depthwise.isDepthwise(depthwise));
    assertFalse(Depthwise.isDepthwise(grouped));
    assertFalse(Depthwise.isDepthwise(single));
  }

  /** Pads 1 at the start, 0 at the end (the output size implies the end padding). */
  private static ConvGeometry asymmetric() {
    return new ConvGeometry(
        1,
        3,
        3,
        3,
        new int[] {1, 10, 10},
        new int[] {1, 5, 5},
        new int[] {1, 3, 3},
        new int[] {1, 2, 2},
        new int[] {1, 1, 1},
        new int[] {0, 1, 1});
  }

  private static float hardSwish(float v) {
    return v * Math.max(0f, Math.min(1f, v / 6f + 0.5f));
  }

  private static float[] shifted(float[] a, int by) {
    float[] s = new float[a.length + by];
    Arrays.fill(s, Float.NaN);
    System.arraycopy(a, 0, s, by, a.length);
    return s;
  }

  private static ConvGeometry geometry(int[] c) {
    int n = c[0], ch = c[1], mult = c[2], h = c[3], w = c[4], kh = c[5], kw = c[6];
    int s = c[7], d = c[8], p = c[9];
    int oh = (h + 2 * p - (kh - 1) * d - 1) / s + 1;
    int ow = (w + 2 * p - (kw - 1) * d - 1) / s + 1;
    return new ConvGeometry(
        n,
        ch,
        ch * mult,
        ch,
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
        + " in="
        + g.in[1]
        + "x"
        + g.in[2]
        + " out="
        + g.out[1]
        + "x"
        + g.out[2]
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
