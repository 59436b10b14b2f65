package dev.bnfold.runtime.kernels.vector;

import dev.bnfold.runtime.kernels.BlockedKernels;
import dev.bnfold.runtime.kernels.Epilogue;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

/**
 * Vector API kernels for the channel-blocked layout (see {@link BlockedKernels}); needs 16-lane
 * vectors (AVX-512). The pointwise tiles broadcast one input channel of a pixel per FMA row and
 * load the output channels' weights as vectors: 6 pixels x 64 channels (24 accumulators), 12 x 32
 * and 12 x 16, so a group of 64, 32 or 16 output channels covers every padded channel count. A
 * pixel range's last tile overlaps the one before instead of running a narrower kernel (the
 * recomputed pixels get the same values; the output never aliases the input or the addend).
 */
final class VectorBlocked implements BlockedKernels {
  private static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;
  private static final int ROWS_64 = 6;
  private static final int ROWS_NARROW = 12;
  private static final int STEM_ROWS = 7;
  // per thread: the gather map of toBlocked and fromBlocked
  private static final ThreadLocal<int[]> MAP = ThreadLocal.withInitial(() -> new int[BLOCK]);
  // per thread: one block of lanes, for a partial block's scale or mean
  private static final ThreadLocal<float[]> LANES = ThreadLocal.withInitial(() -> new float[BLOCK]);

  VectorBlocked() {}

  /** True if this CPU's preferred vectors hold one channel block. */
  static boolean fits() {
    return S.length() == BLOCK;
  }

  /**
   * One gather of the sixteen channels of a block per pixel (a strided scalar loop over 32 channels
   * of 112x112 took 0.47 ms, more than the depthwise conv that read the result).
   */
  @Override
  public void toBlocked(float[] dst, int dOff, float[] src, int sOff, int c, int plane) {
    int[] map = channelMap(plane);
    for (int cb = 0; cb < c; cb += BLOCK) {
      int d = dOff + cb * plane;
      int s = sOff + cb * plane;
      if (c - cb >= BLOCK) {
        for (int p = 0; p < plane; p++) {
          FloatVector.fromArray(S, src, s + p, map, 0).intoArray(dst, d + p * BLOCK);
        }
      } else { // a partial block in plain Java: JDK 17 runs masked gathers in Java, allocating
        int lanes = c - cb;
        for (int p = 0; p < plane; p++) {
          for (int l = 0; l < lanes; l++) {
            dst[d + p * BLOCK + l] = src[s + l * plane + p];
          }
          java.util.Arrays.fill(dst, d + p * BLOCK + lanes, d + (p + 1) * BLOCK, 0f);
        }
      }
    }
  }

  /** One scatter per pixel: the inverse of {@link #toBlocked}. */
  @Override
  public void fromBlocked(float[] dst, int dOff, float[] src, int sOff, int c, int plane) {
    int[] map = channelMap(plane);
    for (int cb = 0; cb < c; cb += BLOCK) {
      int d = dOff + cb * plane;
      int s = sOff + cb * plane;
      if (c - cb >= BLOCK) {
        for (int p = 0; p < plane; p++) {
          FloatVector.fromArray(S, src, s + p * BLOCK).intoArray(dst, d + p, map, 0);
        }
      } else { // a partial block in plain Java (masked scatters allocate on JDK 17)
        int lanes = c - cb;
        for (int l = 0; l < lanes; l++) {
          for (int p = 0; p < plane; p++) {
            dst[d + l * plane + p] = src[s + p * BLOCK + l];
          }
        }
      }
    }
  }

  /** This thread's index map {0, plane, 2 * plane, ...}: lane l reads channel l of a pixel. */
  private static int[] channelMap(int plane) {
    int[] map = MAP.get();
    if (map[1] != plane) {
      for (int l = 0; l < BLOCK; l++) {
        map[l] = l * plane;
      }
    }
    return map;
  }

  @Override
  public int minPlane() {
    return ROWS_NARROW;
  }

  @Override
  public void pointwise(
      float[] y,
      int yOff,
      float[] x,
      int xOff,
      float[] w,
      float[] bias,
      float[] add,
      int aOff,
      int kp,
      int np,
      int plane,
      float lo,
      float hi,
      int g0,
      int g1,
      int p0,
      int p1) {
    int pp = plane * BLOCK;
    int cs = BlockedKernels.groupStart(np, g0);
    for (int g = g0; g < g1; g++) {
      int width = BlockedKernels.groupWidth(np, cs);
      int rows = width == 64 ? ROWS_64 : ROWS_NARROW;
      int yc = yOff + (cs / BLOCK) * pp;
      int ac = aOff + (cs / BLOCK) * pp;
      int wo = cs * kp;
      for (int p = p0; p < p1; p += rows) {
        // the range's last tile ends at its end (ranges hold at least one tile): writing past it
        // would overwrite pixels whose fused activation another job has applied
        int s = Math.min(p, p1 - rows) * BLOCK;
        if (add == null) {
          if (width == 64) {
            tile64(y, yc + s, pp, x, xOff + s, kp, w, wo, bias, cs, lo, hi);
          } else if (width == 32) {
            tile32(y, yc + s, pp, x, xOff + s, kp, w, wo, bias, cs, lo, hi);
          } else {
            tile16(y, yc + s, pp, x, xOff + s, kp, w, wo, bias, cs, lo, hi);
          }
        } else if (width == 64) {
          tile64Add(y, yc + s, pp, x, xOff + s, kp, w, wo, bias, cs, add, ac + s, lo, hi);
        } else if (width == 32) {
          tile32Add(y, yc + s, pp, x, xOff + s, kp, w, wo, bias, cs, add, ac + s, lo, hi);
        } else {
          tile16Add(y, yc + s, pp, x, xOff + s, kp, w, wo, bias, cs, add, ac + s, lo, hi);
        }
      }
      cs += width;
    }
  }

