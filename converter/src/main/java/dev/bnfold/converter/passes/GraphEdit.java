package dev.bnfold.converter.passes;

import dev.bnfold.converter.graph.Graph;
import dev.bnfold.converter.graph.Node;
import dev.bnfold.converter.graph.Tensor;
import java.util.Arrays;
import java.util.List;

/** Small helpers the passes share for the patch step and for float rounding. */
final class GraphEdit {
  private GraphEdit() {}

  /**
   * Replaces the nodes {@code remove} by {@code add}, inserted where the last of the removed nodes
   * stood. That position keeps the order topological when the new nodes read only what the removed
   * nodes read and define only what they defined.
   */
  static void replace(Graph graph, List<Node> remove, List<Node> add) {
    List<Node> nodes = graph.nodes();
    int at = -1;
    for (Node r : remove) {
      at = Math.max(at, indexOf(nodes, r));
    }
    if (at < 0) {
      throw new IllegalStateException("none of " + remove + " is in the graph");
    }
    nodes.addAll(at + 1, add);
    for (Node r : remove) {
      nodes.remove(indexOf(nodes, r));
    }
  }

  static int indexOf(List<Node> nodes, Node n) {
    for (int i = 0; i < nodes.size(); i++) {
      if (nodes.get(i) == n) {
        return i;
      }
    }
    return -1;
  }

  /** A float32 tensor from double values, each rounded once. */
  static Tensor floats(long[] dims, double[] values) {
    float[] f = new float[values.length];
    for (int i = 0; i < f.length; i++) {
      f[i] = (float) values[i];
    }
    return Tensor.ofFloats(dims, f);
  }

  /** The float tensor named {@code value} if it is a constant of type float, else null. */
  static Tensor floatConstant(Graph graph, String value) {
    Tensor t = graph.constant(value);
    return t != null && t.type() == dev.bnfold.converter.graph.DataType.FLOAT ? t : null;
  }

  /**
   * Rank of {@code value}, or -1 when unknown. When shape inference could not reach the value (an
   * op it does not know upstream), the rank is still known from a Conv-like producer (rank of W), a
   * Gemm (2), or through shape-preserving producers.
   */
  static int rank(Graph graph, String value) {
    for (int depth = 0; depth < 64; depth++) {
      var info = graph.info(value);
      if (info != null && info.shape() != null) {
        return info.shape().size();
      }
      Node p = graph.producer(value);
      if (p == null) {
        return -1;
      }
      if (p.is("Conv") || p.is("ConvTranspose")) {
        Tensor w = graph.constant(p.input(1));
        return w == null ? -1 : w.rank();
      }
      if (p.is("Gemm")) {
        return 2;
      }
      boolean preserving =
          ChannelAffine.is(p)
              || p.is("BatchNormalization")
              || p.is("Relu")
              || p.is("Clip")
              || p.is("Sigmoid")
              || p.is("HardSwish")
              || p.is("HardSigmoid")
              || p.is("LeakyRelu")
              || p.is("Identity");
      if (!preserving) {
        return -1;
      }
      value = p.input(0);
    }
    return -1;
  }

  /** Shape {@code [C, 1, ..., 1]} of a per-channel constant broadcast against a rank-r tensor. */
  static long[] channelShape(int channels, int rank) {
    long[] dims = new long[Math.max(1, rank - 1)];
    Arrays.fill(dims, 1);
    dims[0] = channels;
    return dims;
  }
}
