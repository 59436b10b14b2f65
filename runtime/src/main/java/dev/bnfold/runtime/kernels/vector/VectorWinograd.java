package dev.bnfold.runtime.kernels.vector;

import dev.bnfold.runtime.kernels.Winograd;
import dev.bnfold.runtime.kernels.WinogradTransforms;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

/**
 * Vector API Winograd F(4x4, 3x3) transforms (formulas in {@code Winograd}). Input: one vector
 * holds the mr tiles of an A panel row for {@code V / mr} consecutive channels, which are adjacent
 * in the packed panel, so each of the 36 results is one contiguous store; the tiles' windows are
 * copied lane-interleaved into a small buffer with plain loads first. Output: one vector of output
 * channels per step, whose 36 inputs are contiguous in Mx; the 16 results are stored to the output
 * planes, with bias, residual and clamp applied on the way. Other panel heights and channel tails
 * go to {@link Winograd#SCALAR}.
 *
 * <p>Everything uses the one preferred species: on JDK 17 a second shape in the same JVM (a 256-bit
 * input side next to the 512-bit GEMM kernel) made C2 stop intrinsifying the vector operations of
 * the GEMM micro-kernel too, which then ran boxed, some 30x slower.
 */
final class VectorWinograd implements WinogradTransforms {
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
      int planeStride,
      int nc,
      int rs,
      int[] offs,
      int t,
      int nt,
      float[] tmp,
      int tmpOff) {
    int k = 0;
    if (V <= 16 && V % mr == 0 && V / mr <= nc) {
      int cpv = V / mr; // channels per vector
      for (; k + cpv <= nc; k += cpv) {
        for (int i = 0; i < nt; i += mr) {
          inputCopy(p, pOff + k * planeStride, planeStride, cpv, mr, rs, offs, t + i, tmp, tmpOff);
          inputColumns(tmp, tmpOff);
          inputRows(tmp, tmpOff, v, d + k * mr + i / mr * panelStride, vStride);
        }
      }
    }
    if (k < nc) {
      Winograd.SCALAR.input(
          v,
          d + k * mr,
          vStride,
          mr,
          panelStride,
          p,
          pOff + k * planeStride,
          planeStride,
          nc - k,
          rs,
          offs,
          t,
          nt,
          tmp,
          tmpOff);
    }
  }

  /**
   * The 6x6 windows of tiles {@code [t, t+mr)} of {@code cpv} channels (planes {@code planeStride}
   * apart), lane-interleaved: element (r, j) of channel k's tile l to {@code tmp[g0 + (6r + j) * V
   * + k * mr + l]}, {@code g0 = e0 + 36 V}.
   */
  private static void inputCopy(
      float[] p,
      int pOff,
      int planeStride,
      int cpv,
      int mr,
      int rs,
      int[] offs,
      int t,
      float[] tmp,
      int e0) {
    int g0 = e0 + 36 * V;
    for (int k = 0; k < cpv; k++) {
      for (int l = 0; l < mr; l++) {
        int o = pOff + k * planeStride + offs[t + l];
        int dst = g0 + k * mr + l;
        for (int r = 0; r < 6; r++) {
          int src = o + r * rs;
          int dr = dst + r * 6 * V;
          tmp[dr] = p[src];
          tmp[dr + V] = p[src + 1];
          tmp[dr + 2 * V] = p[src + 2];
          tmp[dr + 3 * V] = p[src + 3];
          tmp[dr + 4 * V] = p[src + 4];
          tmp[dr + 5 * V] = p[src + 5];
        }
      }
    }
  }

  // The passes below take and return arrays only, and each spells the combination out: vectors
  // passed to a helper method were boxed whenever C2 declined to inline it (in whole models).

  /**
   * Columns first: {@code e = B^T d} of the copied windows, column j of row k to {@code tmp[e0 +
   * (6k + j) * V]} (the order of operations of the scalar {@code Winograd.inputRow}, so both round
   * alike).
   */
  private static void inputColumns(float[] tmp, int e0) {
    int g0 = e0 + 36 * V;
    for (int j = 0; j < 6; j++) {
      int s = g0 + j * V;
      FloatVector d0 = FloatVector.fromArray(S, tmp, s);
      FloatVector d1 = FloatVector.fromArray(S, tmp, s + 6 * V);
      FloatVector d2 = FloatVector.fromArray(S, tmp, s + 12 * V);
      FloatVector d3 = FloatVector.fromArray(S, tmp, s + 18 * V);
      FloatVector d4 = FloatVector.fromArray(S, tmp, s + 24 * V);
      FloatVector d5 = FloatVector.fromArray(S, tmp, s + 30 * V);
      FloatVector p = d4.sub(d2.mul(4f));
      FloatVector q = d3.sub(d1.mul(4f));
      FloatVector r = d4.sub(d2);
      FloatVector w = d3.sub(d1).mul(2f);
      int e = e0 + j * V;
      d0.mul(4f).sub(d2.mul(5f)).add(d4).intoArray(tmp, e);
      p.add(q).intoArray(tmp, e + 6 * V);
      p.sub(q).intoArray(tmp, e + 12 * V);
      r.add(w).intoArray(tmp, e + 18 * V);
      r.sub(w).intoArray(tmp, e + 24 * V);
      d1.mul(4f).sub(d3.mul(5f)).add(d5).intoArray(tmp, e + 30 * V);
    }
  }

  /** Then rows: {@code (B^T d) B}, row k's six results to {@code v[d + (6k + j) * vStride]}. */
  private static void inputRows(float[] tmp, int e0, float[] v, int d, int vStride) {
    for (int k = 0; k < 6; k++) {
      int e = e0 + k * 6 * V;
      FloatVector d0 = FloatVector.fromArray(S, tmp, e);
      FloatVector d1 = FloatVector.fromArray(S, tmp, e + V);
      FloatVector d2 = FloatVector.fromArray(S, tmp, e + 2 * V);
      FloatVector d3 = FloatVector.fromArray(S, tmp, e + 3 * V);
      FloatVector d4 = FloatVector.fromArray(S, tmp, e + 4 * V);
      FloatVector d5 = FloatVector.fromArray(S, tmp, e + 5 * V);
      FloatVector p = d4.sub(d2.mul(4f));
      FloatVector q = d3.sub(d1.mul(4f));
      FloatVector r = d4.sub(d2);
      FloatVector w = d3.sub(d1).mul(2f);
      int o = d + 6 * k * vStride;
      d0.mul(4f).sub(d2.mul(5f)).add(d4).intoArray(v, o);
      p.add(q).intoArray(v, o + vStride);
      p.sub(q).intoArray(v, o + 2 * vStride);
      r.add(w).intoArray(v, o + 3 * vStride);
      r.sub(w).intoArray(v, o + 4 * vStride);
      d1.mul(4f).sub(d3.mul(5f)).add(d5).intoArray(v, o + 5 * vStride);
    }
  }

  @Override
  public void output(
      float[] y,
      int yt,
      int ow1,
      int plane,
      int rows,
      int cols,
      int nt,
      float[] mx,
      int s,
      int ldm,
      int mStride,
      int o0,
      int o1,
      float[] b,
      int bOff,
      float[] add,
      int aDelta,
      float lo,
      float hi,
      float[] tmp,
      int tmpOff) {
    int oc = o0;
    if (V <= 16) {
      int out = tmpOff + 24 * V;
      // channels outer, tiles inner: the V output rows of the run of tiles (and of the addend)
      // stay in L1 until the residual pass below has been over them
      for (; oc + V <= o1; oc += V) {
        int yc = yt + oc * plane;
        for (int i = 0; i < nt; i++) {
          rowsPass(mx, s + i * ldm + oc, mStride, tmp, tmpOff);
          columnsPass(tmp, tmpOff, out, b, bOff + oc, add == null, lo, hi);
          copyOut(y, yc + 4 * i, ow1, plane, rows, Math.min(4, cols - 4 * i), tmp, out);
        }
        if (add != null) {
          for (int n = 0; n < V; n++) {
            int yn = yc + n * plane;
            if (cols == ow1) { // whole rows: one contiguous run (14 columns are too few alone)
              addClamp(y, yn, add, yn + aDelta, rows * ow1, lo, hi);
              continue;
            }
            for (int r = 0; r < rows; r++) {
              int yr = yn + r * ow1;
              addClamp(y, yr, add, yr + aDelta, cols, lo, hi);
            }
          }
        }
      }
    }
    if (oc < o1) {
      Winograd.SCALAR.output(
          y, yt, ow1, plane, rows, cols, nt, mx, s, ldm, mStride, oc, o1, b, bOff, add, aDelta, lo,
          hi, tmp, tmpOff);
    }
  }

  /** {@code y[yr..yr+n) = min(max(y + add[ar..], lo), hi)}, a vector at a time. */
  private static void addClamp(float[] y, int yr, float[] add, int ar, int n, float lo, float hi) {
    int j = 0;
    if (n >= V) {
      FloatVector vlo = FloatVector.broadcast(S, lo);
      FloatVector vhi = FloatVector.broadcast(S, hi);
      for (; j + V <= n; j += V) {
        FloatVector v =
            FloatVector.fromArray(S, y, yr + j).add(FloatVector.fromArray(S, add, ar + j));
        v.blend(vlo, v.lt(vlo)).blend(vhi, vhi.lt(v)).intoArray(y, yr + j);
      }
    }
    for (; j < n; j++) {
      y[yr + j] = Math.min(Math.max(y[yr + j] + add[ar + j], lo), hi);
    }
  }

  // The output passes, too, are separate methods: one method holding all of them exceeded C2's
  // inlining budget on JDK 17, and its vector helpers ran boxed.

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
      // clamps as compare-and-blend: Math.max/min semantics cost six instructions a bound
      FloatVector o0 = g0.add(a).add(c).add(bias);
      FloatVector o1 = bb.add(dd.mul(2f)).add(bias);
      FloatVector o2 = a.add(c.mul(4f)).add(bias);
      FloatVector o3 = bb.add(dd.mul(8f)).add(g5).add(bias);
      o0.blend(vlo, o0.lt(vlo)).blend(vhi, vhi.lt(o0)).intoArray(tmp, out + k * V);
      o1.blend(vlo, o1.lt(vlo)).blend(vhi, vhi.lt(o1)).intoArray(tmp, out + (4 + k) * V);
      o2.blend(vlo, o2.lt(vlo)).blend(vhi, vhi.lt(o2)).intoArray(tmp, out + (8 + k) * V);
      o3.blend(vlo, o3.lt(vlo)).blend(vhi, vhi.lt(o3)).intoArray(tmp, out + (12 + k) * V);
    }
  }

  /**
   * Plain stores of the (4, 4, V) results to V output planes (a vector scatter measured slower).
   */
  private static void copyOut(
      float[] y, int yc0, int ow1, int plane, int rows, int cols, float[] tmp, int out) {
    for (int n = 0; n < V; n++) {
      int yc = yc0 + n * plane;
      for (int i = 0; i < rows; i++) {
        int yr = yc + i * ow1;
        int src = out + i * 4 * V + n;
        for (int j = 0; j < cols; j++) {
          y[yr + j] = tmp[src + j * V];
        }
      }
    }
  }
}
