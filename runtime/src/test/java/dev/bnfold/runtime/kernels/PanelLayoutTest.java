package dev.bnfold.runtime.kernels;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * {@link PanelLayout} is the one definition of the weight panels: it must produce exactly what the
 * GEMM paths pack at load ({@link Conv#packWeights}, {@link Gemm#packB}) for every panel width in
 * use, and {@link PanelLayout#unpack} must invert it.
 */
class PanelLayoutTest {
  @ParameterizedTest(name = "mr {0}")
  @ValueSource(ints = {1, 3, 4, 8})
  void rowsMatchesConvPackWeights(int mr) {
    Random r = new Random(mr);
    int[][] cases = { // m, c, group, kh, kw
      {1, 1, 1, 1, 1},
      {4, 3, 1, 3, 3},
      {7, 5, 1, 1, 1},
      {16, 8, 2, 3, 3},
      {12, 12, 3, 1, 3},
      {9, 6, 3, 2, 2},
      {33, 16, 1, 3, 3}
    };
    for (int[] t : cases) {
      int m = t[0];
      int c = t[1];
      int g = t[2];
      int[] k = {1, t[3], t[4]};
      ConvGeometry geo =
          new ConvGeometry(
              1,
              c,
              m,
              g,
              new int[] {1, 8, 8},
              new int[] {1, 8, 8},
              k,
              new int[] {1, 1, 1},
              new int[] {1, 1, 1},
              new int[3]);
      long[] shape = {m, c / g, t[3], t[4]};
      float[] w = KernelTestSupport.random(r, m * (c / g) * t[3] * t[4]);
      float[] expect = new float[Conv.packedWeightSize(geo, mr)];
      Conv.packWeights(expect, w, 0, geo, mr);
      PanelLayout layout = PanelLayout.rows(g, mr);
      assertNull(layout.misfit(shape));
      assertEquals(expect.length, layout.packedSize(shape), Arrays.toString(t));
      float[] got = new float[expect.length];
      Arrays.fill(got, Float.NaN); // padding must be written, not left over
      layout.pack(got, w, shape);
      assertArrayEquals(expect, got, Arrays.toString(t));
      float[] back = new float[w.length];
      layout.unpack(back, got, shape);
      assertArrayEquals(w, back, Arrays.toString(t));
    }
  }

  @ParameterizedTest(name = "nr {0}")
  @ValueSource(ints = {1, 5, 8, 16, 32})
  void rowsAndTransposedRowsMatchGemmPackB(int nr) {
    Random r = new Random(nr);
    int[][] cases = {{1, 1}, {3, 7}, {16, 32}, {10, 33}, {64, 5}, {0, 4}, {4, 0}};
    for (int[] t : cases) {
      int k = t[0];
      int n = t[1];
      for (boolean transB : new boolean[] {false, true}) {
        long[] shape = transB ? new long[] {n, k} : new long[] {k, n};
        float[] b = KernelTestSupport.random(r, k * n);
        float[] expect = new float[Gemm.packedBSize(k, n, nr)];
        Gemm.packB(expect, 0, b, 0, (int) shape[1], transB, k, n, nr);
        PanelLayout layout = transB ? PanelLayout.rows(1, nr) : PanelLayout.transposedRows(nr);
        String what = Arrays.toString(t) + " transB " + transB;
        assertEquals(expect.length, layout.packedSize(shape), what);
        float[] got = new float[expect.length];
        Arrays.fill(got, Float.NaN);
        layout.pack(got, b, shape);
        assertArrayEquals(expect, got, what);
        float[] back = new float[b.length];
        layout.unpack(back, got, shape);
        assertArrayEquals(b, back, what);
      }
    }
  }

  @Test
  void rank1AndRank5TensorsRoundTrip() {
    Random r = new Random(5);
    for (long[] shape : new long[][] {{13}, {6, 2, 1, 3, 2}, {0, 3}, {3, 0, 2}}) {
      PanelLayout layout = PanelLayout.rows(shape[0] % 3 == 0 && shape[0] > 0 ? 3 : 1, 4);
      int n = (int) Arrays.stream(shape).reduce(1, (a, b) -> a * b);
      float[] t = KernelTestSupport.random(r, n);
      float[] packed = new float[(int) layout.packedSize(shape)];
      layout.pack(packed, t, shape);
      float[] back = new float[n];
      layout.unpack(back, packed, shape);
      assertArrayEquals(t, back, Arrays.toString(shape));
    }
  }

  @Test
  void repackEqualsUnpackThenPack() {
    Random r = new Random(11);
    long[][] shapes = {{8, 3, 3, 3}, {13, 5}, {6, 4, 1, 1}, {1, 7}, {0, 4}, {12, 2}};
    int[] widths = {1, 3, 4, 8, 16};
    for (long[] shape : shapes) {
      int n = (int) Arrays.stream(shape).reduce(1, (a, b) -> a * b);
      float[] t = KernelTestSupport.random(r, n);
      List<PanelLayout> layouts = new ArrayList<>();
      for (int w : widths) {
        layouts.add(PanelLayout.rows(1, w));
        if (shape[0] % 2 == 0) {
          layouts.add(PanelLayout.rows(2, w));
        }
        if (shape.length == 2) {
          layouts.add(PanelLayout.transposedRows(w));
        }
      }
      for (PanelLayout from : layouts) {
        float[] src = new float[(int) from.packedSize(shape)];
        from.pack(src, t, shape);
        for (PanelLayout to : layouts) {
          float[] expect = new float[(int) to.packedSize(shape)];
          to.pack(expect, t, shape);
          float[] got = new float[expect.length];
          Arrays.fill(got, Float.NaN);
          from.repack(got, to, src, shape);
          assertArrayEquals(expect, got, Arrays.toString(shape) + " " + from + " -> " + to);
        }
      }
    }
  }

  @Test
  void misfitsAndBadFieldsAreNamed() {
    assertNotNull(PanelLayout.rows(3, 4).misfit(new long[] {4, 2}));
    assertNotNull(PanelLayout.transposedRows(4).misfit(new long[] {4, 2, 1}));
    assertNotNull(PanelLayout.rows(1, 4).misfit(new long[0]));
    assertNull(PanelLayout.of(0, 4, false));
    assertNull(PanelLayout.of(1, 0, false));
    assertNull(PanelLayout.of(1, PanelLayout.MAX_WIDTH + 1, false));
    assertNull(PanelLayout.of(2, 4, true));
    assertNull(PanelLayout.of(1L << 32, 4, false));
    assertEquals(PanelLayout.rows(2, 8), PanelLayout.of(2, 8, false));
    assertEquals(PanelLayout.transposedRows(8), PanelLayout.of(1, 8, true));
    assertThrows(IllegalArgumentException.class, () -> PanelLayout.rows(1, 0));
  }
}
