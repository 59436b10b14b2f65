package dev.bnfold.runtime.kernels.vector;

import dev.bnfold.runtime.kernels.Winograd;
import dev.bnfold.runtime.kernels.WinogradTransforms;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

/**
 * Vector API Winograd F(4x4, 3x3) transforms (formulas in {@code Winograd}). Input: eight tiles per
 * vector, which is one row of an 8-row A panel, so each of the 36 results is one contiguous store;
 * the tiles' windows are gathered from the zero-padded plane through the tile offsets. Output: one
 * vector of output channels per step, whose 36 inputs are contiguous in Mx; the 16 results are
 * scattered to the output planes (lane i at {@code i * plane}), with bias, residual and clamp
 * applied on the way. Other panel heights and channel tails go to {@link Winograd#SCALAR}.
 */
final class VectorWinograd implements WinogradTransforms {
  private static final VectorSpecies<Float> S8 = FloatVector.SPECIES_256;
  private static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;
  private static final int V = S.length();

  VectorWinograd() {}

  @Override
  public void input(
      float[] v,
      int d,
      int vStride,
      int mr,
      int panelStride,
      float[] p,
      int pOff,
      int rs,
      int[] offs,
      int t,
      int nt,
      float[] tmp,
      int tmpOff) {
    // gathering the windows of 8 tiles (FloatVector.fromArray with an index map) measured 8x
    // slower than the plain-Java transform on JDK 17, so the input side stays scalar
    Winograd.SCALAR.input(v, d, vStride, mr, panelStride, p, pOff, rs, offs, t, nt, tmp, tmpOff);
  }

  @Override
  public void output(
      float[] y,
      int yt,
      int ow1,
      int plane,
      int rows,
      int cols,
      float[] mx,
      int s,
      int mStride,
      int o0,
      int o1,
      float[] b,
      int bOff,
      float[] add,
      int aDelta,
      float lo,
      float hi,
      int[] lanes,
      float[] tmp,
      int tmpOff) {
    int oc = o0;
    if (V <= 16) {
      int out = tmpOff + 24 * V;
      for (; oc + V <= o1; oc += V) {
        rowsPass(mx, s + oc, mStride, tmp, tmpOff);
        columnsPass(tmp, tmpOff, out, b, bOff + oc, add == null, lo, hi);
        copyOut(y, yt + oc * plane, ow1, plane, rows, cols, tmp, out, add, aDelta, lo, hi);
      }
    }
    if (oc < o1) {
      Winograd.SCALAR.output(
          y, yt, ow1, plane, rows, cols, mx, s, mStride, oc, o1, b, bOff, add, aDelta, lo, hi,
          lanes, tmp, tmpOff);
    }
  }

  // The passes are separate methods that take and return arrays only: one method holding all of
  // them exceeded C2's inlining budget on JDK 17, and its vector helpers ran boxed.

  /** Rows first: {@code f = m A}, (6, 4) vectors of V channels, to {@code tmp[f0..]}. */
  private static void rowsPass(float[] mx, int s, int mStride, float[] tmp, int f0) {
    for (int r = 0; r < 6; r++) {
      int m = s + 6 * r * mStride;
      FloatVector m0 = FloatVector.fromArray(S, mx, m);
      FloatVector m1 = FloatVector.fromArray(S, mx, m + mStride);
      FloatVector m2 = FloatVector.fromArray(S, mx, m + 2 * mStride);
      FloatVector m3 = FloatVector.fromArray(S, mx, m + 3 * mStride);
      FloatVector m4 = FloatVector.fromArray(S, mx, m + 4 * mStride);
      FloatVector m5 = FloatVector.fromArray(S, mx, m + 5 * mStride);
      FloatVector a = m1.add(m2);
      FloatVector bb = m1.sub(m2);
      FloatVector c = m3.add(m4);
      FloatVector dd = m3.sub(m4);
      int f = f0 + r * 4 * V;
      m0.add(a).add(c).intoArray(tmp, f);
      bb.add(dd.mul(2f)).intoArray(tmp, f + V);
      a.add(c.mul(4f)).intoArray(tmp, f + 2 * V);
      bb.add(dd.mul(8f)).add(m5).intoArray(tmp, f + 3 * V);
    }
  }

  /**
   * Then columns: {@code A^T f} plus bias (b may be null), clamped unless a residual is still to be
   * added, to {@code tmp[out..]} as (4, 4, V).
   */
  private static void columnsPass(
      float[] tmp, int f0, int out, float[] b, int bo, boolean clamp, float lo, float hi) {
    FloatVector bias = b == null ? FloatVector.zero(S) : FloatVector.fromArray(S, b, bo);
    FloatVector vlo = FloatVector.broadcast(S, clamp ? lo : Float.NEGATIVE_INFINITY);
    FloatVector vhi = FloatVector.broadcast(S, clamp ? hi : Float.POSITIVE_INFINITY);
    for (int k = 0; k < 4; k++) {
      int f = f0 + k * V;
      FloatVector g0 = FloatVector.fromArray(S, tmp, f);
      FloatVector g1 = FloatVector.fromArray(S, tmp, f + 4 * V);
      FloatVector g2 = FloatVector.fromArray(S, tmp, f + 8 * V);
      FloatVector g3 = FloatVector.fromArray(S, tmp, f + 12 * V);
      FloatVector g4 = FloatVector.fromArray(S, tmp, f + 16 * V);
      FloatVector g5 = FloatVector.fromArray(S, tmp, f + 20 * V);
      FloatVector a = g1.add(g2);
      FloatVector bb = g1.sub(g2);
      FloatVector c = g3.add(g4);
      FloatVector dd = g3.sub(g4);
      g0.add(a).add(c).add(bias).max(vlo).min(vhi).intoArray(tmp, out + k * V);
      bb.add(dd.mul(2f)).add(bias).max(vlo).min(vhi).intoArray(tmp, out + (4 + k) * V);
      a.add(c.mul(4f)).add(bias).max(vlo).min(vhi).intoArray(tmp, out + (8 + k) * V);
      bb.add(dd.mul(8f)).add(g5).add(bias).max(vlo).min(vhi).intoArray(tmp, out + (12 + k) * V);
    }
  }

  /**
   * Plain stores of the (4, 4, V) results to V output planes (a vector scatter measured slower),
   * adding the residual and clamping there when there is one.
   */
  private static void copyOut(
      float[] y,
      int yc0,
      int ow1,
      int plane,
      int rows,
      int cols,
      float[] tmp,
      int out,
      float[] add,
      int aDelta,
      float lo,
      float hi) {
    for (int n = 0; n < V; n++) {
      int yc = yc0 + n * plane;
      for (int i = 0; i < rows; i++) {
        int yr = yc + i * ow1;
        int src = out + i * 4 * V + n;
        if (add == null) {
          for (int j = 0; j < cols; j++) {
            y[yr + j] = tmp[src + j * V];
          }
        } else {
          for (int j = 0; j < cols; j++) {
            y[yr + j] = Math.min(Math.max(tmp[src + j * V] + add[yr + aDelta + j], lo), hi);
          }
        }
      }
    }
  }
}
