package dev.bnfold.converter.inspect;

import dev.bnfold.converter.graph.Graph;
import dev.bnfold.converter.graph.Node;
import dev.bnfold.converter.graph.Tensor;
import dev.bnfold.converter.graph.ValueInfo;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

/**
 * The facts {@code bnfold inspect} reports about a model: opsets, inputs and outputs, op histogram,
 * parameter count, BatchNormalization count, and anything unsupported or suspicious.
 *
 * @param opsets operator set versions by domain ("" is the ONNX default domain)
 * @param inputs graph inputs that a user feeds
 * @param outputs graph outputs
 * @param opHistogram node count per op type, sorted by op name
 * @param nodeCount number of nodes
 * @param parameterCount total number of elements of all initializers
 * @param parameterBytes total size of all initializers in bytes
 * @param batchNormCount number of BatchNormalization nodes
 * @param findings one line per unsupported or suspicious thing found; empty when none
 */
public record ModelSummary(
    Map<String, Long> opsets,
    List<ValueInfo> inputs,
    List<ValueInfo> outputs,
    Map<String, Integer> opHistogram,
    int nodeCount,
    long parameterCount,
    long parameterBytes,
    int batchNormCount,
    List<String> findings) {

  /**
   * Summarises {@code graph}.
   *
   * @param converted the graph after conversion, whose ops must all be in {@code supportedOps} (the
   *     converter removes constant subgraphs, Identity and the like); null to check {@code graph}
   *     itself
   * @param supportedOps ops the runtime can run; other nodes are findings
   */
  public static ModelSummary of(Graph graph, Graph converted, Set<String> supportedOps) {
    Map<String, Integer> histogram = new TreeMap<>();
    List<String> findings = new ArrayList<>();
    Map<String, List<String>> unsupported = new TreeMap<>();
    for (Node n : graph.nodes()) {
      histogram.merge(opName(n), 1, Integer::sum);
      if (n.is("BatchNormalization")) {
        findings.addAll(batchNormFindings(graph, n));
      }
    }
    for (Node n : (converted == null ? graph : converted).nodes()) {
      if (!n.domain().isEmpty() || !supportedOps.contains(n.opType())) {
        unsupported.computeIfAbsent(opName(n), k -> new ArrayList<>()).add(n.name());
      }
    }
    unsupported.forEach(
        (op, names) ->
            findings.add(
                "unsupported op "
                    + op
                    + " ("
                    + names.size()
                    + " node"
                    + (names.size() == 1 ? "" : "s")
                    + (names.get(0).isEmpty() ? "" : ", e.g. '" + names.get(0) + "'")
                    + ")"));
    for (ValueInfo in : graph.inputs()) {
      if (graph.initializers().containsKey(in.name())) {
        findings.add(
            "input '"
                + in.name()
                + "' has an initializer: it can be overridden at run time, so it is not treated as a constant");
      }
    }
    long params = 0;
    long bytes = 0;
    for (Tensor t : graph.initializers().values()) {
      params += t.elementCount();
      bytes += t.byteCount();
    }
    return new ModelSummary(
        Map.copyOf(graph.opsets()),
        List.copyOf(graph.inputs()),
        List.copyOf(graph.outputs()),
        histogram,
        graph.nodes().size(),
        params,
        bytes,
        (int) graph.count("BatchNormalization"),
        findings);
  }

  private static String opName(Node n) {
    return n.domain().isEmpty() ? n.opType() : n.domain() + "." + n.opType();
  }

  private static List<String> batchNormFindings(Graph graph, Node bn) {
    List<String> out = new ArrayList<>();
    String who = bn.describe();
    if (bn.attrInt("training_mode", 0) != 0 || bn.outputs().size() > 1) {
      out.add(who + " is in training mode: it will not be folded");
    }
    for (int i = 1; i <= 4 && i < bn.inputs().size(); i++) {
      String p = bn.input(i);
      Tensor t = graph.constant(p);
      if (t == null) {
        out.add(
            who + ": parameter '" + p + "' is not a constant initializer: it will not be folded");
        continue;
      }
      if (!t.type().equals(dev.bnfold.converter.graph.DataType.FLOAT)) {
        continue;
      }
      float[] v = t.floats();
      for (float x : v) {
        if (!Float.isFinite(x)) {
          out.add(who + ": parameter '" + p + "' contains NaN or Inf");
          break;
        }
        if (i == 4 && x < 0) {
          out.add(who + ": variance '" + p + "' has negative values");
          break;
        }
      }
    }
    return out;
  }
}
