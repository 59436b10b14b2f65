package dev.bnfold.runtime.kernels;

/**
 * The tile transforms of {@link Winograd} F(4x4, 3x3). Implementations: {@link Winograd#SCALAR}
 * (plain Java, the reference) and, when the {@code jdk.incubator.vector} module is present, {@code
 * vector.VectorWinograd} (input tiles 8 at a time, output channels a vector at a time).
 */
public interface WinogradTransforms {
  /**
   * Input transform of tiles {@code [t, t+nt)} of {@code nc} channels, {@code t} a multiple of mr:
   * tile {@code t+i} of channel k reads the 6x6 window at {@code p[pOff + k*planeStride + offs[t+i]
   * + r*rs + c]} (zero-padded planes, see {@link Winograd}) and writes {@code (B^T d B)[xi]} to
   * {@code v[d + k*mr + (i/mr)*panelStride + i%mr + xi*vStride]} (packed A panels of mr rows).
   * {@code offs} has entries up to the next multiple of mr past {@code t+nt}, which must point
   * inside the planes (their results are rows of padding). Uses {@link #TMP_INPUT} floats of {@code
   * tmp} at {@code tmpOff}.
   */
  void input(
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
      int tmpOff);

  /** Floats of scratch {@link #input} may use: two (6, 6) windows of 16 lanes. */
  int TMP_INPUT = 72 * 16;

  /**
   * Output transform of tiles {@code [t, t+nt)} of one tile row for output channels {@code [o0,
   * o1)}: for tile i, {@code A^T m A} of the 36 values {@code mx[s + i*ldm + xi*mStride + o]}, plus
   * {@code b[bOff + o]} (b may be null) and {@code add[y index + aDelta]} (add may be null),
   * clamped to {@code [lo, hi]}, stored to {@code y[yt + o*plane + r*ow1 + 4i + c]} for the first
   * {@code rows} rows and the first {@code cols} columns of the row of tiles ({@code 4(nt-1) < cols
   * <= 4nt}). Uses {@link #TMP_OUTPUT} floats of {@code tmp} at {@code tmpOff}.
   */
  void output(
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
      int tmpOff);

  /** Floats of scratch {@link #output} may use: (6, 4) and (4, 4) tiles of 16 lanes. */
  int TMP_OUTPUT = 40 * 16;
}
