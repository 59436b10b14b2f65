package dev.bnfold.converter.export;

import dev.bnfold.converter.graph.Graph;
import dev.bnfold.converter.graph.Node;
import dev.bnfold.converter.graph.Tensor;
import java.util.ArrayList;
import java.util.List;

/**
 * Finds {@code Mul(x, s) -> Add(., t)} pairs where s and t are constants that vary only along axis
 * 1 of x (what the converter makes of a standalone BatchNormalization, and what TensorFlow exports
 * write for one), so the runtime format can store each as one {@code ChannelAffine(x, scale, bias)}
 * node: {@code y[n,c,...] = x[n,c,...] * scale[c] + bias[c]}.
 */
final class ChannelAffineFusion {
  private ChannelAffineFusion() {}

  /**
   * One fusable pair.
   *
   * @param mul the Mul node
   * @param add the Add node that reads only the Mul's output
   * @param input x
   * @param scale s per channel
   * @param bias t per channel
   */
  record Pair(Node mul, Node add, String input, float[] scale, float[] bias) {}

  /** Every fusable pair in {@code graph}, in graph order. */
  static List<Pair> find(Graph graph) {
    List<Pair> out = new ArrayList<>();
    for (Node mul : graph.nodes()) {
      if (!mul.is("Mul") || mul.inputs().size() != 2) {
        continue;
      }
      int constIndex = graph.isConstant(mul.input(1)) ? 1 : graph.isConstant(mul.input(0)) ? 0 : -1;
      if (constIndex < 0) {
        continue;
      }
      String x = mul.input(1 - constIndex);
      long[] xDims = graph.staticDims(x);
      if (xDims == null) {
        xDims = graph.info(x) == null ? null : graph.info(x).dims();
      }
      if (xDims == null || xDims.length < 2 || xDims[1] < 1) {
        continue;
      }
      int channels = (int) xDims[1];
      float[] s = perChannel(graph.constant(mul.input(constIndex)), xDims.length, channels);
      if (s == null || !graph.hasSingleUse(mul.output(0))) {
        continue;
      }
      List<Node> readers = graph.consumers(mul.output(0));
      Node add = readers.get(0);
      if (!add.is("Add") || add.inputs().size() != 2) {
        continue;
      }
      String other = add.input(0).equals(mul.output(0)) ? add.input(1) : add.input(0);
      float[] t =
          graph.isConstant(other)
              ? perChannel(graph.constant(other), xDims.length, channels)
              : null;
      if (t == null) {
        continue;
      }
      out.add(new Pair(mul, add, x, s, t));
    }
    return out;
  }

  /**
   * The values of {@code c} if, broadcast against a tensor of the given rank, it varies only along
   * axis 1 (with {@code channels} entries, or 1 to be repeated); otherwise null.
   */
  static float[] perChannel(Tensor c, int rank, int channels) {
    if (c == null || c.rank() > rank || !(c.type() == dev.bnfold.converter.graph.DataType.FLOAT)) {
      return null;
    }
    long[] d = c.dims();
    int offset = rank - d.length; // right-aligned broadcasting
    for (int i = 0; i < d.length; i++) {
      int axis = i + offset;
      if (axis != 1 && d[i] != 1) {
        return null;
      }
      if (axis == 1 && d[i] != 1 && d[i] != channels) {
        return null;
      }
    }
    float[] v = c.floats();
    if (v.length == channels) {
      return v;
    }
    float[] repeated = new float[channels];
    java.util.Arrays.fill(repeated, v[0]);
    return repeated;
  }
}
