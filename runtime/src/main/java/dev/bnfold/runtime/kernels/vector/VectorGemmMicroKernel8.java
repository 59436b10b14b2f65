package dev.bnfold.runtime.kernels.vector;

import dev.bnfold.runtime.kernels.GemmMicroKernel;
import java.util.Arrays;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorSpecies;

/**
 * Vector API 8 x (2 vectors) micro-kernel for 32-register vector units (AVX-512): sixteen
 * accumulators of {@code FloatVector.SPECIES_PREFERRED} stay in registers, each k step loads two
 * vectors of B and broadcasts eight elements of A, so two loads and eight broadcasts feed sixteen
 * FMAs. Measured on ResNet-18's 3x3 64->64 block GEMM (64 x 256 x 576): about 190 GFLOP/s, some 80%
 * of the FMA peak, against about 155 for the 4-row kernel (see KernelBenchmark).
 *
 * <p>The accumulators start from C (zeroed first unless accumulating), so the vector code is one
 * load, one loop and one store per accumulator: a kernel with more call sites than that exceeds
 * C2's inlining budget on JDK 17 and its vectors get boxed. Edge tiles run the same code on a
 * thread-local (mr, nr) copy. Loaded only when the {@code jdk.incubator.vector} module is present
 * (see {@code Kernels}).
 */
public final class VectorGemmMicroKernel8 implements GemmMicroKernel {
  private static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;
  private static final int V = S.length();
  private static final int MR = 8;
  private static final int NR = 2 * V;
  // the upper half of a vector: two k steps of eight A rows side by side (tileNarrow)
  private static final VectorMask<Float> HIGH = VectorMask.fromLong(S, -1L << MR);
  private static final ThreadLocal<float[]> EDGE =
      ThreadLocal.withInitial(() -> new float[MR * NR]);

  /** Creates the kernel. */
  public VectorGemmMicroKernel8() {}

  @Override
  public int mr() {
    return MR;
  }

  @Override
  public int nr() {
    return NR;
  }

  @Override
  public String name() {
    return "vector-" + MR + "x" + NR;
  }

  @Override
  public void tile(
      float[] c,
      int cOff,
      int ldc,
      float[] a,
      int aOff,
      float[] b,
      int bOff,
      int kc,
      int m,
      int n,
      boolean accumulate) {
    if (m == MR && n == NR) {
      if (!accumulate) { // two vector stores a row: Arrays.fill on 32 floats cost a third of a
        // 64-deep tile (Winograd's GEMMs)
        FloatVector zero = FloatVector.zero(S);
        for (int r = 0; r < MR; r++) {
          zero.intoArray(c, cOff + r * ldc);
          zero.intoArray(c, cOff + r * ldc + V);
        }
      }
      full(c, cOff, ldc, a, aOff, b, bOff, kc);
      return;
    }
    float[] t = EDGE.get(); // (MR, NR)
    Arrays.fill(t, 0f);
    if (accumulate) {
      for (int r = 0; r < m; r++) {
        System.arraycopy(c, cOff + r * ldc, t, r * NR, n);
      }
    }
    full(t, 0, NR, a, aOff, b, bOff, kc);
    for (int r = 0; r < m; r++) {
      System.arraycopy(t, r * NR, c, cOff + r * ldc, n);
    }
  }

  @Override
  public void tileBias(
      float[] c,
      int cOff,
      int ldc,
      float[] a,
      int aOff,
      float[] b,
      int bOff,
      int kc,
      int m,
      int n,
      float[] bias,
      int biasOff) {
    if (m == MR && n == NR && bias != null) {
      fullBias(c, cOff, ldc, a, aOff, b, bOff, kc, bias, biasOff);
    } else {
      GemmMicroKernel.super.tileBias(c, cOff, ldc, a, aOff, b, bOff, kc, m, n, bias, biasOff);
    }
  }

