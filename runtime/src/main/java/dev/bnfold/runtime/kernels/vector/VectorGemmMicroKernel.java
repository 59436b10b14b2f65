package dev.bnfold.runtime.kernels.vector;

import dev.bnfold.runtime.kernels.GemmMicroKernel;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorSpecies;

/**
 * Vector API 4 x (2 vectors) micro-kernel over packed panels: eight accumulators of {@code
 * FloatVector.SPECIES_PREFERRED}, one broadcast of A and two loads of B per k step. Loaded only
 * when the {@code jdk.incubator.vector} module is present (see {@code Kernels}).
 */
public final class VectorGemmMicroKernel implements GemmMicroKernel {
  private static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;
  private static final int V = S.length();

  /** Creates the kernel. */
  public VectorGemmMicroKernel() {}

  @Override
  public int mr() {
    return 4;
  }

  @Override
  public int nr() {
    return 2 * V;
  }

  @Override
  public void row(float[] c, int cOff, float[] a, int aOff, float[] b, int bOff, int kc, int n) {
    if (n != (2 * V)) {
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
      int bi = bOff + kk * (2 * V);
      FloatVector a0 = FloatVector.broadcast(S, a[aOff + kk]);
      FloatVector a1 = FloatVector.broadcast(S, a[aOff + kk + 1]);
      FloatVector a2 = FloatVector.broadcast(S, a[aOff + kk + 2]);
      FloatVector a3 = FloatVector.broadcast(S, a[aOff + kk + 3]);
      s0 = a0.fma(FloatVector.fromArray(S, b, bi), s0);
      s1 = a0.fma(FloatVector.fromArray(S, b, bi + V), s1);
      t0 = a1.fma(FloatVector.fromArray(S, b, bi + (2 * V)), t0);
      t1 = a1.fma(FloatVector.fromArray(S, b, bi + (2 * V) + V), t1);
      u0 = a2.fma(FloatVector.fromArray(S, b, bi + 2 * (2 * V)), u0);
      u1 = a2.fma(FloatVector.fromArray(S, b, bi + 2 * (2 * V) + V), u1);
      v0 = a3.fma(FloatVector.fromArray(S, b, bi + 3 * (2 * V)), v0);
      v1 = a3.fma(FloatVector.fromArray(S, b, bi + 3 * (2 * V) + V), v1);
    }
    s0 = s0.add(u0);
    s1 = s1.add(u1);
    t0 = t0.add(v0);
    t1 = t1.add(v1);
    for (; kk + 1 < kc; kk += 2) {
      int bi = bOff + kk * (2 * V);
      FloatVector a0 = FloatVector.broadcast(S, a[aOff + kk]);
      FloatVector a1 = FloatVector.broadcast(S, a[aOff + kk + 1]);
      s0 = a0.fma(FloatVector.fromArray(S, b, bi), s0);
      s1 = a0.fma(FloatVector.fromArray(S, b, bi + V), s1);
      t0 = a1.fma(FloatVector.fromArray(S, b, bi + (2 * V)), t0);
      t1 = a1.fma(FloatVector.fromArray(S, b, bi + (2 * V) + V), t1);
    }
    if (kk < kc) {
      int bi = bOff + kk * (2 * V);
      FloatVector a0 = FloatVector.broadcast(S, a[aOff + kk]);
      s0 = a0.fma(FloatVector.fromArray(S, b, bi), s0);
      s1 = a0.fma(FloatVector.fromArray(S, b, bi + V), s1);
    }
    s0.add(t0).intoArray(c, cOff);
    s1.add(t1).intoArray(c, cOff + V);
  }

  @Override
  public String name() {
    return "vector-4x" + (2 * V);
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
    // acc (4, 2V)
    FloatVector c00 = FloatVector.zero(S), c01 = FloatVector.zero(S);
    FloatVector c10 = FloatVector.zero(S), c11 = FloatVector.zero(S);
    FloatVector c20 = FloatVector.zero(S), c21 = FloatVector.zero(S);
    FloatVector c30 = FloatVector.zero(S), c31 = FloatVector.zero(S);
    int ai = aOff;
    int bi = bOff;
    int nr = 2 * V;
    for (int k = 0; k < kc; k++, ai += 4, bi += nr) {
      FloatVector b0 = FloatVector.fromArray(S, b, bi);
      FloatVector b1 = FloatVector.fromArray(S, b, bi + V);
      FloatVector a0 = FloatVector.broadcast(S, a[ai]);
      c00 = a0.fma(b0, c00);
      c01 = a0.fma(b1, c01);
      FloatVector a1 = FloatVector.broadcast(S, a[ai + 1]);
      c10 = a1.fma(b0, c10);
      c11 = a1.fma(b1, c11);
      FloatVector a2 = FloatVector.broadcast(S, a[ai + 2]);
      c20 = a2.fma(b0, c20);
      c21 = a2.fma(b1, c21);
      FloatVector a3 = FloatVector.broadcast(S, a[ai + 3]);
      c30 = a3.fma(b0, c30);
      c31 = a3.fma(b1, c31);
    }
    store(c, cOff, n, accumulate, c00, c01);
    if (m > 1) {
      store(c, cOff + ldc, n, accumulate, c10, c11);
    }
    if (m > 2) {
      store(c, cOff + 2 * ldc, n, accumulate, c20, c21);
    }
    if (m > 3) {
      store(c, cOff + 3 * ldc, n, accumulate, c30, c31);
    }
  }

  private static void store(
      float[] c, int off, int n, boolean acc, FloatVector v0, FloatVector v1) {
    if (n == 2 * V) {
      if (acc) {
        v0 = v0.add(FloatVector.fromArray(S, c, off));
        v1 = v1.add(FloatVector.fromArray(S, c, off + V));
      }
      v0.intoArray(c, off);
      v1.intoArray(c, off + V);
      return;
    }
    storePart(c, off, Math.min(n, V), acc, v0);
    if (n > V) {
      storePart(c, off + V, n - V, acc, v1);
    }
  }

  private static void storePart(float[] c, int off, int n, boolean acc, FloatVector v) {
    if (n == V) {
      if (acc) {
        v = v.add(FloatVector.fromArray(S, c, off));
      }
      v.intoArray(c, off);
      return;
    }
    VectorMask<Float> mask = S.indexInRange(0, n);
    if (acc) {
      v = v.add(FloatVector.fromArray(S, c, off, mask));
    }
    v.intoArray(c, off, mask);
  }
}