  /** 6 pixels x 64 output channels, {@code y = clamp(W x + bias)}. */
  private static void tile64(
      float[] y,
      int yo,
      int pp,
      float[] x,
      int xo,
      int kp,
      float[] w,
      int wo,
      float[] bias,
      int bo,
      float lo,
      float hi) {
    FloatVector b0 = FloatVector.fromArray(S, bias, bo + 0);
    FloatVector b1 = FloatVector.fromArray(S, bias, bo + 16);
    FloatVector b2 = FloatVector.fromArray(S, bias, bo + 32);
    FloatVector b3 = FloatVector.fromArray(S, bias, bo + 48);
    FloatVector c00 = b0;
    FloatVector c01 = b1;
    FloatVector c02 = b2;
    FloatVector c03 = b3;
    FloatVector c10 = b0;
    FloatVector c11 = b1;
    FloatVector c12 = b2;
    FloatVector c13 = b3;
    FloatVector c20 = b0;
    FloatVector c21 = b1;
    FloatVector c22 = b2;
    FloatVector c23 = b3;
    FloatVector c30 = b0;
    FloatVector c31 = b1;
    FloatVector c32 = b2;
    FloatVector c33 = b3;
    FloatVector c40 = b0;
    FloatVector c41 = b1;
    FloatVector c42 = b2;
    FloatVector c43 = b3;
    FloatVector c50 = b0;
    FloatVector c51 = b1;
    FloatVector c52 = b2;
    FloatVector c53 = b3;
    for (int kb = 0; kb < kp; kb += 16) {
      int xb = xo + (kb >> 4) * pp;
      int wb = wo + kb * 64;
      for (int kk = 0; kk < 16; kk++) {
        int wi = wb + kk * 64;
        FloatVector w0 = FloatVector.fromArray(S, w, wi + 0);
        FloatVector w1 = FloatVector.fromArray(S, w, wi + 16);
        FloatVector w2 = FloatVector.fromArray(S, w, wi + 32);
        FloatVector w3 = FloatVector.fromArray(S, w, wi + 48);
        int xi = xb + kk;
        FloatVector a = FloatVector.broadcast(S, x[xi + 0]);
        c00 = a.fma(w0, c00);
        c01 = a.fma(w1, c01);
        c02 = a.fma(w2, c02);
        c03 = a.fma(w3, c03);
        a = FloatVector.broadcast(S, x[xi + 16]);
        c10 = a.fma(w0, c10);
        c11 = a.fma(w1, c11);
        c12 = a.fma(w2, c12);
        c13 = a.fma(w3, c13);
        a = FloatVector.broadcast(S, x[xi + 32]);
        c20 = a.fma(w0, c20);
        c21 = a.fma(w1, c21);
        c22 = a.fma(w2, c22);
        c23 = a.fma(w3, c23);
        a = FloatVector.broadcast(S, x[xi + 48]);
        c30 = a.fma(w0, c30);
        c31 = a.fma(w1, c31);
        c32 = a.fma(w2, c32);
        c33 = a.fma(w3, c33);
        a = FloatVector.broadcast(S, x[xi + 64]);
        c40 = a.fma(w0, c40);
        c41 = a.fma(w1, c41);
        c42 = a.fma(w2, c42);
        c43 = a.fma(w3, c43);
        a = FloatVector.broadcast(S, x[xi + 80]);
        c50 = a.fma(w0, c50);
        c51 = a.fma(w1, c51);
        c52 = a.fma(w2, c52);
        c53 = a.fma(w3, c53);
      }
    }
    FloatVector l = FloatVector.broadcast(S, lo);
    FloatVector h = FloatVector.broadcast(S, hi);
    c00.blend(l, c00.lt(l)).blend(h, h.lt(c00)).intoArray(y, yo + 0);
    c01.blend(l, c01.lt(l)).blend(h, h.lt(c01)).intoArray(y, yo + 0 + pp);
    c02.blend(l, c02.lt(l)).blend(h, h.lt(c02)).intoArray(y, yo + 0 + 2 * pp);
    c03.blend(l, c03.lt(l)).blend(h, h.lt(c03)).intoArray(y, yo + 0 + 3 * pp);
    c10.blend(l, c10.lt(l)).blend(h, h.lt(c10)).intoArray(y, yo + 16);
    c11.blend(l, c11.lt(l)).blend(h, h.lt(c11)).intoArray(y, yo + 16 + pp);
    c12.blend(l, c12.lt(l)).blend(h, h.lt(c12)).intoArray(y, yo + 16 + 2 * pp);
    c13.blend(l, c13.lt(l)).blend(h, h.lt(c13)).intoArray(y, yo + 16 + 3 * pp);
    c20.blend(l, c20.lt(l)).blend(h, h.lt(c20)).intoArray(y, yo + 32);
    c21.blend(l, c21.lt(l)).blend(h, h.lt(c21)).intoArray(y, yo + 32 + pp);
    c22.blend(l, c22.lt(l)).blend(h, h.lt(c22)).intoArray(y, yo + 32 + 2 * pp);
    c23.blend(l, c23.lt(l)).blend(h, h.lt(c23)).intoArray(y, yo + 32 + 3 * pp);
    c30.blend(l, c30.lt(l)).blend(h, h.lt(c30)).intoArray(y, yo + 48);
    c31.blend(l, c31.lt(l)).blend(h, h.lt(c31)).intoArray(y, yo + 48 + pp);
    c32.blend(l, c32.lt(l)).blend(h, h.lt(c32)).intoArray(y, yo + 48 + 2 * pp);
    c33.blend(l, c33.lt(l)).blend(h, h.lt(c33)).intoArray(y, yo + 48 + 3 * pp);
    c40.blend(l, c40.lt(l)).blend(h, h.lt(c40)).intoArray(y, yo + 64);
    c41.blend(l, c41.lt(l)).blend(h, h.lt(c41)).intoArray(y, yo + 64 + pp);
    c42.blend(l, c42.lt(l)).blend(h, h.lt(c42)).intoArray(y, yo + 64 + 2 * pp);
    c43.blend(l, c43.lt(l)).blend(h, h.lt(c43)).intoArray(y, yo + 64 + 3 * pp);
    c50.blend(l, c50.lt(l)).blend(h, h.lt(c50)).intoArray(y, yo + 80);
    c51.blend(l, c51.lt(l)).blend(h, h.lt(c51)).intoArray(y, yo + 80 + pp);
    c52.blend(l, c52.lt(l)).blend(h, h.lt(c52)).intoArray(y, yo + 80 + 2 * pp);
    c53.blend(l, c53.lt(l)).blend(h, h.lt(c53)).intoArray(y, yo + 80 + 3 * pp);
  }

