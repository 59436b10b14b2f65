package dev.bnfold.runtime.kernels.vector;

import dev.bnfold.runtime.kernels.Conv;
import dev.bnfold.runtime.kernels.Depthwise3x3Kernel;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

/**
 * Vector API {@link Depthwise3x3Kernel}: the nine weights are broadcast once per plane, then each
 * vector of outputs takes nine unaligned loads and nine FMAs in three independent chains; a run
 * ends with a vector that overlaps the one before (outputs are pure functions of the input, so
 * recomputing a few is harmless) instead of a scalar tail.
 *
 * <p>Rows of at least one vector are runs of their own. Narrower stride-1 planes (the 14- and
 * 7-wide planes of late layers) are computed as one flat run over the padded plane, two garbage
 * columns per row included, into a thread-local buffer whose rows are then copied out; narrower
 * stride-2 planes go to {@link Conv#depthwise3x3Plane}. (A second class with half-width vectors for
 * those rows measured slower: its stores were not intrinsified by JDK 17.) Loaded only when the
 * {@code jdk.incubator.vector} module is present (see {@code Kernels}).
 */
public final class VectorDepthwise3x3 implements Depthwise3x3Kernel {
  private static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;
  private static final ThreadLocal<float[][]> FLAT = ThreadLocal.withInitial(() -> new float[1][]);

  /** Creates the kernel. */
  public VectorDepthwise3x3() {}

  @Override
  public void plane(
      float[] y,
      int yOff,
      int oh1,
      int ow1,
      float[] p,
      int pOff,
      int rowStep,
      int width,
      int c1,
      int c2,
      float[] w,
      int wOff,
      float bias,
      float lo,
      float hi) {
    int v = S.length();
    // runs: `runs` runs of n outputs; run j reads from pOff + j*rowStep, writes dst at dOff +
    // j*dStep
    int runs = oh1;
    int n = ow1;
    float[] dst = y;
    int dOff = yOff;
    int dStep = ow1;
    boolean flat = false;
    if (ow1 < v) {
      int flatLength = (oh1 - 1) * width + ow1; // up to the last real output of the plane
      if (c1 != 1 || rowStep != width || flatLength < v) {
        Conv.depthwise3x3Plane(
            y, yOff, oh1, ow1, p, pOff, rowStep, width, c1, c2, w, wOff, bias, lo, hi);
        return;
      }
      float[][] holder = FLAT.get();
      if (holder[0] == null || holder[0].length < flatLength) {
        holder[0] = new float[Math.max(flatLength, 1024)];
      }
      flat = true;
      runs = 1;
      n = flatLength;
      dst = holder[0];
      dOff = 0;
    }
    FloatVector w0 = FloatVector.broadcast(S, w[wOff]);
    FloatVector w1 = FloatVector.broadcast(S, w[wOff + 1]);
    FloatVector w2 = FloatVector.broadcast(S, w[wOff + 2]);
    FloatVector w3 = FloatVector.broadcast(S, w[wOff + 3]);
    FloatVector w4 = FloatVector.broadcast(S, w[wOff + 4]);
    FloatVector w5 = FloatVector.broadcast(S, w[wOff + 5]);
    FloatVector w6 = FloatVector.broadcast(S, w[wOff + 6]);
    FloatVector w7 = FloatVector.broadcast(S, w[wOff + 7]);
    FloatVector w8 = FloatVector.broadcast(S, w[wOff + 8]);
    FloatVector b = FloatVector.broadcast(S, bias);
    FloatVector l = FloatVector.broadcast(S, lo);
    FloatVector h = FloatVector.broadcast(S, hi);
    for (int run = 0; run < runs; run++) {
      int r0 = pOff + run * rowStep;
      int r1 = r0 + width;
      int r2 = r1 + width;
      int d = dOff + run * dStep;
      // vectors at 0, v, 2v, ... and a last one ending at n that may overlap the one before
      for (int j = 0, i = 0; i < n; j++, i = Math.min(j * v, n - v)) {
        // three independent chains, one per kernel row, to hide the FMA latency
        FloatVector s0 = w0.fma(FloatVector.fromArray(S, p, r0 + i), b);
        FloatVector s1 = w3.mul(FloatVector.fromArray(S, p, r1 + i));
        FloatVector s2 = w6.mul(FloatVector.fromArray(S, p, r2 + i));
        s0 = w1.fma(FloatVector.fromArray(S, p, r0 + c1 + i), s0);
        s1 = w4.fma(FloatVector.fromArray(S, p, r1 + c1 + i), s1);
        s2 = w7.fma(FloatVector.fromArray(S, p, r2 + c1 + i), s2);
        s0 = w2.fma(FloatVector.fromArray(S, p, r0 + c2 + i), s0);
        s1 = w5.fma(FloatVector.fromArray(S, p, r1 + c2 + i), s1);
        s2 = w8.fma(FloatVector.fromArray(S, p, r2 + c2 + i), s2);
        s0.add(s1).add(s2).max(l).min(h).intoArray(dst, d + i);
        if (i == n - v) {
          break;
        }
      }
    }
    if (flat) {
      for (int oh = 0; oh < oh1; oh++) {
        System.arraycopy(dst, oh * width, y, yOff + oh * ow1, ow1);
      }
    }
  }
}