  @Override
  public void row(float[] c, int cOff, float[] a, int aOff, float[] b, int bOff, int kc, int n) {
    if (n != NR) {
      GemmMicroKernel.super.row(c, cOff, a, aOff, b, bOff, kc, n);
      return;
    }
    // four k steps per iteration into separate accumulators: eight independent FMA chains
    FloatVector s0 = FloatVector.zero(S);
    FloatVector s1 = FloatVector.zero(S);
    FloatVector t0 = FloatVector.zero(S);
    FloatVector t1 = FloatVector.zero(S);
    FloatVector u0 = FloatVector.zero(S);
    FloatVector u1 = FloatVector.zero(S);
    FloatVector v0 = FloatVector.zero(S);
    FloatVector v1 = FloatVector.zero(S);
    int kk = 0;
    for (; kk + 3 < kc; kk += 4) {
      int bi = bOff + kk * NR;
      FloatVector a0 = FloatVector.broadcast(S, a[aOff + kk]);
      FloatVector a1 = FloatVector.broadcast(S, a[aOff + kk + 1]);
      FloatVector a2 = FloatVector.broadcast(S, a[aOff + kk + 2]);
      FloatVector a3 = FloatVector.broadcast(S, a[aOff + kk + 3]);
      s0 = a0.fma(FloatVector.fromArray(S, b, bi), s0);
      s1 = a0.fma(FloatVector.fromArray(S, b, bi + V), s1);
      t0 = a1.fma(FloatVector.fromArray(S, b, bi + NR), t0);
      t1 = a1.fma(FloatVector.fromArray(S, b, bi + NR + V), t1);
      u0 = a2.fma(FloatVector.fromArray(S, b, bi + 2 * NR), u0);
      u1 = a2.fma(FloatVector.fromArray(S, b, bi + 2 * NR + V), u1);
      v0 = a3.fma(FloatVector.fromArray(S, b, bi + 3 * NR), v0);
      v1 = a3.fma(FloatVector.fromArray(S, b, bi + 3 * NR + V), v1);
    }
    s0 = s0.add(u0);
    s1 = s1.add(u1);
    t0 = t0.add(v0);
    t1 = t1.add(v1);
    for (; kk + 1 < kc; kk += 2) {
      int bi = bOff + kk * NR;
      FloatVector a0 = FloatVector.broadcast(S, a[aOff + kk]);
      FloatVector a1 = FloatVector.broadcast(S, a[aOff + kk + 1]);
      s0 = a0.fma(FloatVector.fromArray(S, b, bi), s0);
      s1 = a0.fma(FloatVector.fromArray(S, b, bi + V), s1);
      t0 = a1.fma(FloatVector.fromArray(S, b, bi + NR), t0);
      t1 = a1.fma(FloatVector.fromArray(S, b, bi + NR + V), t1);
    }
    if (kk < kc) {
      int bi = bOff + kk * NR;
      FloatVector a0 = FloatVector.broadcast(S, a[aOff + kk]);
      s0 = a0.fma(FloatVector.fromArray(S, b, bi), s0);
      s1 = a0.fma(FloatVector.fromArray(S, b, bi + V), s1);
    }
    s0.add(t0).intoArray(c, cOff);
    s1.add(t1).intoArray(c, cOff + V);
  }

  @Override
  public void tileGather(
      float[] c,
      int cOff,
      int ldc,
      float[] a,
      int aOff,
      float[] p,
      int[] rows,
      int rOff,
      int pOff,
      int kc,
      int n,
      boolean accumulate) {
    if (!accumulate) {
      for (int r = 0; r < MR; r++) {
        Arrays.fill(c, cOff + r * ldc, cOff + r * ldc + NR, 0f);
      }
    }
    if (n <= V) {
      halfGather(c, cOff, ldc, a, aOff, p, rows, rOff, pOff, kc);
    } else {
      fullGather(c, cOff, ldc, a, aOff, p, rows, rOff, pOff, kc);
    }
  }

  @Override
  public void tileGatherBias(
      float[] c,
      int cOff,
      int ldc,
      float[] a,
      int aOff,
      float[] p,
      int[] rows,
      int rOff,
      int pOff,
      int kc,
      float[] bias,
      int biasOff,
      float lo,
      float hi) {
    if (bias == null) {
      GemmMicroKernel.super.tileGatherBias(
          c, cOff, ldc, a, aOff, p, rows, rOff, pOff, kc, null, 0, lo, hi);
    } else {
      fullGatherBias(c, cOff, ldc, a, aOff, p, rows, rOff, pOff, kc, bias, biasOff, lo, hi);
    }
  }