  /**
   * {@link #tile64} plus the addend. A separate method: with both epilogues in one, C2 on JDK 17
   * sometimes ran out of inlining budget and boxed the vectors (mobilenet_v2 5.8 or 9.8 ms from run
   * to run).
   */
  private static void tile64Add(
      float[] y,
      int yo,
      int pp,
      float[] x,
      int xo,
      int kp,
      float[] w,
      int wo,
      float[] bias,
      int bo,
      float[] add,
      int ao,
      float lo,
      float hi) {
    FloatVector b0 = FloatVector.fromArray(S, bias, bo + 0);
    FloatVector b1 = FloatVector.fromArray(S, bias, bo + 16);
    FloatVector b2 = FloatVector.fromArray(S, bias, bo + 32);
    FloatVector b3 = FloatVector.fromArray(S, bias, bo + 48);
    FloatVector c00 = b0;
    FloatVector c01 = b1;
    FloatVector c02 = b2;
    FloatVector c03 = b3;
    FloatVector c10 = b0;
    FloatVector c11 = b1;
    FloatVector c12 = b2;
    FloatVector c13 = b3;
    FloatVector c20 = b0;
    FloatVector c21 = b1;
    FloatVector c22 = b2;
    FloatVector c23 = b3;
    FloatVector c30 = b0;
    FloatVector c31 = b1;
    FloatVector c32 = b2;
    FloatVector c33 = b3;
    FloatVector c40 = b0;
    FloatVector c41 = b1;
    FloatVector c42 = b2;
    FloatVector c43 = b3;
    FloatVector c50 = b0;
    FloatVector c51 = b1;
    FloatVector c52 = b2;
    FloatVector c53 = b3;
    for (int kb = 0; kb < kp; kb += 16) {
      int xb = xo + (kb >> 4) * pp;
      int wb = wo + kb * 64;
      for (int kk = 0; kk < 16; kk++) {
        int wi = wb + kk * 64;
        FloatVector w0 = FloatVector.fromArray(S, w, wi + 0);
        FloatVector w1 = FloatVector.fromArray(S, w, wi + 16);
        FloatVector w2 = FloatVector.fromArray(S, w, wi + 32);
        FloatVector w3 = FloatVector.fromArray(S, w, wi + 48);
        int xi = xb + kk;
        FloatVector a = FloatVector.broadcast(S, x[xi + 0]);
        c00 = a.fma(w0, c00);
        c01 = a.fma(w1, c01);
        c02 = a.fma(w2, c02);
        c03 = a.fma(w3, c03);
        a = FloatVector.broadcast(S, x[xi + 16]);
        c10 = a.fma(w0, c10);
        c11 = a.fma(w1, c11);
        c12 = a.fma(w2, c12);
        c13 = a.fma(w3, c13);
        a = FloatVector.broadcast(S, x[xi + 32]);
        c20 = a.fma(w0, c20);
        c21 = a.fma(w1, c21);
        c22 = a.fma(w2, c22);
        c23 = a.fma(w3, c23);
        a = FloatVector.broadcast(S, x[xi + 48]);
        c30 = a.fma(w0, c30);
        c31 = a.fma(w1, c31);
        c32 = a.fma(w2, c32);
        c33 = a.fma(w3, c33);
        a = FloatVector.broadcast(S, x[xi + 64]);
        c40 = a.fma(w0, c40);
        c41 = a.fma(w1, c41);
        c42 = a.fma(w2, c42);
        c43 = a.fma(w3, c43);
        a = FloatVector.broadcast(S, x[xi + 80]);
        c50 = a.fma(w0, c50);
        c51 = a.fma(w1, c51);
        c52 = a.fma(w2, c52);
        c53 = a.fma(w3, c53);
      }
    }
    FloatVector l = FloatVector.broadcast(S, lo);
    FloatVector h = FloatVector.broadcast(S, hi);
    int d = ao - yo;
    c00 = c00.add(FloatVector.fromArray(S, add, yo + 0 + d));
    c01 = c01.add(FloatVector.fromArray(S, add, yo + 0 + pp + d));
    c02 = c02.add(FloatVector.fromArray(S, add, yo + 0 + 2 * pp + d));
    c03 = c03.add(FloatVector.fromArray(S, add, yo + 0 + 3 * pp + d));
    c10 = c10.add(FloatVector.fromArray(S, add, yo + 16 + d));
    c11 = c11.add(FloatVector.fromArray(S, add, yo + 16 + pp + d));
    c12 = c12.add(FloatVector.fromArray(S, add, yo + 16 + 2 * pp + d));
    c13 = c13.add(FloatVector.fromArray(S, add, yo + 16 + 3 * pp + d));
    c20 = c20.add(FloatVector.fromArray(S, add, yo + 32 + d));
    c21 = c21.add(FloatVector.fromArray(S, add, yo + 32 + pp + d));
    c22 = c22.add(FloatVector.fromArray(S, add, yo + 32 + 2 * pp + d));
    c23 = c23.add(FloatVector.fromArray(S, add, yo + 32 + 3 * pp + d));
    c30 = c30.add(FloatVector.fromArray(S, add, yo + 48 + d));
    c31 = c31.add(FloatVector.fromArray(S, add, yo + 48 + pp + d));
    c32 = c32.add(FloatVector.fromArray(S, add, yo + 48 + 2 * pp + d));
    c33 = c33.add(FloatVector.fromArray(S, add, yo + 48 + 3 * pp + d));
    c40 = c40.add(FloatVector.fromArray(S, add, yo + 64 + d));
    c41 = c41.add(FloatVector.fromArray(S, add, yo + 64 + pp + d));
    c42 = c42.add(FloatVector.fromArray(S, add, yo + 64 + 2 * pp + d));
    c43 = c43.add(FloatVector.fromArray(S, add, yo + 64 + 3 * pp + d));
    c50 = c50.add(FloatVector.fromArray(S, add, yo + 80 + d));
    c51 = c51.add(FloatVector.fromArray(S, add, yo + 80 + pp + d));
    c52 = c52.add(FloatVector.fromArray(S, add, yo + 80 + 2 * pp + d));
    c53 = c53.add(FloatVector.fromArray(S, add, yo + 80 + 3 * pp + d));
    c00.blend(l, c00.lt(l)).blend(h, h.lt(c00)).intoArray(y, yo + 0);
    c01.blend(l, c01.lt(l)).blend(h, h.lt(c01)).intoArray(y, yo + 0 + pp);
    c02.blend(l, c02.lt(l)).blend(h, h.lt(c02)).intoArray(y, yo + 0 + 2 * pp);
    c03.blend(l, c03.lt(l)).blend(h, h.lt(c03)).intoArray(y, yo + 0 + 3 * pp);
    c10.blend(l, c10.lt(l)).blend(h, h.lt(c10)).intoArray(y, yo + 16);
    c11.blend(l, c11.lt(l)).blend(h, h.lt(c11)).intoArray(y, yo + 16 + pp);
    c12.blend(l, c12.lt(l)).blend(h, h.lt(c12)).intoArray(y, yo + 16 + 2 * pp);
    c13.blend(l, c13.lt(l)).blend(h, h.lt(c13)).intoArray(y, yo + 16 + 3 * pp);
    c20.blend(l, c20.lt(l)).blend(h, h.lt(c20)).intoArray(y, yo + 32);
    c21.blend(l, c21.lt(l)).blend(h, h.lt(c21)).intoArray(y, yo + 32 + pp);
    c22.blend(l, c22.lt(l)).blend(h, h.lt(c22)).intoArray(y, yo + 32 + 2 * pp);
    c23.blend(l, c23.lt(l)).blend(h, h.lt(c23)).intoArray(y, yo + 32 + 3 * pp);
    c30.blend(l, c30.lt(l)).blend(h, h.lt(c30)).intoArray(y, yo + 48);
    c31.blend(l, c31.lt(l)).blend(h, h.lt(c31)).intoArray(y, yo + 48 + pp);
    c32.blend(l, c32.lt(l)).blend(h, h.lt(c32)).intoArray(y, yo + 48 + 2 * pp);
    c33.blend(l, c33.lt(l)).blend(h, h.lt(c33)).intoArray(y, yo + 48 + 3 * pp);
    c40.blend(l, c40.lt(l)).blend(h, h.lt(c40)).intoArray(y, yo + 64);
    c41.blend(l, c41.lt(l)).blend(h, h.lt(c41)).intoArray(y, yo + 64 + pp);
    c42.blend(l, c42.lt(l)).blend(h, h.lt(c42)).intoArray(y, yo + 64 + 2 * pp);
    c43.blend(l, c43.lt(l)).blend(h, h.lt(c43)).intoArray(y, yo + 64 + 3 * pp);
    c50.blend(l, c50.lt(l)).blend(h, h.lt(c50)).intoArray(y, yo + 80);
    c51.blend(l, c51.lt(l)).blend(h, h.lt(c51)).intoArray(y, yo + 80 + pp);
    c52.blend(l, c52.lt(l)).blend(h, h.lt(c52)).intoArray(y, yo + 80 + 2 * pp);
    c53.blend(l, c53.lt(l)).blend(h, h.lt(c53)).intoArray(y, yo + 80 + 3 * pp);
  }

  /** 12 pixels x 32 output channels, {@code y = clamp(W x + bias)}. */
  private static void tile32(
      float[] y,
      int yo,
      int pp,
      float[] x,
      int xo,
      int kp,
      float[] w,
      int wo,
      float[] bias,
      int bo,
      float lo,
      float hi) {
    FloatVector b0 = FloatVector.fromArray(S, bias, bo + 0);
    FloatVector b1 = FloatVector.fromArray(S, bias, bo + 16);
    FloatVector c00 = b0;
    FloatVector c01 = b1;
    FloatVector c10 = b0;
    FloatVector c11 = b1;
    FloatVector c20 = b0;
    FloatVector c21 = b1;
    FloatVector c30 = b0;
    FloatVector c31 = b1;
    FloatVector c40 = b0;
    FloatVector c41 = b1;
    FloatVector c50 = b0;
    FloatVector c51 = b1;
    FloatVector c60 = b0;
    FloatVector c61 = b1;
    FloatVector c70 = b0;
    FloatVector c71 = b1;
    FloatVector c80 = b0;
    FloatVector c81 = b1;
    FloatVector c90 = b0;
    FloatVector c91 = b1;
    FloatVector c100 = b0;
    FloatVector c101 = b1;
    FloatVector c110 = b0;
    FloatVector c111 = b1;
    for (int kb = 0; kb < kp; kb += 16) {
      int xb = xo + (kb >> 4) * pp;
      int wb = wo + kb * 32;
      for (int kk = 0; kk < 16; kk++) {
        int wi = wb + kk * 32;
        FloatVector w0 = FloatVector.fromArray(S, w, wi + 0);
        FloatVector w1 = FloatVector.fromArray(S, w, wi + 16);
        int xi = xb + kk;
        FloatVector a = FloatVector.broadcast(S, x[xi + 0]);
        c00 = a.fma(w0, c00);
        c01 = a.fma(w1, c01);
        a = FloatVector.broadcast(S, x[xi + 16]);
        c10 = a.fma(w0, c10);
        c11 = a.fma(w1, c11);
        a = FloatVector.broadcast(S, x[xi + 32]);
        c20 = a.fma(w0, c20);
        c21 = a.fma(w1, c21);
        a = FloatVector.broadcast(S, x[xi + 48]);
        c30 = a.fma(w0, c30);
        c31 = a.fma(w1, c31);
        a = FloatVector.broadcast(S, x[xi + 64]);
        c40 = a.fma(w0, c40);
        c41 = a.fma(w1, c41);
        a = FloatVector.broadcast(S, x[xi + 80]);
        c50 = a.fma(w0, c50);
        c51 = a.fma(w1, c51);
        a = FloatVector.broadcast(S, x[xi + 96]);
        c60 = a.fma(w0, c60);
        c61 = a.fma(w1, c61);
        a = FloatVector.broadcast(S, x[xi + 112]);
        c70 = a.fma(w0, c70);
        c71 = a.fma(w1, c71);
        a = FloatVector.broadcast(S, x[xi + 128]);
        c80 = a.fma(w0, c80);
        c81 = a.fma(w1, c81);
        a = FloatVector.broadcast(S, x[xi + 144]);
        c90 = a.fma(w0, c90);
        c91 = a.fma(w1, c91);
        a = FloatVector.broadcast(S, x[xi + 160]);
        c100 = a.fma(w0, c100);
        c101 = a.fma(w1, c101);
        a = FloatVector.broadcast(S, x[xi + 176]);
        c110 = a.fma(w0, c110);
        c111 = a.fma(w1, c111);
      }
    }
    FloatVector l = FloatVector.broadcast(S, lo);
    FloatVector h = FloatVector.broadcast(S, hi);
    c00.blend(l, c00.lt(l)).blend(h, h.lt(c00)).intoArray(y, yo + 0);
    c01.blend(l, c01.lt(l)).blend(h, h.lt(c01)).intoArray(y, yo + 0 + pp);
    c10.blend(l, c10.lt(l)).blend(h, h.lt(c10)).intoArray(y, yo + 16);
    c11.blend(l, c11.lt(l)).blend(h, h.lt(c11)).intoArray(y, yo + 16 + pp);
    c20.blend(l, c20.lt(l)).blend(h, h.lt(c20)).intoArray(y, yo + 32);
    c21.blend(l, c21.lt(l)).blend(h, h.lt(c21)).intoArray(y, yo + 32 + pp);
    c30.blend(l, c30.lt(l)).blend(h, h.lt(c30)).intoArray(y, yo + 48);
    c31.blend(l, c31.lt(l)).blend(h, h.lt(c31)).intoArray(y, yo + 48 + pp);
    c40.blend(l, c40.lt(l)).blend(h, h.lt(c40)).intoArray(y, yo + 64);
    c41.blend(l, c41.lt(l)).blend(h, h.lt(c41)).intoArray(y, yo + 64 + pp);
    c50.blend(l, c50.lt(l)).blend(h, h.lt(c50)).intoArray(y, yo + 80);
    c51.blend(l, c51.lt(l)).blend(h, h.lt(c51)).intoArray(y, yo + 80 + pp);
    c60.blend(l, c60.lt(l)).blend(h, h.lt(c60)).intoArray(y, yo + 96);
    c61.blend(l, c61.lt(l)).blend(h, h.lt(c61)).intoArray(y, yo + 96 + pp);
    c70.blend(l, c70.lt(l)).blend(h, h.lt(c70)).intoArray(y, yo + 112);
    c71.blend(l, c71.lt(l)).blend(h, h.lt(c71)).intoArray(y, yo + 112 + pp);
    c80.blend(l, c80.lt(l)).blend(h, h.lt(c80)).intoArray(y, yo + 128);
    c81.blend(l, c81.lt(l)).blend(h, h.lt(c81)).intoArray(y, yo + 128 + pp);
    c90.blend(l, c90.lt(l)).blend(h, h.lt(c90)).intoArray(y, yo + 144);
    c91.blend(l, c91.lt(l)).blend(h, h.lt(c91)).intoArray(y, yo + 144 + pp);
    c100.blend(l, c100.lt(l)).blend(h, h.lt(c100)).intoArray(y, yo + 160);
    c101.blend(l, c101.lt(l)).blend(h, h.lt(c101)).intoArray(y, yo + 160 + pp);
    c110.blend(l, c110.lt(l)).blend(h, h.lt(c110)).intoArray(y, yo + 176);
    c111.blend(l, c111.lt(l)).blend(h, h.lt(c111)).intoArray(y, yo + 176 + pp);
  }

