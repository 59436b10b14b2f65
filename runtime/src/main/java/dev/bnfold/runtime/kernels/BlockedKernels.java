package dev.bnfold.runtime.kernels;

/**
 * Kernels over the channel-blocked layout NCHWc16: a tensor (N, C, H, W) stored as (N, ceil(C/16),
 * H, W, 16), channel c of pixel p of image n at {@code ((n * CB + c / 16) * H * W + p) * 16 + c %
 * 16}. The channels past C in the last block are padding: kernels write them (from zero weights and
 * zero bias, so they hold f(0) of the fused activation) and ignore what they read there.
 *
 * <p>In this layout the sixteen channels of a pixel are one vector. A 1x1 conv becomes a GEMM with
 * pixels as rows (broadcast) and output channels as vector columns, so any plane size tiles without
 * ragged column panels, and a depthwise conv of any stride is one vector FMA per tap and pixel with
 * no transposes or phase splits. Only the Vector API implementation exists (16-lane vectors); the
 * model runs these convs in the plain layout elsewhere.
 */
public interface BlockedKernels {
  /** Channels per block. */
  int BLOCK = 16;

  /** Channels {@code c} rounded up to whole blocks. */
  static int padded(int c) {
    return (c + BLOCK - 1) / BLOCK * BLOCK;
  }

  /**
   * Pointwise weights W (M, C) row-major packed for {@link #pointwise}: output channels in groups
   * of {@link #groupWidth} columns, each group {@code (padded(C), width)} row-major, zero past C
   * and M.
   */
  static float[] packPointwise(float[] w, int m, int c) {
    int kp = padded(c);
    int np = padded(m);
    float[] p = new float[kp * np];
    for (int cs = 0; cs < np; ) {
      int width = groupWidth(np, cs);
      for (int o = cs; o < Math.min(cs + width, m); o++) {
        for (int k = 0; k < c; k++) {
          p[cs * kp + k * width + o - cs] = w[o * c + k];
        }
      }
      cs += width;
    }
    return p;
  }

  /**
   * Width of the output-channel group that starts at channel {@code cs} of {@code np} (padded): 64
   * while at least 64 remain, then 32, then 16.
   */
  static int groupWidth(int np, int cs) {
    int left = np - cs;
    return left >= 64 ? 64 : left >= 32 ? 32 : 16;
  }

  /** Number of output-channel groups of {@link #groupWidth} for {@code np} channels. */
  static int groups(int np) {
    int n = 0;
    for (int cs = 0; cs < np; cs += groupWidth(np, cs)) {
      n++;
    }
    return n;
  }

  /** First channel of group {@code g} of {@code np} channels. */
  static int groupStart(int np, int g) {
    int cs = 0;
    for (int i = 0; i < g; i++) {
      cs += groupWidth(np, cs);
    }
    return cs;
  }

  /** Depthwise weights W (C, 1, kh, kw) as (CB, kh * kw, 16), zero past C. */
  static float[] packDepthwise(float[] w, int c, int taps) {
    float[] p = new float[padded(c) * taps];
    for (int ch = 0; ch < c; ch++) {
      for (int t = 0; t < taps; t++) {
        p[((ch / BLOCK) * taps + t) * BLOCK + ch % BLOCK] = w[ch * taps + t];
      }
    }
    return p;
  }

  /** {@code b} (n floats) zero-padded to {@code padded(n)}; zeros if b is null. */
  static float[] padBias(float[] b, int n) {
    float[] p = new float[padded(n)];
    if (b != null) {
      System.arraycopy(b, 0, p, 0, n);
    }
    return p;
  }

  /** One image (C, plane) in the plain layout to the blocked layout, padding channels zeroed. */
  void toBlocked(float[] dst, int dOff, float[] src, int sOff, int c, int plane);

  /** One image from the blocked layout to the plain (C, plane) layout. */
  void fromBlocked(float[] dst, int dOff, float[] src, int sOff, int c, int plane);

