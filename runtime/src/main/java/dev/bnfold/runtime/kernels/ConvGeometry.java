package dev.bnfold.runtime.kernels;

/**
 * Geometry of a 3-D convolution or pooling window over NCDHW data; 1-D and 2-D cases use size-1
 * leading spatial dimensions (kernel 1, stride 1, no padding), which is exact. Arrays are indexed
 * (d, h, w).
 */
public final class ConvGeometry {
  /** Batch. */
  public final int n;

  /** Input channels. */
  public final int c;

  /** Output channels (equal to c for pooling). */
  public final int m;

  /** Groups (1 for pooling). */
  public final int group;

  /** Input spatial size (d, h, w). */
  public final int[] in;

  /** Output spatial size (d, h, w). */
  public final int[] out;

  /** Kernel size (d, h, w). */
  public final int[] k;

  /** Strides (d, h, w). */
  public final int[] stride;

  /** Dilations (d, h, w). */
  public final int[] dilation;

  /** Padding at the start of each spatial axis (d, h, w). */
  public final int[] padBegin;

  /** Creates a geometry; arrays are copied. */
  public ConvGeometry(
      int n,
      int c,
      int m,
      int group,
      int[] in,
      int[] out,
      int[] k,
      int[] stride,
      int[] dilation,
      int[] padBegin) {
    this.n = n;
    this.c = c;
    this.m = m;
    this.group = group;
    this.in = in.clone();
    this.out = out.clone();
    this.k = k.clone();
    this.stride = stride.clone();
    this.dilation = dilation.clone();
    this.padBegin = padBegin.clone();
  }

  /** Elements in one input plane (d*h*w). */
  public int inPlane() {
    return in[0] * in[1] * in[2];
  }

  /** Elements in one output plane. */
  public int outPlane() {
    return out[0] * out[1] * out[2];
  }

  /** Taps in one kernel window. */
  public int kernelSize() {
    return k[0] * k[1] * k[2];
  }

  /** True if this is a 1x1 convolution with unit stride and no padding (a plain GEMM). */
  public boolean isPointwise() {
    for (int i = 0; i < 3; i++) {
      if (k[i] != 1 || stride[i] != 1 || padBegin[i] != 0 || in[i] != out[i]) {
        return false;
      }
    }
    return true;
  }
}