  /** {@link #tile32} plus the addend. */
  private static void tile32Add(
      float[] y,
      int yo,
      int pp,
      float[] x,
      int xo,
      int kp,
      float[] w,
      int wo,
      float[] bias,
      int bo,
      float[] add,
      int ao,
      float lo,
      float hi) {
    FloatVector b0 = FloatVector.fromArray(S, bias, bo + 0);
    FloatVector b1 = FloatVector.fromArray(S, bias, bo + 16);
    FloatVector c00 = b0;
    FloatVector c01 = b1;
    FloatVector c10 = b0;
    FloatVector c11 = b1;
    FloatVector c20 = b0;
    FloatVector c21 = b1;
    FloatVector c30 = b0;
    FloatVector c31 = b1;
    FloatVector c40 = b0;
    FloatVector c41 = b1;
    FloatVector c50 = b0;
    FloatVector c51 = b1;
    FloatVector c60 = b0;
    FloatVector c61 = b1;
    FloatVector c70 = b0;
    FloatVector c71 = b1;
    FloatVector c80 = b0;
    FloatVector c81 = b1;
    FloatVector c90 = b0;
    FloatVector c91 = b1;
    FloatVector c100 = b0;
    FloatVector c101 = b1;
    FloatVector c110 = b0;
    FloatVector c111 = b1;
    for (int kb = 0; kb < kp; kb += 16) {
      int xb = xo + (kb >> 4) * pp;
      int wb = wo + kb * 32;
      for (int kk = 0; kk < 16; kk++) {
        int wi = wb + kk * 32;
        FloatVector w0 = FloatVector.fromArray(S, w, wi + 0);
        FloatVector w1 = FloatVector.fromArray(S, w, wi + 16);
        int xi = xb + kk;
        FloatVector a = FloatVector.broadcast(S, x[xi + 0]);
        c00 = a.fma(w0, c00);
        c01 = a.fma(w1, c01);
        a = FloatVector.broadcast(S, x[xi + 16]);
        c10 = a.fma(w0, c10);
        c11 = a.fma(w1, c11);
        a = FloatVector.broadcast(S, x[xi + 32]);
        c20 = a.fma(w0, c20);
        c21 = a.fma(w1, c21);
        a = FloatVector.broadcast(S, x[xi + 48]);
        c30 = a.fma(w0, c30);
        c31 = a.fma(w1, c31);
        a = FloatVector.broadcast(S, x[xi + 64]);
        c40 = a.fma(w0, c40);
        c41 = a.fma(w1, c41);
        a = FloatVector.broadcast(S, x[xi + 80]);
        c50 = a.fma(w0, c50);
        c51 = a.fma(w1, c51);
        a = FloatVector.broadcast(S, x[xi + 96]);
        c60 = a.fma(w0, c60);
        c61 = a.fma(w1, c61);
        a = FloatVector.broadcast(S, x[xi + 112]);
        c70 = a.fma(w0, c70);
        c71 = a.fma(w1, c71);
        a = FloatVector.broadcast(S, x[xi + 128]);
        c80 = a.fma(w0, c80);
        c81 = a.fma(w1, c81);
        a = FloatVector.broadcast(S, x[xi + 144]);
        c90 = a.fma(w0, c90);
        c91 = a.fma(w1, c91);
        a = FloatVector.broadcast(S, x[xi + 160]);
        c100 = a.fma(w0, c100);
        c101 = a.fma(w1, c101);
        a = FloatVector.broadcast(S, x[xi + 176]);
        c110 = a.fma(w0, c110);
        c111 = a.fma(w1, c111);
      }
    }
    FloatVector l = FloatVector.broadcast(S, lo);
    FloatVector h = FloatVector.broadcast(S, hi);
    int d = ao - yo;
    c00 = c00.add(FloatVector.fromArray(S, add, yo + 0 + d));
    c01 = c01.add(FloatVector.fromArray(S, add, yo + 0 + pp + d));
    c10 = c10.add(FloatVector.fromArray(S, add, yo + 16 + d));
    c11 = c11.add(FloatVector.fromArray(S, add, yo + 16 + pp + d));
    c20 = c20.add(FloatVector.fromArray(S, add, yo + 32 + d));
    c21 = c21.add(FloatVector.fromArray(S, add, yo + 32 + pp + d));
    c30 = c30.add(FloatVector.fromArray(S, add, yo + 48 + d));
    c31 = c31.add(FloatVector.fromArray(S, add, yo + 48 + pp + d));
    c40 = c40.add(FloatVector.fromArray(S, add, yo + 64 + d));
    c41 = c41.add(FloatVector.fromArray(S, add, yo + 64 + pp + d));
    c50 = c50.add(FloatVector.fromArray(S, add, yo + 80 + d));
    c51 = c51.add(FloatVector.fromArray(S, add, yo + 80 + pp + d));
    c60 = c60.add(FloatVector.fromArray(S, add, yo + 96 + d));
    c61 = c61.add(FloatVector.fromArray(S, add, yo + 96 + pp + d));
    c70 = c70.add(FloatVector.fromArray(S, add, yo + 112 + d));
    c71 = c71.add(FloatVector.fromArray(S, add, yo + 112 + pp + d));
    c80 = c80.add(FloatVector.fromArray(S, add, yo + 128 + d));
    c81 = c81.add(FloatVector.fromArray(S, add, yo + 128 + pp + d));
    c90 = c90.add(FloatVector.fromArray(S, add, yo + 144 + d));
    c91 = c91.add(FloatVector.fromArray(S, add, yo + 144 + pp + d));
    c100 = c100.add(FloatVector.fromArray(S, add, yo + 160 + d));
    c101 = c101.add(FloatVector.fromArray(S, add, yo + 160 + pp + d));
    c110 = c110.add(FloatVector.fromArray(S, add, yo + 176 + d));
    c111 = c111.add(FloatVector.fromArray(S, add, yo + 176 + pp + d));
    c00.blend(l, c00.lt(l)).blend(h, h.lt(c00)).intoArray(y, yo + 0);
    c01.blend(l, c01.lt(l)).blend(h, h.lt(c01)).intoArray(y, yo + 0 + pp);
    c10.blend(l, c10.lt(l)).blend(h, h.lt(c10)).intoArray(y, yo + 16);
    c11.blend(l, c11.lt(l)).blend(h, h.lt(c11)).intoArray(y, yo + 16 + pp);
    c20.blend(l, c20.lt(l)).blend(h, h.lt(c20)).intoArray(y, yo + 32);
    c21.blend(l, c21.lt(l)).blend(h, h.lt(c21)).intoArray(y, yo + 32 + pp);
    c30.blend(l, c30.lt(l)).blend(h, h.lt(c30)).intoArray(y, yo + 48);
    c31.blend(l, c31.lt(l)).blend(h, h.lt(c31)).intoArray(y, yo + 48 + pp);
    c40.blend(l, c40.lt(l)).blend(h, h.lt(c40)).intoArray(y, yo + 64);
    c41.blend(l, c41.lt(l)).blend(h, h.lt(c41)).intoArray(y, yo + 64 + pp);
    c50.blend(l, c50.lt(l)).blend(h, h.lt(c50)).intoArray(y, yo + 80);
    c51.blend(l, c51.lt(l)).blend(h, h.lt(c51)).intoArray(y, yo + 80 + pp);
    c60.blend(l, c60.lt(l)).blend(h, h.lt(c60)).intoArray(y, yo + 96);
    c61.blend(l, c61.lt(l)).blend(h, h.lt(c61)).intoArray(y, yo + 96 + pp);
    c70.blend(l, c70.lt(l)).blend(h, h.lt(c70)).intoArray(y, yo + 112);
    c71.blend(l, c71.lt(l)).blend(h, h.lt(c71)).intoArray(y, yo + 112 + pp);
    c80.blend(l, c80.lt(l)).blend(h, h.lt(c80)).intoArray(y, yo + 128);
    c81.blend(l, c81.lt(l)).blend(h, h.lt(c81)).intoArray(y, yo + 128 + pp);
    c90.blend(l, c90.lt(l)).blend(h, h.lt(c90)).intoArray(y, yo + 144);
    c91.blend(l, c91.lt(l)).blend(h, h.lt(c91)).intoArray(y, yo + 144 + pp);
    c100.blend(l, c100.lt(l)).blend(h, h.lt(c100)).intoArray(y, yo + 160);
    c101.blend(l, c101.lt(l)).blend(h, h.lt(c101)).intoArray(y, yo + 160 + pp);
    c110.blend(l, c110.lt(l)).blend(h, h.lt(c110)).intoArray(y, yo + 176);
    c111.blend(l, c111.lt(l)).blend(h, h.lt(c111)).intoArray(y, yo + 176 + pp);
  }