  /**
   * One image of a 1x1 conv in the blocked layout, output-channel groups {@code [g0, g1)} and
   * pixels {@code [p0, p1)}: {@code y = clamp(W x + bias (+ add), lo, hi)}.
   *
   * @param w weights from {@link #packPointwise}
   * @param bias {@code np} floats
   * @param add the addend in the output's layout, or null
   * @param kp input channels, padded
   * @param np output channels, padded
   * @param plane pixels of the image
   * @param p0 first pixel; {@code p1 - p0} must be at least {@link #minPlane}: tiles stay inside
   *     the range, the last one overlapping the one before
   */
  void pointwise(
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
      int p1);

  /**
   * The fewest pixels a {@link #pointwise} range may hold (its tiles overlap but never exceed it).
   */
  int minPlane();

  /**
   * The plan of a depthwise conv for {@link #depthwise}, offsets within one channel block:
   *
   * <pre>
   * [0..9]   in h, in w, out h, out w, kernel h, kernel w, stride h, stride w, pad top, pad left
   * [10..13] the output pixels whose window lies inside the image: rows [r0, r1), columns [c0, c1)
   * [14]     taps nt, then nt input offsets of the taps from the window's corner
   * then     border pixels B, then per border pixel: its output offset, its taps n inside the
   *          image, and n pairs (input offset, weight offset)
   * </pre>
   *
   * Building the tap lists of border pixels once here, not per call, keeps the kernel's border loop
   * free of bounds arithmetic.
   */
  static int[] depthwisePlan(int[] geom) {
    int ih = geom[0];
    int iw = geom[1];
    int oh = geom[2];
    int ow = geom[3];
    int kh = geom[4];
    int kw = geom[5];
    int sh = geom[6];
    int sw = geom[7];
    int pt = geom[8];
    int pl = geom[9];
    int c0 = Math.min(ow, (pl + sw - 1) / sw);
    int c1 = Math.max(c0, Math.min(ow, iw - kw + pl < 0 ? 0 : (iw - kw + pl) / sw + 1));
    int r0 = Math.min(oh, (pt + sh - 1) / sh);
    int r1 = Math.max(r0, Math.min(oh, ih - kh + pt < 0 ? 0 : (ih - kh + pt) / sh + 1));
    java.util.List<Integer> p = new java.util.ArrayList<>();
    for (int v : geom) {
      p.add(v);
    }
    p.add(r0);
    p.add(r1);
    p.add(c0);
    p.add(c1);
    p.add(kh * kw);
    for (int t = 0; t < kh * kw; t++) {
      p.add(((t / kw) * iw + t % kw) * BLOCK);
    }
    int countAt = p.size();
    p.add(0);
    int border = 0;
    for (int oy = 0; oy < oh; oy++) {
      for (int ox = 0; ox < ow; ox++) {
        if (oy >= r0 && oy < r1 && ox >= c0 && ox < c1) {
          continue;
        }
        int iy0 = oy * sh - pt;
        int ix0 = ox * sw - pl;
        p.add((oy * ow + ox) * BLOCK);
        int nAt = p.size();
        p.add(0);
        int n = 0;
        for (int ky = Math.max(0, -iy0); ky < Math.min(kh, ih - iy0); ky++) {
          for (int kx = Math.max(0, -ix0); kx < Math.min(kw, iw - ix0); kx++) {
            p.add(((iy0 + ky) * iw + ix0 + kx) * BLOCK);
            p.add((ky * kw + kx) * BLOCK);
            n++;
          }
        }
        p.set(nAt, n);
        border++;
      }
    }
    p.set(countAt, border);
    return p.stream().mapToInt(Integer::intValue).toArray();
  }

  /**
   * One image of a depthwise conv in the blocked layout, channel blocks {@code [cb0, cb1)}: {@code
   * y = clamp(conv(x, w) + bias, lo, hi)}.
   *
   * @param w weights from {@link #packDepthwise}
   * @param bias padded floats
   * @param plan from {@link #depthwisePlan}
   */
  void depthwise(
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
      int cb1);

  /**
   * One image's global average pool: {@code y[c] = mean over the plane of channel c} of the blocked
   * x, written plain (c floats).
   */
  void globalAverage(float[] y, int yOff, float[] x, int xOff, int c, int plane);

