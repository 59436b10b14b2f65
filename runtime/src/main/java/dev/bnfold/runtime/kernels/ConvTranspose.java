package dev.bnfold.runtime.kernels;

/**
 * Transposed convolution over NCDHW float data. Geometry fields are read from the point of view of
 * the forward convolution: {@code g.in} is the ConvTranspose input (size C), {@code g.out} its
 * output (size M); weights are (C, M/group, k...).
 */
public final class ConvTranspose {
  private ConvTranspose() {}

  /**
   * Reference scatter loop: every input pixel i adds {@code x * w} to output position {@code i *
   * stride - padBegin + tap * dilation}; positions outside the output are dropped.
   */
  public static void reference(
      float[] y,
      int yOff,
      float[] x,
      int xOff,
      float[] w,
      int wOff,
      float[] b,
      int bOff,
      ConvGeometry g) {
    int cg = g.c / g.group;
    int mg = g.m / g.group;
    int inPlane = g.inPlane();
    int outPlane = g.outPlane();
    int ks = g.kernelSize();
    for (int n = 0; n < g.n; n++) {
      for (int o = 0; o < g.m; o++) {
        float bias = b == null ? 0f : b[bOff + o];
        int yc = yOff + (n * g.m + o) * outPlane;
        for (int i = 0; i < outPlane; i++) {
          y[yc + i] = bias;
        }
      }
      for (int c = 0; c < g.c; c++) {
        int grp = c / cg;
        int xc = xOff + (n * g.c + c) * inPlane;
        for (int ol = 0; ol < mg; ol++) {
          int o = grp * mg + ol;
          int yc = yOff + (n * g.m + o) * outPlane;
          int wc = wOff + (c * mg + ol) * ks;
          for (int id = 0; id < g.in[0]; id++) {
            for (int ih = 0; ih < g.in[1]; ih++) {
              for (int iw = 0; iw < g.in[2]; iw++) {
                float xv = x[xc + (id * g.in[1] + ih) * g.in[2] + iw];
                for (int kd = 0; kd < g.k[0]; kd++) {
                  int od = id * g.stride[0] - g.padBegin[0] + kd * g.dilation[0];
                  if (od < 0 || od >= g.out[0]) {
                    continue;
                  }
                  for (int kh = 0; kh < g.k[1]; kh++) {
                    int oh = ih * g.stride[1] - g.padBegin[1] + kh * g.dilation[1];
                    if (oh < 0 || oh >= g.out[1]) {
                      continue;
                    }
                    for (int kw = 0; kw < g.k[2]; kw++) {
                      int ow = iw * g.stride[2] - g.padBegin[2] + kw * g.dilation[2];
                      if (ow >= 0 && ow < g.out[2]) {
                        y[yc + (od * g.out[1] + oh) * g.out[2] + ow] +=
                            xv * w[wc + (kd * g.k[1] + kh) * g.k[2] + kw];
                      }
                    }
                  }
                }
              }
            }
          }
        }
      }
    }
  }
}
