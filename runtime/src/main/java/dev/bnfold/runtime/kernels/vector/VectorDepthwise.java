package dev.bnfold.runtime.kernels.vector;

import dev.bnfold.runtime.kernels.DepthwiseKernel;
import dev.bnfold.runtime.kernels.ScalarDepthwiseKernel;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorShuffle;
import jdk.incubator.vector.VectorSpecies;

/**
 * Vector API {@link DepthwiseKernel}. {@link #taps} keeps four vectors of outputs in registers
 * (four independent FMA chains hide the FMA latency, and each broadcast weight serves four loads);
 * the run ends with a block that overlaps the one before (outputs are pure functions of the input,
 * so recomputing a few is harmless) instead of a scalar tail, then single vectors the same way;
 * runs shorter than one vector go to the scalar kernel. {@link #split2} deinterleaves two vectors
 * at a time with four single-input lane shuffles and two blends. Loaded only when the {@code
 * jdk.incubator.vector} module is present (see {@code Kernels}).
 */
public final class VectorDepthwise implements DepthwiseKernel {
  private static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;
  private static final int V = S.length();
  private static final FloatVector ZERO = FloatVector.zero(S);
  // even (odd) lanes of a vector to its low half (EVEN_LO, ODD_LO) or to its high half (EVEN_HI,
  // ODD_HI); the other half is don't-care, replaced by the blend with HIGH
  private static final VectorShuffle<Float> EVEN_LO = halves(0, true);
  private static final VectorShuffle<Float> EVEN_HI = halves(0, false);
  private static final VectorShuffle<Float> ODD_LO = halves(1, true);
  private static final VectorShuffle<Float> ODD_HI = halves(1, false);
  private static final VectorMask<Float> HIGH = VectorMask.fromLong(S, -1L << (V / 2));

  /** Creates the kernel. */
  public VectorDepthwise() {}

  @Override
  public String name() {
    return "vector";
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
    if (n < V) {
      ScalarDepthwiseKernel.tapsScalar(y, yOff, n, p, pOff, taps, w, wOff, bias, lo, hi);
      return;
    }
    int nt = taps.length;
    if (nt == 9 && n >= 4 * V) {
      taps9x4(y, yOff, n, p, pOff, taps, w, wOff, bias, lo, hi);
      return;
    }
    if (nt == 9 && n >= 2 * V) {
      taps9(y, yOff, n, p, pOff, taps, w, wOff, bias, lo, hi);
      return;
    }
    FloatVector b = FloatVector.broadcast(S, bias);
    FloatVector l = FloatVector.broadcast(S, lo);
    FloatVector h = FloatVector.broadcast(S, hi);
    int block = 4 * V;
    int f = 0;
    if (n >= block) {
      // blocks at 0, 4V, 8V, ... and a last one ending at n that may overlap the one before
      while (true) {
        FloatVector a0 = b;
        FloatVector a1 = b;
        FloatVector a2 = b;
        FloatVector a3 = b;
        for (int t = 0; t < nt; t++) {
          FloatVector wv = FloatVector.broadcast(S, w[wOff + t]);
          int q = pOff + taps[t] + f;
          a0 = FloatVector.fromArray(S, p, q).fma(wv, a0);
          a1 = FloatVector.fromArray(S, p, q + V).fma(wv, a1);
          a2 = FloatVector.fromArray(S, p, q + 2 * V).fma(wv, a2);
          a3 = FloatVector.fromArray(S, p, q + 3 * V).fma(wv, a3);
        }
        int d = yOff + f;
        a0.blend(l, a0.lt(l)).blend(h, h.lt(a0)).intoArray(y, d);
        a1.blend(l, a1.lt(l)).blend(h, h.lt(a1)).intoArray(y, d + V);
        a2.blend(l, a2.lt(l)).blend(h, h.lt(a2)).intoArray(y, d + 2 * V);
        a3.blend(l, a3.lt(l)).blend(h, h.lt(a3)).intoArray(y, d + 3 * V);
        if (f == n - block) {
          return;
        }
        f = Math.min(f + block, n - block);
      }
    }
    // fewer than 4V outputs: single vectors, the last one overlapping
    while (true) {
      FloatVector a0 = b;
      for (int t = 0; t < nt; t++) {
        a0 =
            FloatVector.fromArray(S, p, pOff + taps[t] + f)
                .fma(FloatVector.broadcast(S, w[wOff + t]), a0);
      }
      a0.blend(l, a0.lt(l)).blend(h, h.lt(a0)).intoArray(y, yOff + f);
      if (f == n - V) {
        return;
      }
      f = Math.min(f + V, n - V);
    }
  }