  /** 12 pixels x 16 output channels, {@code y = clamp(W x + bias)}. */
  private static void tile16(
      float[] y,
      int yo,
      int pp,
      float[] x,
      int xo,
      int kp,
      float[] w,
      int wo,
      float[] bias,
      int bo,
      float lo,
      float hi) {
    FloatVector b0 = FloatVector.fromArray(S, bias, bo + 0);
    FloatVector c00 = b0;
    FloatVector c10 = b0;
    FloatVector c20 = b0;
    FloatVector c30 = b0;
    FloatVector c40 = b0;
    FloatVector c50 = b0;
    FloatVector c60 = b0;
    FloatVector c70 = b0;
    FloatVector c80 = b0;
    FloatVector c90 = b0;
    FloatVector c100 = b0;
    FloatVector c110 = b0;
    for (int kb = 0; kb < kp; kb += 16) {
      int xb = xo + (kb >> 4) * pp;
      int wb = wo + kb * 16;
      for (int kk = 0; kk < 16; kk++) {
        int wi = wb + kk * 16;
        FloatVector w0 = FloatVector.fromArray(S, w, wi + 0);
        int xi = xb + kk;
        FloatVector a = FloatVector.broadcast(S, x[xi + 0]);
        c00 = a.fma(w0, c00);
        a = FloatVector.broadcast(S, x[xi + 16]);
        c10 = a.fma(w0, c10);
        a = FloatVector.broadcast(S, x[xi + 32]);
        c20 = a.fma(w0, c20);
        a = FloatVector.broadcast(S, x[xi + 48]);
        c30 = a.fma(w0, c30);
        a = FloatVector.broadcast(S, x[xi + 64]);
        c40 = a.fma(w0, c40);
        a = FloatVector.broadcast(S, x[xi + 80]);
        c50 = a.fma(w0, c50);
        a = FloatVector.broadcast(S, x[xi + 96]);
        c60 = a.fma(w0, c60);
        a = FloatVector.broadcast(S, x[xi + 112]);
        c70 = a.fma(w0, c70);
        a = FloatVector.broadcast(S, x[xi + 128]);
        c80 = a.fma(w0, c80);
        a = FloatVector.broadcast(S, x[xi + 144]);
        c90 = a.fma(w0, c90);
        a = FloatVector.broadcast(S, x[xi + 160]);
        c100 = a.fma(w0, c100);
        a = FloatVector.broadcast(S, x[xi + 176]);
        c110 = a.fma(w0, c110);
      }
    }
    FloatVector l = FloatVector.broadcast(S, lo);
    FloatVector h = FloatVector.broadcast(S, hi);
    c00.blend(l, c00.lt(l)).blend(h, h.lt(c00)).intoArray(y, yo + 0);
    c10.blend(l, c10.lt(l)).blend(h, h.lt(c10)).intoArray(y, yo + 16);
    c20.blend(l, c20.lt(l)).blend(h, h.lt(c20)).intoArray(y, yo + 32);
    c30.blend(l, c30.lt(l)).blend(h, h.lt(c30)).intoArray(y, yo + 48);
    c40.blend(l, c40.lt(l)).blend(h, h.lt(c40)).intoArray(y, yo + 64);
    c50.blend(l, c50.lt(l)).blend(h, h.lt(c50)).intoArray(y, yo + 80);
    c60.blend(l, c60.lt(l)).blend(h, h.lt(c60)).intoArray(y, yo + 96);
    c70.blend(l, c70.lt(l)).blend(h, h.lt(c70)).intoArray(y, yo + 112);
    c80.blend(l, c80.lt(l)).blend(h, h.lt(c80)).intoArray(y, yo + 128);
    c90.blend(l, c90.lt(l)).blend(h, h.lt(c90)).intoArray(y, yo + 144);
    c100.blend(l, c100.lt(l)).blend(h, h.lt(c100)).intoArray(y, yo + 160);
    c110.blend(l, c110.lt(l)).blend(h, h.lt(c110)).intoArray(y, yo + 176);
  }