  @Override
  public void tileNarrow(
      float[] c,
      int cOff,
      int ldc,
      float[] a,
      int aOff,
      float[] p,
      int[] rows,
      int rOff,
      int pOff,
      int kc,
      int n) {
    if (V != 2 * MR) {
      GemmMicroKernel.super.tileNarrow(c, cOff, ldc, a, aOff, p, rows, rOff, pOff, kc, n);
      return;
    }
    // one vector is two k steps of the A panel (eight rows each), against the two B values
    // broadcast to its halves; two such pairs at a time into separate accumulators. (A narrower
    // species would be simpler, but a second vector width in the JVM made C2 box this kernel's
    // vectors on JDK 17.)
    float[] t = EDGE.get();
    for (int j = 0; j < n; j++) {
      int bj = pOff + j;
      FloatVector s0 = FloatVector.zero(S);
      FloatVector s1 = s0;
      int k = 0;
      for (; k + 3 < kc; k += 4) {
        int ai = aOff + k * MR;
        FloatVector b0 =
            FloatVector.broadcast(S, p[rows[rOff + k] + bj])
                .blend(FloatVector.broadcast(S, p[rows[rOff + k + 1] + bj]), HIGH);
        FloatVector b1 =
            FloatVector.broadcast(S, p[rows[rOff + k + 2] + bj])
                .blend(FloatVector.broadcast(S, p[rows[rOff + k + 3] + bj]), HIGH);
        s0 = FloatVector.fromArray(S, a, ai).fma(b0, s0);
        s1 = FloatVector.fromArray(S, a, ai + 2 * MR).fma(b1, s1);
      }
      s0.add(s1).intoArray(t, 0);
      for (int r = 0; r < MR; r++) {
        float sum = t[r] + t[r + MR];
        for (int kk = k; kk < kc; kk++) {
          sum += a[aOff + kk * MR + r] * p[rows[rOff + kk] + bj];
        }
        c[cOff + r * ldc + j] = sum;
      }
    }
  }

  @Override
  public boolean fastGather() {
    return true;
  }

  @Override
  public void clamp(float[] c, int cOff, int ldc, int m, int n, float lo, float hi) {
    FloatVector l = FloatVector.broadcast(S, lo);
    FloatVector h = FloatVector.broadcast(S, hi);
    int full = n / V * V;
    for (int r = 0; r < m; r++) {
      int o = cOff + r * ldc;
      for (int j = 0; j < full; j += V) {
        FloatVector v = FloatVector.fromArray(S, c, o + j);
        v.blend(l, v.lt(l)).blend(h, h.lt(v)).intoArray(c, o + j);
      }
      for (int j = full; j < n; j++) {
        c[o + j] = Math.min(Math.max(c[o + j], lo), hi);
      }
    }
  }