  /**
   * {@link #taps} for nine taps and {@code n >= 4V}: as {@link #taps9} with four vectors per step
   * (four FMA chains; two leave the second FMA port idle half the time).
   */
  private static void taps9x4(
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
    int o0 = pOff + taps[0];
    int o1 = pOff + taps[1];
    int o2 = pOff + taps[2];
    int o3 = pOff + taps[3];
    int o4 = pOff + taps[4];
    int o5 = pOff + taps[5];
    int o6 = pOff + taps[6];
    int o7 = pOff + taps[7];
    int o8 = pOff + taps[8];
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
    int last = n - 4 * V;
    for (int f = 0; ; f += 4 * V) {
      if (f > last) {
        f = last; // the overlapping last step
      }
      FloatVector a0 = FloatVector.fromArray(S, p, o0 + f).fma(w0, b);
      FloatVector a1 = FloatVector.fromArray(S, p, o0 + f + V).fma(w0, b);
      FloatVector a2 = FloatVector.fromArray(S, p, o0 + f + 2 * V).fma(w0, b);
      FloatVector a3 = FloatVector.fromArray(S, p, o0 + f + 3 * V).fma(w0, b);
      a0 = FloatVector.fromArray(S, p, o1 + f).fma(w1, a0);
      a1 = FloatVector.fromArray(S, p, o1 + f + V).fma(w1, a1);
      a2 = FloatVector.fromArray(S, p, o1 + f + 2 * V).fma(w1, a2);
      a3 = FloatVector.fromArray(S, p, o1 + f + 3 * V).fma(w1, a3);
      a0 = FloatVector.fromArray(S, p, o2 + f).fma(w2, a0);
      a1 = FloatVector.fromArray(S, p, o2 + f + V).fma(w2, a1);
      a2 = FloatVector.fromArray(S, p, o2 + f + 2 * V).fma(w2, a2);
      a3 = FloatVector.fromArray(S, p, o2 + f + 3 * V).fma(w2, a3);
      a0 = FloatVector.fromArray(S, p, o3 + f).fma(w3, a0);
      a1 = FloatVector.fromArray(S, p, o3 + f + V).fma(w3, a1);
      a2 = FloatVector.fromArray(S, p, o3 + f + 2 * V).fma(w3, a2);
      a3 = FloatVector.fromArray(S, p, o3 + f + 3 * V).fma(w3, a3);
      a0 = FloatVector.fromArray(S, p, o4 + f).fma(w4, a0);
      a1 = FloatVector.fromArray(S, p, o4 + f + V).fma(w4, a1);
      a2 = FloatVector.fromArray(S, p, o4 + f + 2 * V).fma(w4, a2);
      a3 = FloatVector.fromArray(S, p, o4 + f + 3 * V).fma(w4, a3);
      a0 = FloatVector.fromArray(S, p, o5 + f).fma(w5, a0);
      a1 = FloatVector.fromArray(S, p, o5 + f + V).fma(w5, a1);
      a2 = FloatVector.fromArray(S, p, o5 + f + 2 * V).fma(w5, a2);
      a3 = FloatVector.fromArray(S, p, o5 + f + 3 * V).fma(w5, a3);
      a0 = FloatVector.fromArray(S, p, o6 + f).fma(w6, a0);
      a1 = FloatVector.fromArray(S, p, o6 + f + V).fma(w6, a1);
      a2 = FloatVector.fromArray(S, p, o6 + f + 2 * V).fma(w6, a2);
      a3 = FloatVector.fromArray(S, p, o6 + f + 3 * V).fma(w6, a3);
      a0 = FloatVector.fromArray(S, p, o7 + f).fma(w7, a0);
      a1 = FloatVector.fromArray(S, p, o7 + f + V).fma(w7, a1);
      a2 = FloatVector.fromArray(S, p, o7 + f + 2 * V).fma(w7, a2);
      a3 = FloatVector.fromArray(S, p, o7 + f + 3 * V).fma(w7, a3);
      a0 = FloatVector.fromArray(S, p, o8 + f).fma(w8, a0);
      a1 = FloatVector.fromArray(S, p, o8 + f + V).fma(w8, a1);
      a2 = FloatVector.fromArray(S, p, o8 + f + 2 * V).fma(w8, a2);
      a3 = FloatVector.fromArray(S, p, o8 + f + 3 * V).fma(w8, a3);
      a0.blend(l, a0.lt(l)).blend(h, h.lt(a0)).intoArray(y, yOff + f);
      a1.blend(l, a1.lt(l)).blend(h, h.lt(a1)).intoArray(y, yOff + f + V);
      a2.blend(l, a2.lt(l)).blend(h, h.lt(a2)).intoArray(y, yOff + f + 2 * V);
      a3.blend(l, a3.lt(l)).blend(h, h.lt(a3)).intoArray(y, yOff + f + 3 * V);
      if (f == last) {
        return;
      }
    }
  }

  /**
   * {@link #taps} for nine taps (3x3) and {@code n >= 2V}: the weights stay in registers and the
   * loop is counted over f with loop-invariant tap bases, so C2 drops the bounds checks out of it;
   * two vectors per step, the last step overlapping the one before.
   */
  private static void taps9(
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
    int o0 = pOff + taps[0], o1 = pOff + taps[1], o2 = pOff + taps[2];
    int o3 = pOff + taps[3], o4 = pOff + taps[4], o5 = pOff + taps[5];
    int o6 = pOff + taps[6], o7 = pOff + taps[7], o8 = pOff + taps[8];
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
    int last = n - 2 * V;
    for (int f = 0; ; f += 2 * V) {
      if (f > last) {
        f = last; // the overlapping last step
      }
      FloatVector a0 = FloatVector.fromArray(S, p, o0 + f).fma(w0, b);
      FloatVector a1 = FloatVector.fromArray(S, p, o0 + f + V).fma(w0, b);
      a0 = FloatVector.fromArray(S, p, o1 + f).fma(w1, a0);
      a1 = FloatVector.fromArray(S, p, o1 + f + V).fma(w1, a1);
      a0 = FloatVector.fromArray(S, p, o2 + f).fma(w2, a0);
      a1 = FloatVector.fromArray(S, p, o2 + f + V).fma(w2, a1);
      a0 = FloatVector.fromArray(S, p, o3 + f).fma(w3, a0);
      a1 = FloatVector.fromArray(S, p, o3 + f + V).fma(w3, a1);
      a0 = FloatVector.fromArray(S, p, o4 + f).fma(w4, a0);
      a1 = FloatVector.fromArray(S, p, o4 + f + V).fma(w4, a1);
      a0 = FloatVector.fromArray(S, p, o5 + f).fma(w5, a0);
      a1 = FloatVector.fromArray(S, p, o5 + f + V).fma(w5, a1);
      a0 = FloatVector.fromArray(S, p, o6 + f).fma(w6, a0);
      a1 = FloatVector.fromArray(S, p, o6 + f + V).fma(w6, a1);
      a0 = FloatVector.fromArray(S, p, o7 + f).fma(w7, a0);
      a1 = FloatVector.fromArray(S, p, o7 + f + V).fma(w7, a1);
      a0 = FloatVector.fromArray(S, p, o8 + f).fma(w8, a0);
      a1 = FloatVector.fromArray(S, p, o8 + f + V).fma(w8, a1);
      a0.blend(l, a0.lt(l)).blend(h, h.lt(a0)).intoArray(y, yOff + f);
      a1.blend(l, a1.lt(l)).blend(h, h.lt(a1)).intoArray(y, yOff + f + V);
      if (f == last) {
        return;
      }
    }
  }

