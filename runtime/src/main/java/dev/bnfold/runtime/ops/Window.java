package dev.bnfold.runtime.ops;

import dev.bnfold.runtime.ModelFormatException;
import dev.bnfold.runtime.format.NodeDef;

/**
 * The sliding-window attributes shared by Conv, ConvTranspose and the pools: kernel_shape, strides,
 * dilations, pads, auto_pad, ceil_mode; resolved to 3-D (d, h, w) geometry for an input shape.
 */
final class Window {
  final int spatial;
  final int[] kernel;
  final int[] strides;
  final int[] dilations;
  final int[] pads;
  final String autoPad;
  final boolean ceilMode;

  /**
   * Parses the attributes. {@code kernel} may be null when kernel_shape is absent (Conv infers it
   * from the weights); then spatial comes from {@code spatialIfUnknown}.
   */
  Window(NodeDef node, Attrs a, int spatial, long[] kernel, boolean allowCeil) {
    this.spatial = spatial;
    this.kernel = Shapes.toInts(kernel, "kernel_shape");
    this.strides = ints(node, a, "strides", spatial, 1);
    this.dilations = ints(node, a, "dilations", spatial, 1);
    long[] p = a.ints("pads", null);
    if (p != null && p.length != 2 * spatial) {
      throw new ModelFormatException(
          "node "
              + node.describe()
              + ": pads has "
              + p.length
              + " values, expected "
              + 2 * spatial);
    }
    this.pads = p == null ? new int[2 * spatial] : Shapes.toInts(p, "pads");
    this.autoPad = a.s("auto_pad", "NOTSET");
    if (!autoPad.equals("NOTSET")
        && !autoPad.equals("VALID")
        && !autoPad.equals("SAME_UPPER")
        && !autoPad.equals("SAME_LOWER")) {
      throw a.unsupported(
          "auto_pad",
          "value '" + autoPad + "' is not one of NOTSET, VALID, SAME_UPPER, SAME_LOWER");
    }
    this.ceilMode = allowCeil && a.i("ceil_mode", 0) != 0;
    if (this.kernel.length != spatial) {
      throw new ModelFormatException(
          "node "
              + node.describe()
              + ": kernel_shape has "
              + this.kernel.length
              + " values, expected "
              + spatial);
    }
    for (int i = 0; i < spatial; i++) {
      if (this.kernel[i] < 1
          || strides[i] < 1
          || dilations[i] < 1
          || pads[i] < 0
          || pads[i + spatial] < 0) {
        throw new ModelFormatException(
            "node "
                + node.describe()
                + ": kernel, strides and dilations must be >= 1 and pads >= 0");
      }
    }
  }

  private static int[] ints(NodeDef node, Attrs a, String name, int n, int dflt) {
    long[] v = a.ints(name, null);
    int[] out = new int[n];
    java.util.Arrays.fill(out, dflt);
    if (v != null) {
      if (v.length != n) {
        throw new ModelFormatException(
            "node "
                + node.describe()
                + ": "
                + name
                + " has "
                + v.length
                + " values, expected "
                + n);
      }
      out = Shapes.toInts(v, name);
    }
    return out;
  }

  /** Begin and end padding per spatial axis for a forward window over {@code in}. */
  int[][] resolvePads(int[] in) {
    int[] begin = new int[spatial];
    int[] end = new int[spatial];
    for (int i = 0; i < spatial; i++) {
      int dk = (kernel[i] - 1) * dilations[i] + 1;
      switch (autoPad) {
        case "VALID":
          break;
        case "SAME_UPPER":
        case "SAME_LOWER":
          {
            int out = (in[i] + strides[i] - 1) / strides[i];
            int total = Math.max(0, (out - 1) * strides[i] + dk - in[i]);
            begin[i] = autoPad.equals("SAME_UPPER") ? total / 2 : total - total / 2;
            end[i] = total - begin[i];
            break;
          }
        default:
          begin[i] = pads[i];
          end[i] = pads[i + spatial];
      }
    }
    return new int[][] {begin, end};
  }

  /** Output spatial sizes of a forward window (Conv, pools) over {@code in}. */
  int[] outSize(int[] in, int[][] pad) {
    int[] out = new int[spatial];
    for (int i = 0; i < spatial; i++) {
      int dk = (kernel[i] - 1) * dilations[i] + 1;
      long span = (long) in[i] + pad[0][i] + pad[1][i] - dk;
      if (span < 0) {
        throw new IllegalArgumentException(
            "spatial size " + in[i] + " with pads is smaller than the kernel extent " + dk);
      }
      long o = (ceilMode ? (span + strides[i] - 1) / strides[i] : span / strides[i]) + 1;
      if (ceilMode && (o - 1) * strides[i] >= (long) in[i] + pad[0][i]) {
        o--; // the last window would start in the end padding
      }
      out[i] = (int) o;
    }
    return out;
  }

  /** Pads a spatial vector (length spatial) to 3-D with leading {@code fill} values. */
  static int[] to3(int[] v, int fill) {
    int[] r = {fill, fill, fill};
    System.arraycopy(v, 0, r, 3 - v.length, v.length);
    return r;
  }
}