  /** C (MR, NR) at cOff, leading dim ldc, += A panel (kc, MR) * B panel (kc, NR). */
  private static void full(
      float[] c, int cOff, int ldc, float[] a, int aOff, float[] b, int bOff, int kc) {
    int c0 = cOff;
    FloatVector acc00 = FloatVector.fromArray(S, c, c0);
    FloatVector acc01 = FloatVector.fromArray(S, c, c0 + V);
    int c1 = cOff + 1 * ldc;
    FloatVector acc10 = FloatVector.fromArray(S, c, c1);
    FloatVector acc11 = FloatVector.fromArray(S, c, c1 + V);
    int c2 = cOff + 2 * ldc;
    FloatVector acc20 = FloatVector.fromArray(S, c, c2);
    FloatVector acc21 = FloatVector.fromArray(S, c, c2 + V);
    int c3 = cOff + 3 * ldc;
    FloatVector acc30 = FloatVector.fromArray(S, c, c3);
    FloatVector acc31 = FloatVector.fromArray(S, c, c3 + V);
    int c4 = cOff + 4 * ldc;
    FloatVector acc40 = FloatVector.fromArray(S, c, c4);
    FloatVector acc41 = FloatVector.fromArray(S, c, c4 + V);
    int c5 = cOff + 5 * ldc;
    FloatVector acc50 = FloatVector.fromArray(S, c, c5);
    FloatVector acc51 = FloatVector.fromArray(S, c, c5 + V);
    int c6 = cOff + 6 * ldc;
    FloatVector acc60 = FloatVector.fromArray(S, c, c6);
    FloatVector acc61 = FloatVector.fromArray(S, c, c6 + V);
    int c7 = cOff + 7 * ldc;
    FloatVector acc70 = FloatVector.fromArray(S, c, c7);
    FloatVector acc71 = FloatVector.fromArray(S, c, c7 + V);
    for (int k = 0; k < kc; k++) {
      int ai = aOff + k * MR; // indices derived from k keep C2's range-check elimination
      int bi = bOff + k * NR;
      FloatVector b0 = FloatVector.fromArray(S, b, bi);
      FloatVector b1 = FloatVector.fromArray(S, b, bi + V);
      FloatVector a0 = FloatVector.broadcast(S, a[ai + 0]);
      acc00 = a0.fma(b0, acc00);
      acc01 = a0.fma(b1, acc01);
      FloatVector a1 = FloatVector.broadcast(S, a[ai + 1]);
      acc10 = a1.fma(b0, acc10);
      acc11 = a1.fma(b1, acc11);
      FloatVector a2 = FloatVector.broadcast(S, a[ai + 2]);
      acc20 = a2.fma(b0, acc20);
      acc21 = a2.fma(b1, acc21);
      FloatVector a3 = FloatVector.broadcast(S, a[ai + 3]);
      acc30 = a3.fma(b0, acc30);
      acc31 = a3.fma(b1, acc31);
      FloatVector a4 = FloatVector.broadcast(S, a[ai + 4]);
      acc40 = a4.fma(b0, acc40);
      acc41 = a4.fma(b1, acc41);
      FloatVector a5 = FloatVector.broadcast(S, a[ai + 5]);
      acc50 = a5.fma(b0, acc50);
      acc51 = a5.fma(b1, acc51);
      FloatVector a6 = FloatVector.broadcast(S, a[ai + 6]);
      acc60 = a6.fma(b0, acc60);
      acc61 = a6.fma(b1, acc61);
      FloatVector a7 = FloatVector.broadcast(S, a[ai + 7]);
      acc70 = a7.fma(b0, acc70);
      acc71 = a7.fma(b1, acc71);
    }
    acc00.intoArray(c, c0);
    acc01.intoArray(c, c0 + V);
    acc10.intoArray(c, c1);
    acc11.intoArray(c, c1 + V);
    acc20.intoArray(c, c2);
    acc21.intoArray(c, c2 + V);
    acc30.intoArray(c, c3);
    acc31.intoArray(c, c3 + V);
    acc40.intoArray(c, c4);
    acc41.intoArray(c, c4 + V);
    acc50.intoArray(c, c5);
    acc51.intoArray(c, c5 + V);
    acc60.intoArray(c, c6);
    acc61.intoArray(c, c6 + V);
    acc70.intoArray(c, c7);
    acc71.intoArray(c, c7 + V);
  }

