package dev.bnfold.runtime.kernels.vector;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

/**
 * Peak probe for benchmarks: sixteen independent {@code FloatVector.fma} chains kept in registers,
 * enough to cover the latency of two FMA ports. What it achieves per second is the ceiling a GEMM
 * micro-kernel is measured against.
 */
public final class FmaPeak {
  private static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;

  private FmaPeak() {}

  /** Floats per vector of the species the kernels use. */
  public static int lanes() {
    return S.length();
  }

  /**
   * Runs at least {@code flops} floating-point operations (an FMA counts two) and returns a value
   * that depends on all of them, so that the work cannot be removed.
   */
  public static float run(long flops) {
    long steps = Math.max(1, flops / (32L * S.length()));
    FloatVector m = FloatVector.broadcast(S, 0.999f);
    FloatVector d = FloatVector.broadcast(S, 1e-3f);
    FloatVector a0 = FloatVector.broadcast(S, 1f), a1 = a0.add(d), a2 = a1.add(d), a3 = a2.add(d);
    FloatVector a4 = a3.add(d), a5 = a4.add(d), a6 = a5.add(d), a7 = a6.add(d);
    FloatVector a8 = a7.add(d), a9 = a8.add(d), a10 = a9.add(d), a11 = a10.add(d);
    FloatVector a12 = a11.add(d), a13 = a12.add(d), a14 = a13.add(d), a15 = a14.add(d);
    for (long i = 0; i < steps; i++) {
      a0 = a0.fma(m, d);
      a1 = a1.fma(m, d);
      a2 = a2.fma(m, d);
      a3 = a3.fma(m, d);
      a4 = a4.fma(m, d);
      a5 = a5.fma(m, d);
      a6 = a6.fma(m, d);
      a7 = a7.fma(m, d);
      a8 = a8.fma(m, d);
      a9 = a9.fma(m, d);
      a10 = a10.fma(m, d);
      a11 = a11.fma(m, d);
      a12 = a12.fma(m, d);
      a13 = a13.fma(m, d);
      a14 = a14.fma(m, d);
      a15 = a15.fma(m, d);
    }
    FloatVector s =
        a0.add(a1).add(a2).add(a3).add(a4).add(a5).add(a6).add(a7).add(a8).add(a9).add(a10);
    return s.add(a11)
        .add(a12)
        .add(a13)
        .add(a14)
        .add(a15)
        .reduceLanes(jdk.incubator.vector.VectorOperators.ADD);
  }
}