  /**
   * One image's per-channel scale in the blocked layout: {@code y[c][p] = x[c][p] * s[c]}, s plain
   * (c floats); padding channels get zero.
   */
  void channelScale(
      float[] y, int yOff, float[] x, int xOff, float[] s, int sOff, int c, int plane);

  /** Offset of the tap offsets in a {@link #stemPlan}. */
  int STEM_TAPS = 12;

  /**
   * The plan of {@link #stem}, a dense conv with fewer than 16 input channels (an image's first
   * conv) read from a plain zero-padded input: {@code [0..11]} padded h, padded w, out h, out w,
   * stride h, stride w, pad top, pad left, in h, in w, channels, taps (channels x kh x kw); then
   * from {@link #STEM_TAPS} the input offset of each (channel, tap) from the window's corner.
   *
   * @param window as for {@link #depthwisePlan}
   */
  static int[] stemPlan(int c, int[] window) {
    int ih = window[0];
    int iw = window[1];
    int oh = window[2];
    int ow = window[3];
    int kh = window[4];
    int kw = window[5];
    int sh = window[6];
    int sw = window[7];
    int pt = window[8];
    int pl = window[9];
    int hp = Math.max(ih + pt, (oh - 1) * sh + kh);
    int wp = Math.max(iw + pl, (ow - 1) * sw + kw);
    int nt = c * kh * kw;
    int[] p = new int[STEM_TAPS + nt];
    int[] head = {hp, wp, oh, ow, sh, sw, pt, pl, ih, iw, c, nt};
    System.arraycopy(head, 0, p, 0, head.length);
    for (int t = 0; t < nt; t++) {
      int ci = t / (kh * kw);
      int ky = t / kw % kh;
      int kx = t % kw;
      p[STEM_TAPS + t] = (ci * hp + ky) * wp + kx;
    }
    return p;
  }

  /**
   * Weights W (M, C, kh, kw) packed for {@link #stem}: output channels in groups of 32 (the last
   * one 16 when the padded count is an odd number of blocks), each group {@code (C*kh*kw, width)}
   * row-major, zero past M.
   */
  static float[] packStem(float[] w, int m, int k) {
    int np = padded(m);
    float[] p = new float[np * k];
    for (int cs = 0; cs < np; cs += 32) {
      int width = Math.min(32, np - cs);
      for (int o = cs; o < Math.min(cs + width, m); o++) {
        for (int t = 0; t < k; t++) {
          p[cs * k + t * width + o - cs] = w[o * k + t];
        }
      }
    }
    return p;
  }

  /** One image (C, in h, in w), plain, into the zero-padded plain input of a {@link #stemPlan}. */
  static void padPlain(float[] dst, int dOff, float[] src, int sOff, int[] plan) {
    int hp = plan[0];
    int wp = plan[1];
    int pt = plan[6];
    int pl = plan[7];
    int ih = plan[8];
    int iw = plan[9];
    for (int ci = 0; ci < plan[10]; ci++) {
      int d = dOff + ci * hp * wp;
      java.util.Arrays.fill(dst, d, d + pt * wp, 0f);
      java.util.Arrays.fill(dst, d + (pt + ih) * wp, d + hp * wp, 0f);
      for (int r = 0; r < ih; r++) {
        int row = d + (pt + r) * wp;
        java.util.Arrays.fill(dst, row, row + pl, 0f);
        System.arraycopy(src, sOff + (ci * ih + r) * iw, dst, row + pl, iw);
        java.util.Arrays.fill(dst, row + pl + iw, row + wp, 0f);
      }
    }
  }

  /**
   * One image of a {@link #stemPlan} conv, output-channel groups of 32 {@code [g0, g1)} and output
   * rows {@code [r0, r1)}, written blocked: {@code y = clamp(conv(x, W) + bias, lo, hi)}, then
   * {@code other} (another fused activation, or null) applied to each output row while it is in
   * cache.
   *
   * @param x the input from {@link #padPlain}
   * @param w weights from {@link #packStem}
   * @param plan from {@link #stemPlan}; at least 7 output columns
   */
  void stem(
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
      int r1);
}