  /** {@link #tile16} plus the addend. */
  private static void tile16Add(
      float[] y,
      int yo,
      int pp,
      float[] x,
      int xo,
      int kp,
      float[] w,
      int wo,
      float[] bias,
      int bo,
      float[] add,
      int ao,
      float lo,
      float hi) {
    FloatVector b0 = FloatVector.fromArray(S, bias, bo + 0);
    FloatVector c00 = b0;
    FloatVector c10 = b0;
    FloatVector c20 = b0;
    FloatVector c30 = b0;
    FloatVector c40 = b0;
    FloatVector c50 = b0;
    FloatVector c60 = b0;
    FloatVector c70 = b0;
    FloatVector c80 = b0;
    FloatVector c90 = b0;
    FloatVector c100 = b0;
    FloatVector c110 = b0;
    for (int kb = 0; kb < kp; kb += 16) {
      int xb = xo + (kb >> 4) * pp;
      int wb = wo + kb * 16;
      for (int kk = 0; kk < 16; kk++) {
        int wi = wb + kk * 16;
        FloatVector w0 = FloatVector.fromArray(S, w, wi + 0);
        int xi = xb + kk;
        FloatVector a = FloatVector.broadcast(S, x[xi + 0]);
        c00 = a.fma(w0, c00);
        a = FloatVector.broadcast(S, x[xi + 16]);
        c10 = a.fma(w0, c10);
        a = FloatVector.broadcast(S, x[xi + 32]);
        c20 = a.fma(w0, c20);
        a = FloatVector.broadcast(S, x[xi + 48]);
        c30 = a.fma(w0, c30);
        a = FloatVector.broadcast(S, x[xi + 64]);
        c40 = a.fma(w0, c40);
        a = FloatVector.broadcast(S, x[xi + 80]);
        c50 = a.fma(w0, c50);
        a = FloatVector.broadcast(S, x[xi + 96]);
        c60 = a.fma(w0, c60);
        a = FloatVector.broadcast(S, x[xi + 112]);
        c70 = a.fma(w0, c70);
        a = FloatVector.broadcast(S, x[xi + 128]);
        c80 = a.fma(w0, c80);
        a = FloatVector.broadcast(S, x[xi + 144]);
        c90 = a.fma(w0, c90);
        a = FloatVector.broadcast(S, x[xi + 160]);
        c100 = a.fma(w0, c100);
        a = FloatVector.broadcast(S, x[xi + 176]);
        c110 = a.fma(w0, c110);
      }
    }
    FloatVector l = FloatVector.broadcast(S, lo);
    FloatVector h = FloatVector.broadcast(S, hi);
    int d = ao - yo;
    c00 = c00.add(FloatVector.fromArray(S, add, yo + 0 + d));
    c10 = c10.add(FloatVector.fromArray(S, add, yo + 16 + d));
    c20 = c20.add(FloatVector.fromArray(S, add, yo + 32 + d));
    c30 = c30.add(FloatVector.fromArray(S, add, yo + 48 + d));
    c40 = c40.add(FloatVector.fromArray(S, add, yo + 64 + d));
    c50 = c50.add(FloatVector.fromArray(S, add, yo + 80 + d));
    c60 = c60.add(FloatVector.fromArray(S, add, yo + 96 + d));
    c70 = c70.add(FloatVector.fromArray(S, add, yo + 112 + d));
    c80 = c80.add(FloatVector.fromArray(S, add, yo + 128 + d));
    c90 = c90.add(FloatVector.fromArray(S, add, yo + 144 + d));
    c100 = c100.add(FloatVector.fromArray(S, add, yo + 160 + d));
    c110 = c110.add(FloatVector.fromArray(S, add, yo + 176 + d));
    c00.blend(l, c00.lt(l)).blend(h, h.lt(c00)).intoArray(y, yo + 0);
    c10.blend(l, c10.lt(l)).blend(h, h.lt(c10)).intoArray(y, yo + 16);
    c20.blend(l, c20.lt(l)).blend(h, h.lt(c20)).intoArray(y, yo + 32);
    c30.blend(l, c30.lt(l)).blend(h, h.lt(c30)).intoArray(y, yo + 48);
    c40.blend(l, c40.lt(l)).blend(h, h.lt(c40)).intoArray(y, yo + 64);
    c50.blend(l, c50.lt(l)).blend(h, h.lt(c50)).intoArray(y, yo + 80);
    c60.blend(l, c60.lt(l)).blend(h, h.lt(c60)).intoArray(y, yo + 96);
    c70.blend(l, c70.lt(l)).blend(h, h.lt(c70)).intoArray(y, yo + 112);
    c80.blend(l, c80.lt(l)).blend(h, h.lt(c80)).intoArray(y, yo + 128);
    c90.blend(l, c90.lt(l)).blend(h, h.lt(c90)).intoArray(y, yo + 144);
    c100.blend(l, c100.lt(l)).blend(h, h.lt(c100)).intoArray(y, yo + 160);
    c110.blend(l, c110.lt(l)).blend(h, h.lt(c110)).intoArray(y, yo + 176);
  }

  @Override
  public void depthwise(
      float[] y,
      int yOff,
      float[] x,
      int xOff,
      float[] w,
      float[] bias,
      int[] plan,
      float lo,
      float hi,
      int cb0,
      int cb1) {
    int ih = plan[0];
    int iw = plan[1];
    int oh = plan[2];
    int ow = plan[3];
    int nt = plan[4] * plan[5];
    int sh = plan[6];
    int sw = plan[7];
    int pt = plan[8];
    int pl = plan[9];
    int r0 = plan[10];
    int r1 = plan[11];
    int c0 = plan[12];
    int c1 = plan[13];
    int inPlane = ih * iw * BLOCK;
    int outPlane = oh * ow * BLOCK;
    for (int cb = cb0; cb < cb1; cb++) {
      int xc = xOff + cb * inPlane;
      int yc = yOff + cb * outPlane;
      int wc = cb * nt * BLOCK;
      for (int oy = r0; oy < r1; oy++) {
        int yr = yc + oy * ow * BLOCK;
        int xr = xc + (oy * sh - pt) * iw * BLOCK;
        int ox = c0;
        if (sw == 1) {
          ox = eights1(y, yr, x, xr, w, wc, bias, cb * BLOCK, plan, nt, ox, c1, pl, lo, hi);
        } else if (sw == 2) {
          ox = eights2(y, yr, x, xr, w, wc, bias, cb * BLOCK, plan, nt, ox, c1, pl, lo, hi);
        }
        ox = quad(y, yr, x, xr, w, wc, bias, cb * BLOCK, plan, nt, ox, c1, sw, pl, lo, hi);
        // the interior columns left over (fewer than four) as border pixels with all taps
        for (; ox < c1; ox++) {
          single(
              y,
              yr + ox * BLOCK,
              x,
              xr + (ox * sw - pl) * BLOCK,
              w,
              wc,
              bias,
              cb * BLOCK,
              plan,
              nt,
              lo,
              hi);
        }
      }
      border(y, yc, x, xc, w, wc, bias, cb * BLOCK, plan, 15 + nt, lo, hi);
    }
  }

  /**
   * Eight interior pixels at a time for stride 1 (a constant step lets C2 merge the range checks).
   */
  private static int eights1(
      float[] y,
      int yr,
      float[] x,
      int xr,
      float[] w,
      int wc,
      float[] bias,
      int bo,
      int[] plan,
      int nt,
      int ox,
      int end,
      int pl,
      float lo,
      float hi) {
    FloatVector b = FloatVector.fromArray(S, bias, bo);
    FloatVector l = FloatVector.broadcast(S, lo);
    FloatVector h = FloatVector.broadcast(S, hi);
    for (; ox + 8 <= end; ox += 8) {
      FloatVector a0 = b;
      FloatVector a1 = b;
      FloatVector a2 = b;
      FloatVector a3 = b;
      FloatVector a4 = b;
      FloatVector a5 = b;
      FloatVector a6 = b;
      FloatVector a7 = b;
      int xi = xr + (ox * 1 - pl) * BLOCK;
      for (int t = 0; t < nt; t++) {
        FloatVector wv = FloatVector.fromArray(S, w, wc + t * BLOCK);
        int q = xi + plan[15 + t];
        a0 = FloatVector.fromArray(S, x, q).fma(wv, a0);
        a1 = FloatVector.fromArray(S, x, q + 16).fma(wv, a1);
        a2 = FloatVector.fromArray(S, x, q + 32).fma(wv, a2);
        a3 = FloatVector.fromArray(S, x, q + 48).fma(wv, a3);
        a4 = FloatVector.fromArray(S, x, q + 64).fma(wv, a4);
        a5 = FloatVector.fromArray(S, x, q + 80).fma(wv, a5);
        a6 = FloatVector.fromArray(S, x, q + 96).fma(wv, a6);
        a7 = FloatVector.fromArray(S, x, q + 112).fma(wv, a7);
      }
      int d = yr + ox * BLOCK;
      a0.blend(l, a0.lt(l)).blend(h, h.lt(a0)).intoArray(y, d);
      a1.blend(l, a1.lt(l)).blend(h, h.lt(a1)).intoArray(y, d + 16);
      a2.blend(l, a2.lt(l)).blend(h, h.lt(a2)).intoArray(y, d + 32);
      a3.blend(l, a3.lt(l)).blend(h, h.lt(a3)).intoArray(y, d + 48);
      a4.blend(l, a4.lt(l)).blend(h, h.lt(a4)).intoArray(y, d + 64);
      a5.blend(l, a5.lt(l)).blend(h, h.lt(a5)).intoArray(y, d + 80);
      a6.blend(l, a6.lt(l)).blend(h, h.lt(a6)).intoArray(y, d + 96);
      a7.blend(l, a7.lt(l)).blend(h, h.lt(a7)).intoArray(y, d + 112);
    }
    return ox;
  }