  /**
   * C (MR, NR) at cOff = bias (row r: {@code bias[biasOff + r]}) + A panel * B panel: the
   * accumulators start from the bias in registers, so C is neither filled nor read first.
   */
  private static void fullBias(
      float[] c,
      int cOff,
      int ldc,
      float[] a,
      int aOff,
      float[] b,
      int bOff,
      int kc,
      float[] bias,
      int biasOff) {
    int c0 = cOff;
    FloatVector acc00 = FloatVector.broadcast(S, bias[biasOff + 0]);
    FloatVector acc01 = acc00;
    int c1 = cOff + 1 * ldc;
    FloatVector acc10 = FloatVector.broadcast(S, bias[biasOff + 1]);
    FloatVector acc11 = acc10;
    int c2 = cOff + 2 * ldc;
    FloatVector acc20 = FloatVector.broadcast(S, bias[biasOff + 2]);
    FloatVector acc21 = acc20;
    int c3 = cOff + 3 * ldc;
    FloatVector acc30 = FloatVector.broadcast(S, bias[biasOff + 3]);
    FloatVector acc31 = acc30;
    int c4 = cOff + 4 * ldc;
    FloatVector acc40 = FloatVector.broadcast(S, bias[biasOff + 4]);
    FloatVector acc41 = acc40;
    int c5 = cOff + 5 * ldc;
    FloatVector acc50 = FloatVector.broadcast(S, bias[biasOff + 5]);
    FloatVector acc51 = acc50;
    int c6 = cOff + 6 * ldc;
    FloatVector acc60 = FloatVector.broadcast(S, bias[biasOff + 6]);
    FloatVector acc61 = acc60;
    int c7 = cOff + 7 * ldc;
    FloatVector acc70 = FloatVector.broadcast(S, bias[biasOff + 7]);
    FloatVector acc71 = acc70;
    for (int k = 0; k < kc; k++) {
      int ai = aOff + k * MR; // indices derived from k keep C2's range-check elimination
      int bi = bOff + k * NR;
      FloatVector b0 = FloatVector.fromArray(S, b, bi);
      FloatVector b1 = FloatVector.fromArray(S, b, bi + V);
      FloatVector a0 = FloatVector.broadcast(S, a[ai + 0]);
      acc00 = a0.fma(b0, acc00);
      acc01 = a0.fma(b1, acc01);
      FloatVector a1 = FloatVector.broadcast(S, a[ai + 1]);
      acc10 = a1.fma(b0, acc10);
      acc11 = a1.fma(b1, acc11);
      FloatVector a2 = FloatVector.broadcast(S, a[ai + 2]);
      acc20 = a2.fma(b0, acc20);
      acc21 = a2.fma(b1, acc21);
      FloatVector a3 = FloatVector.broadcast(S, a[ai + 3]);
      acc30 = a3.fma(b0, acc30);
      acc31 = a3.fma(b1, acc31);
      FloatVector a4 = FloatVector.broadcast(S, a[ai + 4]);
      acc40 = a4.fma(b0, acc40);
      acc41 = a4.fma(b1, acc41);
      FloatVector a5 = FloatVector.broadcast(S, a[ai + 5]);
      acc50 = a5.fma(b0, acc50);
      acc51 = a5.fma(b1, acc51);
      FloatVector a6 = FloatVector.broadcast(S, a[ai + 6]);
      acc60 = a6.fma(b0, acc60);
      acc61 = a6.fma(b1, acc61);
      FloatVector a7 = FloatVector.broadcast(S, a[ai + 7]);
      acc70 = a7.fma(b0, acc70);
      acc71 = a7.fma(b1, acc71);
    }
    acc00.intoArray(c, c0);
    acc01.intoArray(c, c0 + V);
    acc10.intoArray(c, c1);
    acc11.intoArray(c, c1 + V);
    acc20.intoArray(c, c2);
    acc21.intoArray(c, c2 + V);
    acc30.intoArray(c, c3);
    acc31.intoArray(c, c3 + V);
    acc40.intoArray(c, c4);
    acc41.intoArray(c, c4 + V);
    acc50.intoArray(c, c5);
    acc51.intoArray(c, c5 + V);
    acc60.intoArray(c, c6);
    acc61.intoArray(c, c6 + V);
    acc70.intoArray(c, c7);
    acc71.intoArray(c, c7 + V);
  }