  @Override
  public void split2(float[] dst, int even, int odd, float[] x, int xOff, int n) {
    if (n < V) {
      ScalarDepthwiseKernel.split2Scalar(dst, even, odd, x, xOff, n);
      return;
    }
    // V pairs a step, the last step overlapping the one before (rows of 56 pairs: the scalar tail
    // took as long as the vector steps)
    for (int i = 0; ; i += V) {
      if (i > n - V) {
        i = n - V;
      }
      FloatVector a = FloatVector.fromArray(S, x, xOff + 2 * i);
      FloatVector c = FloatVector.fromArray(S, x, xOff + 2 * i + V);
      // single-input shuffles and a blend: the two-input rearrange measured 1.5x slower (JDK 17)
      a.rearrange(EVEN_LO).blend(c.rearrange(EVEN_HI), HIGH).intoArray(dst, even + i);
      a.rearrange(ODD_LO).blend(c.rearrange(ODD_HI), HIGH).intoArray(dst, odd + i);
      if (i == n - V) {
        return;
      }
    }
  }

  /** Rows over half a vector wide (narrower ones are faster interleaved). */
  @Override
  public boolean prefersRows3x3(int cols) {
    return 2 * cols > V;
  }

  /**
   * Two output rows per step, one vector of columns at a time (the last overlapping): each of the
   * four input rows is loaded once at its three column shifts and feeds both output rows (12 loads
   * for 18 FMAs; the flat run loads 9 per 9). Measured 1.4-1.7x the flat run plus its row copies on
   * 28x28 to 112x112 planes. Fewer than two rows or V columns go to the default.
   */
  @Override
  public void rows3x3(
      float[] y,
      int yOff,
      int yPitch,
      int rows,
      int cols,
      float[] p,
      int pOff,
      int pPitch,
      float[] w,
      int wOff,
      float bias,
      float lo,
      float hi) {
    if (rows < 2) {
      DepthwiseKernel.super.rows3x3(
          y, yOff, yPitch, rows, cols, p, pOff, pPitch, w, wOff, bias, lo, hi);
      return;
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
    int lastC = Math.max(0, cols - V); // a row narrower than a vector is computed V wide
    for (int r = 0; ; r += 2) {
      if (r > rows - 2) {
        r = rows - 2; // the overlapping last pair
      }
      int q0 = pOff + r * pPitch;
      int q1 = q0 + pPitch;
      int q2 = q1 + pPitch;
      int q3 = q2 + pPitch;
      int d0 = yOff + r * yPitch;
      int d1 = d0 + yPitch;
      for (int c = 0; ; c += V) {
        if (c > lastC) {
          c = lastC;
        }
        FloatVector x0 = FloatVector.fromArray(S, p, q0 + c);
        FloatVector x1 = FloatVector.fromArray(S, p, q0 + c + 1);
        FloatVector x2 = FloatVector.fromArray(S, p, q0 + c + 2);
        FloatVector a = x0.fma(w0, b);
        a = x1.fma(w1, a);
        a = x2.fma(w2, a);
        x0 = FloatVector.fromArray(S, p, q1 + c);
        x1 = FloatVector.fromArray(S, p, q1 + c + 1);
        x2 = FloatVector.fromArray(S, p, q1 + c + 2);
        a = x0.fma(w3, a);
        a = x1.fma(w4, a);
        a = x2.fma(w5, a);
        FloatVector e = x0.fma(w0, b);
        e = x1.fma(w1, e);
        e = x2.fma(w2, e);
        x0 = FloatVector.fromArray(S, p, q2 + c);
        x1 = FloatVector.fromArray(S, p, q2 + c + 1);
        x2 = FloatVector.fromArray(S, p, q2 + c + 2);
        a = x0.fma(w6, a);
        a = x1.fma(w7, a);
        a = x2.fma(w8, a);
        e = x0.fma(w3, e);
        e = x1.fma(w4, e);
        e = x2.fma(w5, e);
        x0 = FloatVector.fromArray(S, p, q3 + c);
        x1 = FloatVector.fromArray(S, p, q3 + c + 1);
        x2 = FloatVector.fromArray(S, p, q3 + c + 2);
        e = x0.fma(w6, e);
        e = x1.fma(w7, e);
        e = x2.fma(w8, e);
        a.blend(l, a.lt(l)).blend(h, h.lt(a)).intoArray(y, d0 + c);
        e.blend(l, e.lt(l)).blend(h, h.lt(e)).intoArray(y, d1 + c);
        if (c == lastC) {
          break;
        }
      }
      if (r == rows - 2) {
        return;
      }
    }
  }

  /**
   * One vector of columns at a time (the last overlapping; a plane narrower than a vector is
   * computed V wide, see {@link DepthwiseKernel#rows5x5}), rolling down the plane: each input row
   * is loaded once at its five column shifts and completes the five output rows it belongs to, so
   * five loads feed 25 FMAs, and an output row is stored as soon as its last input row is in.
   */
  @Override
  public void rows5x5(
      float[] y,
      int yOff,
      int yPitch,
      int rows,
      int cols,
      float[] p,
      int pOff,
      int pPitch,
      float[] w,
      int wOff,
      float bias,
      float lo,
      float hi) {
    // the weights as vectors before the loops: C2 otherwise hoists the scalars and broadcasts
    // them from registers on every use, a shuffle each that takes the FMA's second port
    FloatVector w0 = FloatVector.broadcast(S, w[wOff + 0]);
    FloatVector w1 = FloatVector.broadcast(S, w[wOff + 1]);
    FloatVector w2 = FloatVector.broadcast(S, w[wOff + 2]);
    FloatVector w3 = FloatVector.broadcast(S, w[wOff + 3]);
    FloatVector w4 = FloatVector.broadcast(S, w[wOff + 4]);
    FloatVector w5 = FloatVector.broadcast(S, w[wOff + 5]);
    FloatVector w6 = FloatVector.broadcast(S, w[wOff + 6]);
    FloatVector w7 = FloatVector.broadcast(S, w[wOff + 7]);
    FloatVector w8 = FloatVector.broadcast(S, w[wOff + 8]);
    FloatVector w9 = FloatVector.broadcast(S, w[wOff + 9]);
    FloatVector w10 = FloatVector.broadcast(S, w[wOff + 10]);
    FloatVector w11 = FloatVector.broadcast(S, w[wOff + 11]);
    FloatVector w12 = FloatVector.broadcast(S, w[wOff + 12]);
    FloatVector w13 = FloatVector.broadcast(S, w[wOff + 13]);
    FloatVector w14 = FloatVector.broadcast(S, w[wOff + 14]);
    FloatVector w15 = FloatVector.broadcast(S, w[wOff + 15]);
    FloatVector w16 = FloatVector.broadcast(S, w[wOff + 16]);
    FloatVector w17 = FloatVector.broadcast(S, w[wOff + 17]);
    FloatVector w18 = FloatVector.broadcast(S, w[wOff + 18]);
    FloatVector w19 = FloatVector.broadcast(S, w[wOff + 19]);
    FloatVector w20 = FloatVector.broadcast(S, w[wOff + 20]);
    FloatVector w21 = FloatVector.broadcast(S, w[wOff + 21]);
    FloatVector w22 = FloatVector.broadcast(S, w[wOff + 22]);
    FloatVector w23 = FloatVector.broadcast(S, w[wOff + 23]);
    FloatVector w24 = FloatVector.broadcast(S, w[wOff + 24]);
    FloatVector b = FloatVector.broadcast(S, bias);
    FloatVector l = FloatVector.broadcast(S, lo);
    FloatVector h = FloatVector.broadcast(S, hi);
    int lastC = Math.max(0, cols - V);
    boolean clamped = lo != Float.NEGATIVE_INFINITY || hi != Float.POSITIVE_INFINITY;
    for (int c = 0; ; c += V) {
      if (c > lastC) {
        c = lastC;
      }
      // a4 .. a1: output rows j - 4 .. j - 1, which input row j adds its kernel row 4 .. 1 to
      FloatVector a4 = b;
      FloatVector a3 = b;
      FloatVector a2 = b;
      FloatVector a1 = b;
      for (int j = 0; j < rows + 4; j++) {
        int q = pOff + j * pPitch + c;
        FloatVector x0 = FloatVector.fromArray(S, p, q);
        FloatVector x1 = FloatVector.fromArray(S, p, q + 1);
        FloatVector x2 = FloatVector.fromArray(S, p, q + 2);
        FloatVector x3 = FloatVector.fromArray(S, p, q + 3);
        FloatVector x4 = FloatVector.fromArray(S, p, q + 4);
        a4 = x0.fma(w20, a4);
        a4 = x1.fma(w21, a4);
        a4 = x2.fma(w22, a4);
        a4 = x3.fma(w23, a4);
        a4 = x4.fma(w24, a4);
        if (j >= 4) { // output row j - 4 is complete
          (clamped ? a4.blend(l, a4.lt(l)).blend(h, h.lt(a4)) : a4)
              .intoArray(y, yOff + (j - 4) * yPitch + c);
        }
        a3 = x0.fma(w15, a3);
        a3 = x1.fma(w16, a3);
        a3 = x2.fma(w17, a3);
        a3 = x3.fma(w18, a3);
        a3 = x4.fma(w19, a3);
        a2 = x0.fma(w10, a2);
        a2 = x1.fma(w11, a2);
        a2 = x2.fma(w12, a2);
        a2 = x3.fma(w13, a2);
        a2 = x4.fma(w14, a2);
        a1 = x0.fma(w5, a1);
        a1 = x1.fma(w6, a1);
        a1 = x2.fma(w7, a1);
        a1 = x3.fma(w8, a1);
        a1 = x4.fma(w9, a1);
        FloatVector a0 = x0.fma(w0, b);
        a0 = x1.fma(w1, a0);
        a0 = x2.fma(w2, a0);
        a0 = x3.fma(w3, a0);
        a0 = x4.fma(w4, a0);
        a4 = a3;
        a3 = a2;
        a2 = a1;
        a1 = a0;
      }
      if (c == lastC) {
        return;
      }
    }
  }

  /**
   * A row of at most V floats as one vector, then a vector of zeros after it (System.arraycopy's
   * call cost a third of a 14x14 plane's 5x5 depthwise).
   */
  @Override
  public void copyPadded(float[] dst, int dOff, float[] x, int xOff, int n) {
    if (n > V || xOff + V > x.length) {
      DepthwiseKernel.super.copyPadded(dst, dOff, x, xOff, n);
      return;
    }
    FloatVector.fromArray(S, x, xOff).intoArray(dst, dOff);
    ZERO.intoArray(dst, dOff + n);
  }

  @Override
  public void copyMasked(
      float[] dst, int dOff, float[] x, int xOff, float[] col, int n, float lo, float hi) {
    FloatVector l = FloatVector.broadcast(S, lo);
    FloatVector h = FloatVector.broadcast(S, hi);
    int i = 0;
    for (; i + V <= n; i += V) {
      FloatVector c = FloatVector.fromArray(S, col, i);
      VectorMask<Float> in = c.compare(VectorOperators.GE, l).and(c.lt(h));
      ZERO.blend(FloatVector.fromArray(S, x, xOff + i), in).intoArray(dst, dOff + i);
    }
    for (; i < n; i++) {
      dst[dOff + i] = col[i] >= lo && col[i] < hi ? x[xOff + i] : 0f;
    }
  }

  /** Rows of at least a vector of output columns, 3x3 or 5x5. */
  @Override
  public boolean prefersStride2(int k, int cols) {
    return (k == 3 || k == 5) && cols >= V;
  }

  @Override
  public int stride2Scratch(int k, int cols) {
    // k input row buffers and a row of zeros, each padded and with a vector of slack; the weights
    // as k * k vectors; the full-resolution row
    return (k + 1) * stride2Width(k, cols) + k * k * V + 2 * cols + 2 * V;
  }

  private static int stride2Width(int k, int cols) {
    return 2 * cols + k - 1 + 2 * V;
  }

  /**
   * Each output row as a full-resolution row at stride 1 (k * k contiguous loads and FMAs per
   * vector of columns, from zero-padded copies of the input rows, each input row copied once into a
   * ring of k buffers), then its even columns picked with two shuffles and a blend: the stride-2
   * split then costs a quarter of splitting every input row into both phases. The weights are
   * expanded into vectors in tmp, so the taps load them (a broadcast per tap would take the FMA's
   * second port).
   */
  @Override
  public void stride2(
      float[] y,
      int yOff,
      int rows,
      int cols,
      float[] x,
      int xOff,
      int inRows,
      int k,
      float[] w,
      int wOff,
      float bias,
      float lo,
      float hi,
      float[] tmp,
      int tmpOff) {
    if (!prefersStride2(k, cols)) {
      DepthwiseKernel.super.stride2(
          y, yOff, rows, cols, x, xOff, inRows, k, w, wOff, bias, lo, hi, tmp, tmpOff);
      return;
    }
    int pad = (k - 1) / 2;
    int iw = 2 * cols;
    int wb = stride2Width(k, cols);
    int zero = tmpOff + k * wb;
    int wv = zero + wb;
    int z = wv + k * k * V;
    java.util.Arrays.fill(tmp, tmpOff, wv, 0f); // the buffers' padding and the row of zeros
    for (int t = 0; t < k * k; t++) {
      FloatVector.broadcast(S, w[wOff + t]).intoArray(tmp, wv + t * V);
    }
    int copied = -1; // input rows up to here are in the ring
    int lastZ = iw - V;
    for (int r = 0; r < rows; r++) {
      int top = 2 * r - pad;
      for (int ih = Math.max(copied + 1, top); ih < Math.min(top + k, inRows); ih++) {
        if (ih >= 0) { // the row's interior; its padding columns stay zero
          copyRow(tmp, tmpOff + ih % k * wb + pad, x, xOff + ih * iw, lastZ);
        }
        copied = ih;
      }
      int s0 = source(top, inRows, k, tmpOff, wb, zero);
      int s1 = source(top + 1, inRows, k, tmpOff, wb, zero);
      int s2 = source(top + 2, inRows, k, tmpOff, wb, zero);
      if (k == 3) {
        zRow3(tmp, z, s0, s1, s2, wv, lastZ, bias);
      } else {
        int s3 = source(top + 3, inRows, k, tmpOff, wb, zero);
        int s4 = source(top + 4, inRows, k, tmpOff, wb, zero);
        zRow5(tmp, z, s0, s1, s2, s3, s4, wv, lastZ, bias);
      }
      pickEven(y, yOff + r * cols, tmp, z, cols, lo, hi);
    }
  }

  /**
   * Where input row ih sits for stride2: its ring buffer, or the row of zeros outside the plane.
   */
  private static int source(int ih, int inRows, int k, int ring, int wb, int zero) {
    return ih < 0 || ih >= inRows ? zero : ring + ih % k * wb;
  }

  /** Copies lastZ + V floats (at least V) a vector at a time, the last overlapping. */
  private static void copyRow(float[] dst, int d, float[] x, int src, int lastZ) {
    for (int i = 0; ; i += V) {
      if (i > lastZ) {
        i = lastZ;
      }
      FloatVector.fromArray(S, x, src + i).intoArray(dst, d + i);
      if (i == lastZ) {
        return;
      }
    }
  }

  /** {@code y[d + i] = clamp(t[z + 2i])} for i in [0, cols), cols >= V. */
  private static void pickEven(float[] y, int d, float[] t, int z, int cols, float lo, float hi) {
    FloatVector l = FloatVector.broadcast(S, lo);
    FloatVector h = FloatVector.broadcast(S, hi);
    boolean clamped = lo != Float.NEGATIVE_INFINITY || hi != Float.POSITIVE_INFINITY;
    int last = cols - V;
    for (int i = 0; ; i += V) {
      if (i > last) {
        i = last;
      }
      FloatVector e0 = FloatVector.fromArray(S, t, z + 2 * i);
      FloatVector e1 = FloatVector.fromArray(S, t, z + 2 * i + V);
      FloatVector e = e0.rearrange(EVEN_LO).blend(e1.rearrange(EVEN_HI), HIGH);
      (clamped ? e.blend(l, e.lt(l)).blend(h, h.lt(e)) : e).intoArray(y, d + i);
      if (i == last) {
        return;
      }
    }
  }

  /** 3x3 full-resolution row z[c], c in [0, lastZ + V), from rows at s0.. of t (see stride2). */
  private static void zRow3(
      float[] t, int z, int s0, int s1, int s2, int wv, int lastZ, float bias) {
    FloatVector b = FloatVector.broadcast(S, bias);
    FloatVector w0 = FloatVector.fromArray(S, t, wv + 0 * V);
    FloatVector w1 = FloatVector.fromArray(S, t, wv + 1 * V);
    FloatVector w2 = FloatVector.fromArray(S, t, wv + 2 * V);
    FloatVector w3 = FloatVector.fromArray(S, t, wv + 3 * V);
    FloatVector w4 = FloatVector.fromArray(S, t, wv + 4 * V);
    FloatVector w5 = FloatVector.fromArray(S, t, wv + 5 * V);
    FloatVector w6 = FloatVector.fromArray(S, t, wv + 6 * V);
    FloatVector w7 = FloatVector.fromArray(S, t, wv + 7 * V);
    FloatVector w8 = FloatVector.fromArray(S, t, wv + 8 * V);
    for (int c = 0; ; c += V) {
      if (c > lastZ) {
        c = lastZ;
      }
      FloatVector a = b;
      a = FloatVector.fromArray(S, t, s0 + c).fma(w0, a);
      a = FloatVector.fromArray(S, t, s0 + c + 1).fma(w1, a);
      a = FloatVector.fromArray(S, t, s0 + c + 2).fma(w2, a);
      a = FloatVector.fromArray(S, t, s1 + c).fma(w3, a);
      a = FloatVector.fromArray(S, t, s1 + c + 1).fma(w4, a);
      a = FloatVector.fromArray(S, t, s1 + c + 2).fma(w5, a);
      a = FloatVector.fromArray(S, t, s2 + c).fma(w6, a);
      a = FloatVector.fromArray(S, t, s2 + c + 1).fma(w7, a);
      a = FloatVector.fromArray(S, t, s2 + c + 2).fma(w8, a);
      a.intoArray(t, z + c);
      if (c == lastZ) {
        return;
      }
    }
  }

  /** 5x5 full-resolution row z[c], c in [0, lastZ + V), from rows at s0.. of t (see stride2). */
  private static void zRow5(
      float[] t, int z, int s0, int s1, int s2, int s3, int s4, int wv, int lastZ, float bias) {
    FloatVector b = FloatVector.broadcast(S, bias);
    for (int c = 0; ; c += V) {
      if (c > lastZ) {
        c = lastZ;
      }
      FloatVector a = b;
      a = FloatVector.fromArray(S, t, s0 + c).fma(FloatVector.fromArray(S, t, wv + 0 * V), a);
      a = FloatVector.fromArray(S, t, s0 + c + 1).fma(FloatVector.fromArray(S, t, wv + 1 * V), a);
      a = FloatVector.fromArray(S, t, s0 + c + 2).fma(FloatVector.fromArray(S, t, wv + 2 * V), a);
      a = FloatVector.fromArray(S, t, s0 + c + 3).fma(FloatVector.fromArray(S, t, wv + 3 * V), a);
      a = FloatVector.fromArray(S, t, s0 + c + 4).fma(FloatVector.fromArray(S, t, wv + 4 * V), a);
      a = FloatVector.fromArray(S, t, s1 + c).fma(FloatVector.fromArray(S, t, wv + 5 * V), a);
      a = FloatVector.fromArray(S, t, s1 + c + 1).fma(FloatVector.fromArray(S, t, wv + 6 * V), a);
      a = FloatVector.fromArray(S, t, s1 + c + 2).fma(FloatVector.fromArray(S, t, wv + 7 * V), a);
      a = FloatVector.fromArray(S, t, s1 + c + 3).fma(FloatVector.fromArray(S, t, wv + 8 * V), a);
      a = FloatVector.fromArray(S, t, s1 + c + 4).fma(FloatVector.fromArray(S, t, wv + 9 * V), a);
      a = FloatVector.fromArray(S, t, s2 + c).fma(FloatVector.fromArray(S, t, wv + 10 * V), a);
      a = FloatVector.fromArray(S, t, s2 + c + 1).fma(FloatVector.fromArray(S, t, wv + 11 * V), a);
      a = FloatVector.fromArray(S, t, s2 + c + 2).fma(FloatVector.fromArray(S, t, wv + 12 * V), a);
      a = FloatVector.fromArray(S, t, s2 + c + 3).fma(FloatVector.fromArray(S, t, wv + 13 * V), a);
      a = FloatVector.fromArray(S, t, s2 + c + 4).fma(FloatVector.fromArray(S, t, wv + 14 * V), a);
      a = FloatVector.fromArray(S, t, s3 + c).fma(FloatVector.fromArray(S, t, wv + 15 * V), a);
      a = FloatVector.fromArray(S, t, s3 + c + 1).fma(FloatVector.fromArray(S, t, wv + 16 * V), a);
      a = FloatVector.fromArray(S, t, s3 + c + 2).fma(FloatVector.fromArray(S, t, wv + 17 * V), a);
      a = FloatVector.fromArray(S, t, s3 + c + 3).fma(FloatVector.fromArray(S, t, wv + 18 * V), a);
      a = FloatVector.fromArray(S, t, s3 + c + 4).fma(FloatVector.fromArray(S, t, wv + 19 * V), a);
      a = FloatVector.fromArray(S, t, s4 + c).fma(FloatVector.fromArray(S, t, wv + 20 * V), a);
      a = FloatVector.fromArray(S, t, s4 + c + 1).fma(FloatVector.fromArray(S, t, wv + 21 * V), a);
      a = FloatVector.fromArray(S, t, s4 + c + 2).fma(FloatVector.fromArray(S, t, wv + 22 * V), a);
      a = FloatVector.fromArray(S, t, s4 + c + 3).fma(FloatVector.fromArray(S, t, wv + 23 * V), a);
      a = FloatVector.fromArray(S, t, s4 + c + 4).fma(FloatVector.fromArray(S, t, wv + 24 * V), a);
      a.intoArray(t, z + c);
      if (c == lastZ) {
        return;
      }
    }
  }

  /**
   * Planes over half a vector wide (14x14 planes: 240 channels 41 us against 72 interleaved; 7x7
   * planes run as fast interleaved).
   */
  @Override
  public boolean prefersRows5x5(int rows, int cols) {
    return 2 * cols > V;
  }

  @Override
  public int lanes() {
    return V;
  }

  /** One gather per pixel: lane l from channel plane {@code index[l]}. */
  @Override
  public void interleave(float[] dst, int dOff, float[] x, int xOff, int step, int[] index, int n) {
    for (int p = 0; p < n; p++) {
      FloatVector.fromArray(S, x, xOff + p * step, index, 0).intoArray(dst, dOff + p * V);
    }
  }

  /**
   * One gather through the map per lane and V pixels, pixel blocks outside, lanes inside, the last
   * block overlapping; runs shorter than V go to the reference.
   */
  @Override
  public void deinterleave(
      float[] y, int yOff, int plane, float[] src, int sOff, int[] map, int n, int count) {
    if (n < V) {
      DepthwiseKernel.super.deinterleave(y, yOff, plane, src, sOff, map, n, count);
      return;
    }
    int last = n - V;
    for (int k = 0; ; k += V) {
      if (k > last) {
        k = last;
      }
      // all lanes of these V pixels while their V source lines are in L1
      for (int l = 0; l < count; l++) {
        FloatVector.fromArray(S, src, sOff + l, map, k).intoArray(y, yOff + l * plane + k);
      }
      if (k == last) {
        break;
      }
    }
  }

  /**
   * As {@link #taps} with per-lane weight vectors: four vectors (pixels) per step, the last step
   * overlapping; 3x3 over a counted loop with the weights in registers ({@link #taps9Interleaved}).
   */
  @Override
  public void tapsInterleaved(
      float[] out,
      int outOff,
      int n,
      float[] p,
      int pOff,
      int[] taps,
      float[] wb,
      int wbOff,
      float lo,
      float hi) {
    int nt = taps.length;
    if (nt == 9 && n >= 4) {
      taps9Interleaved(out, outOff, n, p, pOff, taps, wb, wbOff, lo, hi);
      return;
    }
    FloatVector b = FloatVector.fromArray(S, wb, wbOff + nt * V);
    FloatVector l = FloatVector.broadcast(S, lo);
    FloatVector h = FloatVector.broadcast(S, hi);
    int size = n * V;
    int f = 0;
    if (n >= 4) {
      int last = size - 4 * V;
      while (true) {
        FloatVector a0 = b;
        FloatVector a1 = b;
        FloatVector a2 = b;
        FloatVector a3 = b;
        for (int t = 0; t < nt; t++) {
          FloatVector wv = FloatVector.fromArray(S, wb, wbOff + t * V);
          int q = pOff + taps[t] + f;
          a0 = FloatVector.fromArray(S, p, q).fma(wv, a0);
          a1 = FloatVector.fromArray(S, p, q + V).fma(wv, a1);
          a2 = FloatVector.fromArray(S, p, q + 2 * V).fma(wv, a2);
          a3 = FloatVector.fromArray(S, p, q + 3 * V).fma(wv, a3);
        }
        int d = outOff + f;
        a0.blend(l, a0.lt(l)).blend(h, h.lt(a0)).intoArray(out, d);
        a1.blend(l, a1.lt(l)).blend(h, h.lt(a1)).intoArray(out, d + V);
        a2.blend(l, a2.lt(l)).blend(h, h.lt(a2)).intoArray(out, d + 2 * V);
        a3.blend(l, a3.lt(l)).blend(h, h.lt(a3)).intoArray(out, d + 3 * V);
        if (f == last) {
          return;
        }
        f = Math.min(f + 4 * V, last);
      }
    }
    for (; f < size; f += V) {
      FloatVector a = b;
      for (int t = 0; t < nt; t++) {
        a =
            FloatVector.fromArray(S, p, pOff + taps[t] + f)
                .fma(FloatVector.fromArray(S, wb, wbOff + t * V), a);
      }
      a.blend(l, a.lt(l)).blend(h, h.lt(a)).intoArray(out, outOff + f);
    }
  }

  /** {@link #tapsInterleaved} for nine taps and {@code n >= 4}: as {@link #taps9x4}. */
  private static void taps9Interleaved(
      float[] out,
      int outOff,
      int n,
      float[] p,
      int pOff,
      int[] taps,
      float[] wb,
      int wbOff,
      float lo,
      float hi) {
    int o0 = pOff + taps[0];
    int o1 = pOff + taps[1];
    int o2 = pOff + taps[2];
    int o3 = pOff + taps[3];
    int o4 = pOff + taps[4];
    int o5 = pOff + taps[5];
    int o6 = pOff + taps[6];
    int o7 = pOff + taps[7];
    int o8 = pOff + taps[8];
    FloatVector w0 = FloatVector.fromArray(S, wb, wbOff);
    FloatVector w1 = FloatVector.fromArray(S, wb, wbOff + V);
    FloatVector w2 = FloatVector.fromArray(S, wb, wbOff + 2 * V);
    FloatVector w3 = FloatVector.fromArray(S, wb, wbOff + 3 * V);
    FloatVector w4 = FloatVector.fromArray(S, wb, wbOff + 4 * V);
    FloatVector w5 = FloatVector.fromArray(S, wb, wbOff + 5 * V);
    FloatVector w6 = FloatVector.fromArray(S, wb, wbOff + 6 * V);
    FloatVector w7 = FloatVector.fromArray(S, wb, wbOff + 7 * V);
    FloatVector w8 = FloatVector.fromArray(S, wb, wbOff + 8 * V);
    FloatVector b = FloatVector.fromArray(S, wb, wbOff + 9 * V);
    FloatVector l = FloatVector.broadcast(S, lo);
    FloatVector h = FloatVector.broadcast(S, hi);
    int last = n * V - 4 * V;
    for (int f = 0; ; f += 4 * V) {
      if (f > last) {
        f = last; // the overlapping last step
      }
      FloatVector a0 = FloatVector.fromArray(S, p, o0 + f).fma(w0, b);
      FloatVector a1 = FloatVector.fromArray(S, p, o0 + f + V).fma(w0, b);
      FloatVector a2 = FloatVector.fromArray(S, p, o0 + f + 2 * V).fma(w0, b);
      FloatVector a3 = FloatVector.fromArray(S, p, o0 + f + 3 * V).fma(w0, b);
      a0 = FloatVector.fromArray(S, p, o1 + f).fma(w1, a0);
      a1 = FloatVector.fromArray(S, p, o1 + f + V).fma(w1, a1);
      a2 = FloatVector.fromArray(S, p, o1 + f + 2 * V).fma(w1, a2);
      a3 = FloatVector.fromArray(S, p, o1 + f + 3 * V).fma(w1, a3);
      a0 = FloatVector.fromArray(S, p, o2 + f).fma(w2, a0);
      a1 = FloatVector.fromArray(S, p, o2 + f + V).fma(w2, a1);
      a2 = FloatVector.fromArray(S, p, o2 + f + 2 * V).fma(w2, a2);
      a3 = FloatVector.fromArray(S, p, o2 + f + 3 * V).fma(w2, a3);
      a0 = FloatVector.fromArray(S, p, o3 + f).fma(w3, a0);
      a1 = FloatVector.fromArray(S, p, o3 + f + V).fma(w3, a1);
      a2 = FloatVector.fromArray(S, p, o3 + f + 2 * V).fma(w3, a2);
      a3 = FloatVector.fromArray(S, p, o3 + f + 3 * V).fma(w3, a3);
      a0 = FloatVector.fromArray(S, p, o4 + f).fma(w4, a0);
      a1 = FloatVector.fromArray(S, p, o4 + f + V).fma(w4, a1);
      a2 = FloatVector.fromArray(S, p, o4 + f + 2 * V).fma(w4, a2);
      a3 = FloatVector.fromArray(S, p, o4 + f + 3 * V).fma(w4, a3);
      a0 = FloatVector.fromArray(S, p, o5 + f).fma(w5, a0);
      a1 = FloatVector.fromArray(S, p, o5 + f + V).fma(w5, a1);
      a2 = FloatVector.fromArray(S, p, o5 + f + 2 * V).fma(w5, a2);
      a3 = FloatVector.fromArray(S, p, o5 + f + 3 * V).fma(w5, a3);
      a0 = FloatVector.fromArray(S, p, o6 + f).fma(w6, a0);
      a1 = FloatVector.fromArray(S, p, o6 + f + V).fma(w6, a1);
      a2 = FloatVector.fromArray(S, p, o6 + f + 2 * V).fma(w6, a2);
      a3 = FloatVector.fromArray(S, p, o6 + f + 3 * V).fma(w6, a3);
      a0 = FloatVector.fromArray(S, p, o7 + f).fma(w7, a0);
      a1 = FloatVector.fromArray(S, p, o7 + f + V).fma(w7, a1);
      a2 = FloatVector.fromArray(S, p, o7 + f + 2 * V).fma(w7, a2);
      a3 = FloatVector.fromArray(S, p, o7 + f + 3 * V).fma(w7, a3);
      a0 = FloatVector.fromArray(S, p, o8 + f).fma(w8, a0);
      a1 = FloatVector.fromArray(S, p, o8 + f + V).fma(w8, a1);
      a2 = FloatVector.fromArray(S, p, o8 + f + 2 * V).fma(w8, a2);
      a3 = FloatVector.fromArray(S, p, o8 + f + 3 * V).fma(w8, a3);
      a0.blend(l, a0.lt(l)).blend(h, h.lt(a0)).intoArray(out, outOff + f);
      a1.blend(l, a1.lt(l)).blend(h, h.lt(a1)).intoArray(out, outOff + f + V);
      a2.blend(l, a2.lt(l)).blend(h, h.lt(a2)).intoArray(out, outOff + f + 2 * V);
      a3.blend(l, a3.lt(l)).blend(h, h.lt(a3)).intoArray(out, outOff + f + 3 * V);
      if (f == last) {
        return;
      }
    }
  }

  /** Lanes {@code 2i + parity} moved to lane i of the low (or j + V/2 of the high) half. */
  private static VectorShuffle<Float> halves(int parity, boolean low) {
    int h = V / 2;
    return VectorShuffle.fromOp(
        S, i -> low ? (i < h ? 2 * i + parity : parity) : (i < h ? parity : 2 * (i - h) + parity));
  }
}