  /**
   * Eight interior pixels at a time for stride 2 (a constant step lets C2 merge the range checks).
   */
  private static int eights2(
      float[] y,
      int yr,
      float[] x,
      int xr,
      float[] w,
      int wc,
      float[] bias,
      int bo,
      int[] plan,
      int nt,
      int ox,
      int end,
      int pl,
      float lo,
      float hi) {
    FloatVector b = FloatVector.fromArray(S, bias, bo);
    FloatVector l = FloatVector.broadcast(S, lo);
    FloatVector h = FloatVector.broadcast(S, hi);
    for (; ox + 8 <= end; ox += 8) {
      FloatVector a0 = b;
      FloatVector a1 = b;
      FloatVector a2 = b;
      FloatVector a3 = b;
      FloatVector a4 = b;
      FloatVector a5 = b;
      FloatVector a6 = b;
      FloatVector a7 = b;
      int xi = xr + (ox * 2 - pl) * BLOCK;
      for (int t = 0; t < nt; t++) {
        FloatVector wv = FloatVector.fromArray(S, w, wc + t * BLOCK);
        int q = xi + plan[15 + t];
        a0 = FloatVector.fromArray(S, x, q).fma(wv, a0);
        a1 = FloatVector.fromArray(S, x, q + 32).fma(wv, a1);
        a2 = FloatVector.fromArray(S, x, q + 64).fma(wv, a2);
        a3 = FloatVector.fromArray(S, x, q + 96).fma(wv, a3);
        a4 = FloatVector.fromArray(S, x, q + 128).fma(wv, a4);
        a5 = FloatVector.fromArray(S, x, q + 160).fma(wv, a5);
        a6 = FloatVector.fromArray(S, x, q + 192).fma(wv, a6);
        a7 = FloatVector.fromArray(S, x, q + 224).fma(wv, a7);
      }
      int d = yr + ox * BLOCK;
      a0.blend(l, a0.lt(l)).blend(h, h.lt(a0)).intoArray(y, d);
      a1.blend(l, a1.lt(l)).blend(h, h.lt(a1)).intoArray(y, d + 16);
      a2.blend(l, a2.lt(l)).blend(h, h.lt(a2)).intoArray(y, d + 32);
      a3.blend(l, a3.lt(l)).blend(h, h.lt(a3)).intoArray(y, d + 48);
      a4.blend(l, a4.lt(l)).blend(h, h.lt(a4)).intoArray(y, d + 64);
      a5.blend(l, a5.lt(l)).blend(h, h.lt(a5)).intoArray(y, d + 80);
      a6.blend(l, a6.lt(l)).blend(h, h.lt(a6)).intoArray(y, d + 96);
      a7.blend(l, a7.lt(l)).blend(h, h.lt(a7)).intoArray(y, d + 112);
    }
    return ox;
  }

  /**
   * Interior pixels {@code [ox, end)} of one output row, four at a time: per tap one weight vector
   * and four input vectors. Returns the first pixel not done (fewer than four were left).
   */
  private static int quad(
      float[] y,
      int yr,
      float[] x,
      int xr,
      float[] w,
      int wc,
      float[] bias,
      int bo,
      int[] plan,
      int nt,
      int ox,
      int end,
      int sw,
      int pl,
      float lo,
      float hi) {
    FloatVector b = FloatVector.fromArray(S, bias, bo);
    FloatVector l = FloatVector.broadcast(S, lo);
    FloatVector h = FloatVector.broadcast(S, hi);
    int step = sw * BLOCK;
    for (; ox + 4 <= end; ox += 4) {
      FloatVector a0 = b;
      FloatVector a1 = b;
      FloatVector a2 = b;
      FloatVector a3 = b;
      int xi = xr + (ox * sw - pl) * BLOCK;
      for (int t = 0; t < nt; t++) {
        FloatVector wv = FloatVector.fromArray(S, w, wc + t * BLOCK);
        int q = xi + plan[15 + t];
        a0 = FloatVector.fromArray(S, x, q).fma(wv, a0);
        a1 = FloatVector.fromArray(S, x, q + step).fma(wv, a1);
        a2 = FloatVector.fromArray(S, x, q + 2 * step).fma(wv, a2);
        a3 = FloatVector.fromArray(S, x, q + 3 * step).fma(wv, a3);
      }
      int d = yr + ox * BLOCK;
      a0.blend(l, a0.lt(l)).blend(h, h.lt(a0)).intoArray(y, d);
      a1.blend(l, a1.lt(l)).blend(h, h.lt(a1)).intoArray(y, d + BLOCK);
      a2.blend(l, a2.lt(l)).blend(h, h.lt(a2)).intoArray(y, d + 2 * BLOCK);
      a3.blend(l, a3.lt(l)).blend(h, h.lt(a3)).intoArray(y, d + 3 * BLOCK);
    }
    return ox;
  }

  /** One interior output pixel: all taps of the window at {@code xi}. */
  private static void single(
      float[] y,
      int d,
      float[] x,
      int xi,
      float[] w,
      int wc,
      float[] bias,
      int bo,
      int[] plan,
      int nt,
      float lo,
      float hi) {
    FloatVector a = FloatVector.fromArray(S, bias, bo);
    for (int t = 0; t < nt; t++) {
      a =
          FloatVector.fromArray(S, x, xi + plan[15 + t])
              .fma(FloatVector.fromArray(S, w, wc + t * BLOCK), a);
    }
    FloatVector l = FloatVector.broadcast(S, lo);
    FloatVector h = FloatVector.broadcast(S, hi);
    a.blend(l, a.lt(l)).blend(h, h.lt(a)).intoArray(y, d);
  }

  /** The border pixels of one channel block, from their tap lists at {@code plan[at..]}. */
  private static void border(
      float[] y,
      int yc,
      float[] x,
      int xc,
      float[] w,
      int wc,
      float[] bias,
      int bo,
      int[] plan,
      int at,
      float lo,
      float hi) {
    FloatVector b = FloatVector.fromArray(S, bias, bo);
    FloatVector l = FloatVector.broadcast(S, lo);
    FloatVector h = FloatVector.broadcast(S, hi);
    int pixels = plan[at++];
    for (int i = 0; i < pixels; i++) {
      int d = yc + plan[at];
      int end = at + 2 + 2 * plan[at + 1];
      FloatVector a = b;
      for (int j = at + 2; j < end; j += 2) {
        a =
            FloatVector.fromArray(S, x, xc + plan[j])
                .fma(FloatVector.fromArray(S, w, wc + plan[j + 1]), a);
      }
      a.blend(l, a.lt(l)).blend(h, h.lt(a)).intoArray(y, d);
      at = end;
    }
  }

  @Override
  public void globalAverage(float[] y, int yOff, float[] x, int xOff, int c, int plane) {
    float scale = 1f / plane;
    float[] partial = LANES.get();
    for (int cb = 0; cb < c; cb += BLOCK) {
      int base = xOff + cb * plane;
      FloatVector s0 = FloatVector.zero(S);
      FloatVector s1 = FloatVector.zero(S);
      int p = 0;
      for (; p + 1 < plane; p += 2) {
        s0 = s0.add(FloatVector.fromArray(S, x, base + p * BLOCK));
        s1 = s1.add(FloatVector.fromArray(S, x, base + (p + 1) * BLOCK));
      }
      if (p < plane) {
        s0 = s0.add(FloatVector.fromArray(S, x, base + p * BLOCK));
      }
      if (c - cb >= BLOCK) {
        s0.add(s1).mul(scale).intoArray(y, yOff + cb);
      } else { // no masked store: JDK 17 runs it in Java, allocating
        s0.add(s1).mul(scale).intoArray(partial, 0);
        System.arraycopy(partial, 0, y, yOff + cb, c - cb);
      }
    }
  }

  @Override
  public void channelScale(
      float[] y, int yOff, float[] x, int xOff, float[] s, int sOff, int c, int plane) {
    float[] partial = LANES.get();
    for (int cb = 0; cb < c; cb += BLOCK) {
      FloatVector sv;
      if (c - cb >= BLOCK) {
        sv = FloatVector.fromArray(S, s, sOff + cb);
      } else { // zero-padded copy instead of a masked load (which allocates on JDK 17)
        java.util.Arrays.fill(partial, 0f);
        System.arraycopy(s, sOff + cb, partial, 0, c - cb);
        sv = FloatVector.fromArray(S, partial, 0);
      }
      int base = cb * plane;
      for (int p = 0; p < plane * BLOCK; p += BLOCK) {
        FloatVector.fromArray(S, x, xOff + base + p).mul(sv).intoArray(y, yOff + base + p);
      }
    }
  }