  /**
   * {@link #fullBias} with B row k read at {@code p[rows[rOff + k] + pOff]} (see tileGather), each
   * accumulator clamped to [lo, hi] before it is stored unless both are infinite.
   */
  private static void fullGatherBias(
      float[] c,
      int cOff,
      int ldc,
      float[] a,
      int aOff,
      float[] b,
      int[] rows,
      int rOff,
      int pOff,
      int kc,
      float[] bias,
      int biasOff,
      float lo,
      float hi) {
    int c0 = cOff;
    FloatVector acc00 = FloatVector.broadcast(S, bias[biasOff + 0]);
    FloatVector acc01 = acc00;
    int c1 = cOff + 1 * ldc;
    FloatVector acc10 = FloatVector.broadcast(S, bias[biasOff + 1]);
    FloatVector acc11 = acc10;
    int c2 = cOff + 2 * ldc;
    FloatVector acc20 = FloatVector.broadcast(S, bias[biasOff + 2]);
    FloatVector acc21 = acc20;
    int c3 = cOff + 3 * ldc;
    FloatVector acc30 = FloatVector.broadcast(S, bias[biasOff + 3]);
    FloatVector acc31 = acc30;
    int c4 = cOff + 4 * ldc;
    FloatVector acc40 = FloatVector.broadcast(S, bias[biasOff + 4]);
    FloatVector acc41 = acc40;
    int c5 = cOff + 5 * ldc;
    FloatVector acc50 = FloatVector.broadcast(S, bias[biasOff + 5]);
    FloatVector acc51 = acc50;
    int c6 = cOff + 6 * ldc;
    FloatVector acc60 = FloatVector.broadcast(S, bias[biasOff + 6]);
    FloatVector acc61 = acc60;
    int c7 = cOff + 7 * ldc;
    FloatVector acc70 = FloatVector.broadcast(S, bias[biasOff + 7]);
    FloatVector acc71 = acc70;
    for (int k = 0; k < kc; k++) {
      int ai = aOff + k * MR; // indices derived from k keep C2's range-check elimination
      int bi = rows[rOff + k] + pOff;
      FloatVector b0 = FloatVector.fromArray(S, b, bi);
      FloatVector b1 = FloatVector.fromArray(S, b, bi + V);
      FloatVector a0 = FloatVector.broadcast(S, a[ai + 0]);
      acc00 = a0.fma(b0, acc00);
      acc01 = a0.fma(b1, acc01);
      FloatVector a1 = FloatVector.broadcast(S, a[ai + 1]);
      acc10 = a1.fma(b0, acc10);
      acc11 = a1.fma(b1, acc11);
      FloatVector a2 = FloatVector.broadcast(S, a[ai + 2]);
      acc20 = a2.fma(b0, acc20);
      acc21 = a2.fma(b1, acc21);
      FloatVector a3 = FloatVector.broadcast(S, a[ai + 3]);
      acc30 = a3.fma(b0, acc30);
      acc31 = a3.fma(b1, acc31);
      FloatVector a4 = FloatVector.broadcast(S, a[ai + 4]);
      acc40 = a4.fma(b0, acc40);
      acc41 = a4.fma(b1, acc41);
      FloatVector a5 = FloatVector.broadcast(S, a[ai + 5]);
      acc50 = a5.fma(b0, acc50);
      acc51 = a5.fma(b1, acc51);
      FloatVector a6 = FloatVector.broadcast(S, a[ai + 6]);
      acc60 = a6.fma(b0, acc60);
      acc61 = a6.fma(b1, acc61);
      FloatVector a7 = FloatVector.broadcast(S, a[ai + 7]);
      acc70 = a7.fma(b0, acc70);
      acc71 = a7.fma(b1, acc71);
    }
    if (lo != Float.NEGATIVE_INFINITY || hi != Float.POSITIVE_INFINITY) { // fused ReLU / Clip
      FloatVector l = FloatVector.broadcast(S, lo);
      FloatVector h = FloatVector.broadcast(S, hi);
      acc00 = acc00.blend(l, acc00.lt(l)).blend(h, h.lt(acc00));
      acc01 = acc01.blend(l, acc01.lt(l)).blend(h, h.lt(acc01));
      acc10 = acc10.blend(l, acc10.lt(l)).blend(h, h.lt(acc10));
      acc11 = acc11.blend(l, acc11.lt(l)).blend(h, h.lt(acc11));
      acc20 = acc20.blend(l, acc20.lt(l)).blend(h, h.lt(acc20));
      acc21 = acc21.blend(l, acc21.lt(l)).blend(h, h.lt(acc21));
      acc30 = acc30.blend(l, acc30.lt(l)).blend(h, h.lt(acc30));
      acc31 = acc31.blend(l, acc31.lt(l)).blend(h, h.lt(acc31));
      acc40 = acc40.blend(l, acc40.lt(l)).blend(h, h.lt(acc40));
      acc41 = acc41.blend(l, acc41.lt(l)).blend(h, h.lt(acc41));
      acc50 = acc50.blend(l, acc50.lt(l)).blend(h, h.lt(acc50));
      acc51 = acc51.blend(l, acc51.lt(l)).blend(h, h.lt(acc51));
      acc60 = acc60.blend(l, acc60.lt(l)).blend(h, h.lt(acc60));
      acc61 = acc61.blend(l, acc61.lt(l)).blend(h, h.lt(acc61));
      acc70 = acc70.blend(l, acc70.lt(l)).blend(h, h.lt(acc70));
      acc71 = acc71.blend(l, acc71.lt(l)).blend(h, h.lt(acc71));
    }
    acc00.intoArray(c, c0);
    acc01.intoArray(c, c0 + V);
    acc10.intoArray(c, c1);
    acc11.intoArray(c, c1 + V);
    acc20.intoArray(c, c2);
    acc21.intoArray(c, c2 + V);
    acc30.intoArray(c, c3);
    acc31.intoArray(c, c3 + V);
    acc40.intoArray(c, c4);
    acc41.intoArray(c, c4 + V);
    acc50.intoArray(c, c5);
    acc51.intoArray(c, c5 + V);
    acc60.intoArray(c, c6);
    acc61.intoArray(c, c6 + V);
    acc70.intoArray(c, c7);
    acc71.intoArray(c, c7 + V);
  }

