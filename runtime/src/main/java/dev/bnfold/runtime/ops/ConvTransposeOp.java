package dev.bnfold.runtime.ops;

import dev.bnfold.runtime.ModelFormatException;
import dev.bnfold.runtime.UnsupportedModelException;
import dev.bnfold.runtime.format.NodeDef;
import dev.bnfold.runtime.kernels.ConvGeometry;
import dev.bnfold.runtime.kernels.ConvTranspose;
import java.util.Arrays;

/**
 * ConvTranspose (1-D to 3-D; groups, strides, pads, output_padding, output_shape, dilations,
 * auto_pad). X (N, C, in...), W (C, M/group, k...), optional B (M). Output size per axis: {@code
 * stride*(in-1) + output_padding + (k-1)*dilation + 1 - padBegin - padEnd}.
 */
final class ConvTransposeOp extends Op {
  private final Window win;
  private final int group;
  private final int[] outputPadding;
  private final int[] outputShape; // spatial, or null

  private ConvTransposeOp(
      NodeDef node, Window win, int group, int[] outputPadding, int[] outputShape) {
    super(node);
    this.win = win;
    this.group = group;
    this.outputPadding = outputPadding;
    this.outputShape = outputShape;
  }

  static Op create(NodeDef n, Attrs a, OpContext c) {
    new ConvTransposeOp(n, null, 1, null, null).arity(2, 3, 1);
    int[] wShape = c.constantShape(n.inputs().get(1));
    long[] ks = a.ints("kernel_shape", null);
    if (ks == null) {
      if (wShape == null) {
        throw new UnsupportedModelException(
            "node " + n.describe() + ": needs kernel_shape or constant weights");
      }
      ks = new long[wShape.length - 2];
      for (int i = 0; i < ks.length; i++) {
        ks[i] = wShape[i + 2];
      }
    }
    if (ks.length < 1 || ks.length > 3) {
      throw new UnsupportedModelException(
          "node " + n.describe() + ": " + ks.length + "-D ConvTranspose is not supported");
    }
    Window win = new Window(n, a, ks.length, ks, false);
    long group = a.i("group", 1);
    if (group < 1 || group > Integer.MAX_VALUE) {
      throw new ModelFormatException("node " + n.describe() + ": group must be >= 1");
    }
    long[] op = a.ints("output_padding", new long[ks.length]);
    if (op.length != ks.length) {
      throw new ModelFormatException(
          "node " + n.describe() + ": output_padding needs " + ks.length + " values");
    }
    long[] os = a.ints("output_shape", null);
    int[] outShape = null;
    if (os != null) {
      if (os.length == ks.length + 2) {
        os = Arrays.copyOfRange(os, 2, os.length);
      }
      if (os.length != ks.length) {
        throw new ModelFormatException(
            "node " + n.describe() + ": output_shape needs " + ks.length + " values");
      }
      outShape = Shapes.toInts(os, "output_shape");
    }
    return new ConvTransposeOp(n, win, (int) group, Shapes.toInts(op, "output_padding"), outShape);
  }

  private int[][] pads(int[] in) {
    int s = win.spatial;
    int[] begin = new int[s];
    int[] end = new int[s];
    boolean same = win.autoPad.startsWith("SAME");
    for (int i = 0; i < s; i++) {
      int dk = (win.kernel[i] - 1) * win.dilations[i] + 1;
      int full = win.strides[i] * (in[i] - 1) + outputPadding[i] + dk;
      if (outputShape != null || same) {
        int target = outputShape != null ? outputShape[i] : in[i] * win.strides[i];
        // As the ONNX reference: floor division, so a target larger than the full output gives
        // negative end padding (extra output positions that receive only the bias).
        int total = full - target;
        if (win.autoPad.equals("SAME_UPPER")) {
          begin[i] = Math.floorDiv(total, 2);
          end[i] = total - begin[i];
        } else {
          end[i] = Math.floorDiv(total, 2);
          begin[i] = total - end[i];
        }
      } else if (!win.autoPad.equals("VALID")) {
        begin[i] = win.pads[i];
        end[i] = win.pads[i + s];
      }
    }
    return new int[][] {begin, end};
  }

  @Override
  public int[][] inferShapes(int[][] in) {
    int[] x = in[0];
    int[] w = in[1];
    int s = win.spatial;
    if (x.length != s + 2 || w.length != s + 2 || x[1] != w[0] || w[0] % group != 0) {
      throw shapeError(
          "input "
              + Shapes.str(x)
              + " and weights "
              + Shapes.str(w)
              + " do not fit (group "
              + group
              + ")");
    }
    int m = w[1] * group;
    if (in.length > 2 && in[2] != null && (in[2].length != 1 || in[2][0] != m)) {
      throw shapeError("bias " + Shapes.str(in[2]) + " must be [" + m + "]");
    }
    int[] sp = Arrays.copyOfRange(x, 2, x.length);
    int[][] p = pads(sp);
    int[] out = new int[s + 2];
    out[0] = x[0];
    out[1] = m;
    for (int i = 0; i < s; i++) {
      int dk = (win.kernel[i] - 1) * win.dilations[i] + 1;
      out[i + 2] = win.strides[i] * (sp[i] - 1) + outputPadding[i] + dk - p[0][i] - p[1][i];
      if (out[i + 2] < 0) {
        throw shapeError("negative output size");
      }
    }
    return new int[][] {out};
  }

  @Override
  public Step bind(Binding b) {
    int[] x = b.in[0];
    int[] sp = Arrays.copyOfRange(x, 2, x.length);
    int[][] p = pads(sp);
    int[] y = b.out[0];
    ConvGeometry g =
        new ConvGeometry(
            x[0],
            x[1],
            y[1],
            group,
            Window.to3(sp, 1),
            Window.to3(Arrays.copyOfRange(y, 2, y.length), 1),
            Window.to3(win.kernel, 1),
            Window.to3(win.strides, 1),
            Window.to3(win.dilations, 1),
            Window.to3(p[0], 0));
    int ix = b.inIds[0];
    int iw = b.inIds[1];
    int ib = b.inIds.length > 2 ? b.inIds[2] : -1;
    int iy = b.outIds[0];
    return f ->
        ConvTranspose.reference(
            f.buf[iy],
            f.off[iy],
            f.buf[ix],
            f.off[ix],
            f.buf[iw],
            f.off[iw],
            ib < 0 ? null : f.buf[ib],
            ib < 0 ? 0 : f.off[ib],
            g);
  }
}