  @Override
  public void stem(
      float[] y,
      int yOff,
      float[] x,
      int xOff,
      float[] w,
      float[] bias,
      int[] plan,
      int np,
      float lo,
      float hi,
      Epilogue other,
      int g0,
      int g1,
      int r0,
      int r1) {
    int wp = plan[1];
    int oh = plan[2];
    int ow = plan[3];
    int sh = plan[4];
    int sw = plan[5];
    int nt = plan[11];
    int pp = oh * ow * BLOCK;
    for (int g = g0; g < g1; g++) {
      int cs = g * 32;
      int width = Math.min(32, np - cs);
      int wo = cs * nt;
      for (int oy = r0; oy < r1; oy++) {
        int xr = xOff + oy * sh * wp;
        int yr = yOff + (cs / BLOCK) * pp + oy * ow * BLOCK;
        for (int ox = 0; ox < ow; ox += STEM_ROWS) {
          int s = Math.min(ox, ow - STEM_ROWS); // the last tile ends at the row's end
          if (width == 32) {
            stem32(y, yr + s * BLOCK, pp, x, xr + s * sw, sw, plan, nt, w, wo, bias, cs, lo, hi);
          } else {
            stem16(y, yr + s * BLOCK, pp, x, xr + s * sw, sw, plan, nt, w, wo, bias, cs, lo, hi);
          }
        }
        if (other != null) {
          for (int b = 0; b < width; b += BLOCK) {
            other.apply(y, yr + (b / BLOCK) * pp, ow * BLOCK);
          }
        }
      }
    }
  }

  /**
   * 7 output pixels of one row x 32 output channels of a conv over a plain padded input: one
   * broadcast per pixel and (channel, tap), {@code y = clamp(W x + bias)}.
   */
  private static void stem32(
      float[] y,
      int yo,
      int pp,
      float[] x,
      int xo,
      int s,
      int[] plan,
      int nt,
      float[] w,
      int wo,
      float[] bias,
      int bo,
      float lo,
      float hi) {
    FloatVector b0 = FloatVector.fromArray(S, bias, bo + 0);
    FloatVector b1 = FloatVector.fromArray(S, bias, bo + 16);
    FloatVector c00 = b0;
    FloatVector c01 = b1;
    FloatVector c10 = b0;
    FloatVector c11 = b1;
    FloatVector c20 = b0;
    FloatVector c21 = b1;
    FloatVector c30 = b0;
    FloatVector c31 = b1;
    FloatVector c40 = b0;
    FloatVector c41 = b1;
    FloatVector c50 = b0;
    FloatVector c51 = b1;
    FloatVector c60 = b0;
    FloatVector c61 = b1;
    for (int t = 0; t < nt; t++) {
      int wi = wo + t * 32;
      FloatVector w0 = FloatVector.fromArray(S, w, wi + 0);
      FloatVector w1 = FloatVector.fromArray(S, w, wi + 16);
      int xi = xo + plan[STEM_TAPS + t];
      FloatVector a = FloatVector.broadcast(S, x[xi]);
      c00 = a.fma(w0, c00);
      c01 = a.fma(w1, c01);
      a = FloatVector.broadcast(S, x[xi + s]);
      c10 = a.fma(w0, c10);
      c11 = a.fma(w1, c11);
      a = FloatVector.broadcast(S, x[xi + 2 * s]);
      c20 = a.fma(w0, c20);
      c21 = a.fma(w1, c21);
      a = FloatVector.broadcast(S, x[xi + 3 * s]);
      c30 = a.fma(w0, c30);
      c31 = a.fma(w1, c31);
      a = FloatVector.broadcast(S, x[xi + 4 * s]);
      c40 = a.fma(w0, c40);
      c41 = a.fma(w1, c41);
      a = FloatVector.broadcast(S, x[xi + 5 * s]);
      c50 = a.fma(w0, c50);
      c51 = a.fma(w1, c51);
      a = FloatVector.broadcast(S, x[xi + 6 * s]);
      c60 = a.fma(w0, c60);
      c61 = a.fma(w1, c61);
    }
    FloatVector l = FloatVector.broadcast(S, lo);
    FloatVector h = FloatVector.broadcast(S, hi);
    c00.blend(l, c00.lt(l)).blend(h, h.lt(c00)).intoArray(y, yo + 0);
    c01.blend(l, c01.lt(l)).blend(h, h.lt(c01)).intoArray(y, yo + 0 + pp);
    c10.blend(l, c10.lt(l)).blend(h, h.lt(c10)).intoArray(y, yo + 16);
    c11.blend(l, c11.lt(l)).blend(h, h.lt(c11)).intoArray(y, yo + 16 + pp);
    c20.blend(l, c20.lt(l)).blend(h, h.lt(c20)).intoArray(y, yo + 32);
    c21.blend(l, c21.lt(l)).blend(h, h.lt(c21)).intoArray(y, yo + 32 + pp);
    c30.blend(l, c30.lt(l)).blend(h, h.lt(c30)).intoArray(y, yo + 48);
    c31.blend(l, c31.lt(l)).blend(h, h.lt(c31)).intoArray(y, yo + 48 + pp);
    c40.blend(l, c40.lt(l)).blend(h, h.lt(c40)).intoArray(y, yo + 64);
    c41.blend(l, c41.lt(l)).blend(h, h.lt(c41)).intoArray(y, yo + 64 + pp);
    c50.blend(l, c50.lt(l)).blend(h, h.lt(c50)).intoArray(y, yo + 80);
    c51.blend(l, c51.lt(l)).blend(h, h.lt(c51)).intoArray(y, yo + 80 + pp);
    c60.blend(l, c60.lt(l)).blend(h, h.lt(c60)).intoArray(y, yo + 96);
    c61.blend(l, c61.lt(l)).blend(h, h.lt(c61)).intoArray(y, yo + 96 + pp);
  }

  /** As {@link #stem32} for 16 output channels. */
  private static void stem16(
      float[] y,
      int yo,
      int pp,
      float[] x,
      int xo,
      int s,
      int[] plan,
      int nt,
      float[] w,
      int wo,
      float[] bias,
      int bo,
      float lo,
      float hi) {
    FloatVector b0 = FloatVector.fromArray(S, bias, bo + 0);
    FloatVector c00 = b0;
    FloatVector c10 = b0;
    FloatVector c20 = b0;
    FloatVector c30 = b0;
    FloatVector c40 = b0;
    FloatVector c50 = b0;
    FloatVector c60 = b0;
    for (int t = 0; t < nt; t++) {
      int wi = wo + t * 16;
      FloatVector w0 = FloatVector.fromArray(S, w, wi + 0);
      int xi = xo + plan[STEM_TAPS + t];
      FloatVector a = FloatVector.broadcast(S, x[xi]);
      c00 = a.fma(w0, c00);
      a = FloatVector.broadcast(S, x[xi + s]);
      c10 = a.fma(w0, c10);
      a = FloatVector.broadcast(S, x[xi + 2 * s]);
      c20 = a.fma(w0, c20);
      a = FloatVector.broadcast(S, x[xi + 3 * s]);
      c30 = a.fma(w0, c30);
      a = FloatVector.broadcast(S, x[xi + 4 * s]);
      c40 = a.fma(w0, c40);
      a = FloatVector.broadcast(S, x[xi + 5 * s]);
      c50 = a.fma(w0, c50);
      a = FloatVector.broadcast(S, x[xi + 6 * s]);
      c60 = a.fma(w0, c60);
    }
    FloatVector l = FloatVector.broadcast(S, lo);
    FloatVector h = FloatVector.broadcast(S, hi);
    c00.blend(l, c00.lt(l)).blend(h, h.lt(c00)).intoArray(y, yo + 0);
    c10.blend(l, c10.lt(l)).blend(h, h.lt(c10)).intoArray(y, yo + 16);
    c20.blend(l, c20.lt(l)).blend(h, h.lt(c20)).intoArray(y, yo + 32);
    c30.blend(l, c30.lt(l)).blend(h, h.lt(c30)).intoArray(y, yo + 48);
    c40.blend(l, c40.lt(l)).blend(h, h.lt(c40)).intoArray(y, yo + 64);
    c50.blend(l, c50.lt(l)).blend(h, h.lt(c50)).intoArray(y, yo + 80);
    c60.blend(l, c60.lt(l)).blend(h, h.lt(c60)).intoArray(y, yo + 96);
  }
}