  /** {@link #full} with B row k read at {@code p[rows[rOff + k] + pOff]} (see tileGather). */
  private static void fullGather(
      float[] c,
      int cOff,
      int ldc,
      float[] a,
      int aOff,
      float[] b,
      int[] rows,
      int rOff,
      int pOff,
      int kc) {
    int c0 = cOff;
    FloatVector acc00 = FloatVector.fromArray(S, c, c0);
    FloatVector acc01 = FloatVector.fromArray(S, c, c0 + V);
    int c1 = cOff + 1 * ldc;
    FloatVector acc10 = FloatVector.fromArray(S, c, c1);
    FloatVector acc11 = FloatVector.fromArray(S, c, c1 + V);
    int c2 = cOff + 2 * ldc;
    FloatVector acc20 = FloatVector.fromArray(S, c, c2);
    FloatVector acc21 = FloatVector.fromArray(S, c, c2 + V);
    int c3 = cOff + 3 * ldc;
    FloatVector acc30 = FloatVector.fromArray(S, c, c3);
    FloatVector acc31 = FloatVector.fromArray(S, c, c3 + V);
    int c4 = cOff + 4 * ldc;
    FloatVector acc40 = FloatVector.fromArray(S, c, c4);
    FloatVector acc41 = FloatVector.fromArray(S, c, c4 + V);
    int c5 = cOff + 5 * ldc;
    FloatVector acc50 = FloatVector.fromArray(S, c, c5);
    FloatVector acc51 = FloatVector.fromArray(S, c, c5 + V);
    int c6 = cOff + 6 * ldc;
    FloatVector acc60 = FloatVector.fromArray(S, c, c6);
    FloatVector acc61 = FloatVector.fromArray(S, c, c6 + V);
    int c7 = cOff + 7 * ldc;
    FloatVector acc70 = FloatVector.fromArray(S, c, c7);
    FloatVector acc71 = FloatVector.fromArray(S, c, c7 + V);
    for (int k = 0; k < kc; k++) {
      int ai = aOff + k * MR; // indices derived from k keep C2's range-check elimination
      int bi = rows[rOff + k] + pOff;
      FloatVector b0 = FloatVector.fromArray(S, b, bi);
      FloatVector b1 = FloatVector.fromArray(S, b, bi + V);
      FloatVector a0 = FloatVector.broadcast(S, a[ai + 0]);
      acc00 = a0.fma(b0, acc00);
      acc01 = a0.fma(b1, acc01);
      FloatVector a1 = FloatVector.broadcast(S, a[ai + 1]);
      acc10 = a1.fma(b0, acc10);
      acc11 = a1.fma(b1, acc11);
      FloatVector a2 = FloatVector.broadcast(S, a[ai + 2]);
      acc20 = a2.fma(b0, acc20);
      acc21 = a2.fma(b1, acc21);
      FloatVector a3 = FloatVector.broadcast(S, a[ai + 3]);
      acc30 = a3.fma(b0, acc30);
      acc31 = a3.fma(b1, acc31);
      FloatVector a4 = FloatVector.broadcast(S, a[ai + 4]);
      acc40 = a4.fma(b0, acc40);
      acc41 = a4.fma(b1, acc41);
      FloatVector a5 = FloatVector.broadcast(S, a[ai + 5]);
      acc50 = a5.fma(b0, acc50);
      acc51 = a5.fma(b1, acc51);
      FloatVector a6 = FloatVector.broadcast(S, a[ai + 6]);
      acc60 = a6.fma(b0, acc60);
      acc61 = a6.fma(b1, acc61);
      FloatVector a7 = FloatVector.broadcast(S, a[ai + 7]);
      acc70 = a7.fma(b0, acc70);
      acc71 = a7.fma(b1, acc71);
    }
    acc00.intoArray(c, c0);
    acc01.intoArray(c, c0 + V);
    acc10.intoArray(c, c1);
    acc11.intoArray(c, c1 + V);
    acc20.intoArray(c, c2);
    acc21.intoArray(c, c2 + V);
    acc30.intoArray(c, c3);
    acc31.intoArray(c, c3 + V);
    acc40.intoArray(c, c4);
    acc41.intoArray(c, c4 + V);
    acc50.intoArray(c, c5);
    acc51.intoArray(c, c5 + V);
    acc60.intoArray(c, c6);
    acc61.intoArray(c, c6 + V);
    acc70.intoArray(c, c7);
    acc71.intoArray(c, c7 + V);
  }

