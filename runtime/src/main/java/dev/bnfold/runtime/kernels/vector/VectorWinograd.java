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
      FloatVector vlo = FloatVector.broadcast(S, lo);
      FloatVector vhi = FloatVector.broadcast(S, hi);
      for (; oc + V <= o1; oc += V) {
        // rows first: f = m A, (6, 4) vectors into tmp
        for (int r = 0; r < 6; r++) {
          int m = s + 6 * r * mStride + oc;
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
          int f = tmpOff + r * 4 * V;
          m0.add(a).add(c).intoArray(tmp, f);
          bb.add(dd.mul(2f)).intoArray(tmp, f + V);
          a.add(c.mul(4f)).intoArray(tmp, f + 2 * V);
          bb.add(dd.mul(8f)).add(m5).intoArray(tmp, f + 3 * V);
        }
        FloatVector bias = b == null ? FloatVector.zero(S) : FloatVector.fromArray(S, b, bOff + oc);
        // then columns: A^T f, biased and (without a residual) clamped, to tmp as (4, 4, V)
        int out = tmpOff + 24 * V;
        for (int k = 0; k < 4; k++) {
          int f = tmpOff + k * V;
          FloatVector f0 = FloatVector.fromArray(S, tmp, f);
          FloatVector f1 = FloatVector.fromArray(S, tmp, f + 4 * V);
          FloatVector f2 = FloatVector.fromArray(S, tmp, f + 8 * V);
          FloatVector f3 = FloatVector.fromArray(S, tmp, f + 12 * V);
          FloatVector f4 = FloatVector.fromArray(S, tmp, f + 16 * V);
          FloatVector f5 = FloatVector.fromArray(S, tmp, f + 20 * V);
          FloatVector a = f1.add(f2);
          FloatVector bb = f1.sub(f2);
          FloatVector c = f3.add(f4);
          FloatVector dd = f3.sub(f4);
          finish(f0.add(a).add(c), bias, add, vlo, vhi).intoArray(tmp, out + k * V);
          finish(bb.add(dd.mul(2f)), bias, add, vlo, vhi).intoArray(tmp, out + (4 + k) * V);
          finish(a.add(c.mul(4f)), bias, add, vlo, vhi).intoArray(tmp, out + (8 + k) * V);
          finish(bb.add(dd.mul(8f)).add(f5), bias, add, vlo, vhi)
              .intoArray(tmp, out + (12 + k) * V);
        }
        // scatter by plain stores: a vector scatter (intoArray with an index map) measured slower
        for (int n = 0; n < V; n++) {
          int yc = yt + (oc + n) * plane;
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
    if (oc < o1) {
      Winograd.SCALAR.output(
          y, yt, ow1, plane, rows, cols, mx, s, mStride, oc, o1, b, bOff, add, aDelta, lo, hi,
          lanes, tmp, tmpOff);
    }
  }

  /** o + bias, clamped to [lo, hi] unless a residual is still to be added. */
  private static FloatVector finish(
      FloatVector o, FloatVector bias, float[] add, FloatVector lo, FloatVector hi) {
    FloatVector val = o.add(bias);
    return add == null ? val.max(lo).min(hi) : val;
  }
}
