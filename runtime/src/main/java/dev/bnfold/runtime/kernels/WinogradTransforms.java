package dev.bnfold.runtime.kernels;

/**
 * The tile transforms of {@link Winograd} F(4x4, 3x3). Implementations: {@link Winograd#SCALAR}
 * (plain Java, the reference) and, when the {@code jdk.incubator.vector} module is present, {@code
 * vector.VectorWinograd} (input tiles 8 at a time, output channels a vector at a time).
 */
public interface WinogradTransforms {
  /**
   * Input transform of tiles {@code [t, t+nt)} of one channel, {@code t} a multiple of mr: tile
   * {@code t+i} reads the 6x6 window at {@code p[pOff + offs[t+i] + r*rs + c]} (a zero-padded
   * plane, see {@link Winograd}) and writes {@code (B^T d B)[xi]} to {@code v[d +
   * (i/mr)*panelStride + i%mr + xi*vStride]} (packed A panels of mr rows). {@code offs} has entries
   * up to the next multiple of 8 past {@code t+nt}, which must point inside the plane (their
   * results are rows of padding). Uses 288 floats of {@code tmp} at {@code tmpOff}.
   */
  void input(
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
      int tmpOff);

  /**
   * Output transform of one tile for output channels {@code [o0, o1)}: {@code A^T m A} of the 36
   * values {@code mx[s + xi*mStride + o]}, plus {@code b[bOff + o]} (b may be null) and {@code
   * add[yt + aDelta + o*plane + r*ow1 + c]} (add may be null), clamped to {@code [lo, hi]}, stored
   * to {@code y[yt + o*plane + r*ow1 + c]} for the first {@code rows} rows and {@code cols} columns
   * of the 4x4 tile. {@code lanes[i] = i * plane} for every vector lane. Uses 640 floats of {@code
   * tmp} at {@code tmpOff}.
   */
  void output(
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
      int tmpOff);
}
