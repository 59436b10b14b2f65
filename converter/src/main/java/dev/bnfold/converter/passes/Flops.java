package dev.bnfold.converter.passes;

import dev.bnfold.converter.graph.Dim;
import dev.bnfold.converter.graph.Graph;
import dev.bnfold.converter.graph.Node;
import dev.bnfold.converter.graph.ValueInfo;
import java.util.List;

/**
 * A simple FLOP model over inferred shapes (a multiply-add counts 2; symbolic dims count as 1):
 * Conv {@code 2·|Y|·(Cin/g)·Πk (+|Y| bias)}, ConvTranspose {@code 2·|X|·(Cout/g)·Πk}, Gemm/MatMul
 * {@code 2·|Y|·K}, BatchNormalization {@code 2·|Y|} (with precomputed scale), pools {@code |Y|·Πk},
 * global pools and reductions {@code |X|}, Softmax {@code 3·|Y|}, other elementwise ops {@code
 * |Y|}, shape and data-movement ops 0. Nodes whose shapes are unknown count 0.
 */
public final class Flops {
  private static final List<String> FREE =
      List.of(
          "Reshape",
          "Flatten",
          "Transpose",
          "Concat",
          "Split",
          "Slice",
          "Squeeze",
          "Unsqueeze",
          "Shape",
          "Gather",
          "Identity",
          "Dropout",
          "Cast",
          "Pad",
          "Expand");

  private Flops() {}

  /** Estimated floating-point operations of one inference of {@code graph}. */
  public static long of(Graph graph) {
    long total = 0;
    for (Node n : graph.nodes()) {
      total += of(graph, n);
    }
    return total;
  }

  static long of(Graph g, Node n) {
    if (n.outputs().isEmpty() || FREE.contains(n.opType())) {
      return 0;
    }
    long y = count(g.info(n.output(0)));
    long x = count(g.info(n.input(0)));
    if (y < 0) {
      return 0;
    }
    switch (n.opType()) {
      case "Conv", "ConvTranspose" -> {
        ValueInfo w = g.info(n.input(1));
        if (w == null || !w.hasStaticShape() || w.shape().size() < 3) {
          return 0; // unknown, or not a valid weight tensor (the runtime rejects it later)
        }
        long[] wd = w.dims();
        long k = 1;
        for (int i = 2; i < wd.length; i++) {
          k *= wd[i];
        }
        long bias = n.hasInput(2) ? y : 0;
        return n.is("Conv") ? 2 * y * wd[1] * k + bias : 2 * Math.max(x, 0) * wd[1] * k + bias;
      }
      case "Gemm", "MatMul" -> {
        ValueInfo a = g.info(n.input(0));
        if (a == null || a.shape() == null || a.shape().isEmpty()) {
          return 0;
        }
        boolean transA = n.attrInt("transA", 0) != 0;
        Dim kd = a.shape().get(transA ? 0 : a.shape().size() - 1);
        long k = kd.isKnown() ? kd.value() : 1;
        return 2 * y * k + (n.hasInput(2) ? y : 0);
      }
      case "BatchNormalization" -> {
        return 2 * y;
      }
      case "MaxPool", "AveragePool", "LpPool" -> {
        long k = 1;
        for (long v : n.attrInts("kernel_shape", new long[0])) {
          k *= v;
        }
        return y * k;
      }
      case "GlobalAveragePool", "GlobalMaxPool", "ReduceMean", "ReduceSum", "ReduceMax" -> {
        return Math.max(x, 0);
      }
      case "Softmax", "LogSoftmax" -> {
        return 3 * y;
      }
      default -> {
        return y;
      }
    }
  }

  /** Element count with symbolic dims as 1; -1 when the shape is unknown. */
  static long count(ValueInfo v) {
    if (v == null || v.shape() == null) {
      return -1;
    }
    long c = 1;
    for (Dim d : v.shape()) {
      c *= d.isKnown() ? d.value() : 1;
    }
    return c;
  }
}