  /** {@link #fullGather} on the first vector of columns only (a narrow last panel). */
  private static void halfGather(
      float[] c,
      int cOff,
      int ldc,
      float[] a,
      int aOff,
      float[] b,
      int[] rows,
      int rOff,
      int pOff,
      int kc) {
    int c0 = cOff;
    FloatVector acc00 = FloatVector.fromArray(S, c, c0);
    int c1 = cOff + 1 * ldc;
    FloatVector acc10 = FloatVector.fromArray(S, c, c1);
    int c2 = cOff + 2 * ldc;
    FloatVector acc20 = FloatVector.fromArray(S, c, c2);
    int c3 = cOff + 3 * ldc;
    FloatVector acc30 = FloatVector.fromArray(S, c, c3);
    int c4 = cOff + 4 * ldc;
    FloatVector acc40 = FloatVector.fromArray(S, c, c4);
    int c5 = cOff + 5 * ldc;
    FloatVector acc50 = FloatVector.fromArray(S, c, c5);
    int c6 = cOff + 6 * ldc;
    FloatVector acc60 = FloatVector.fromArray(S, c, c6);
    int c7 = cOff + 7 * ldc;
    FloatVector acc70 = FloatVector.fromArray(S, c, c7);
    for (int k = 0; k < kc; k++) {
      int ai = aOff + k * MR; // indices derived from k keep C2's range-check elimination
      int bi = rows[rOff + k] + pOff;
      FloatVector b0 = FloatVector.fromArray(S, b, bi);
      FloatVector a0 = FloatVector.broadcast(S, a[ai + 0]);
      acc00 = a0.fma(b0, acc00);
      FloatVector a1 = FloatVector.broadcast(S, a[ai + 1]);
      acc10 = a1.fma(b0, acc10);
      FloatVector a2 = FloatVector.broadcast(S, a[ai + 2]);
      acc20 = a2.fma(b0, acc20);
      FloatVector a3 = FloatVector.broadcast(S, a[ai + 3]);
      acc30 = a3.fma(b0, acc30);
      FloatVector a4 = FloatVector.broadcast(S, a[ai + 4]);
      acc40 = a4.fma(b0, acc40);
      FloatVector a5 = FloatVector.broadcast(S, a[ai + 5]);
      acc50 = a5.fma(b0, acc50);
      FloatVector a6 = FloatVector.broadcast(S, a[ai + 6]);
      acc60 = a6.fma(b0, acc60);
      FloatVector a7 = FloatVector.broadcast(S, a[ai + 7]);
      acc70 = a7.fma(b0, acc70);
    }
    acc00.intoArray(c, c0);
    acc10.intoArray(c, c1);
    acc20.intoArray(c, c2);
    acc30.intoArray(c, c3);
    acc40.intoArray(c, c4);
    acc50.intoArray(c, c5);
    acc60.intoArray(c, c6);
    acc70.intoArray(c, c7);
  }
}
