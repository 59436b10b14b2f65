package dev.bnfold.converter;

import dev.bnfold.converter.graph.Graph;
import dev.bnfold.converter.graph.Node;
import dev.bnfold.converter.graph.Tensor;
import dev.bnfold.converter.passes.Flops;
import java.util.Map;
import java.util.TreeMap;

/**
 * Size of a model before or after conversion.
 *
 * @param nodes number of nodes
 * @param parameters total element count of all initializers
 * @param batchNorms number of BatchNormalization nodes
 * @param flops estimated FLOPs of one inference at batch 1 ({@link Flops})
 * @param ops node count by op type
 */
public record ConversionStats(
    int nodes, long parameters, int batchNorms, long flops, Map<String, Integer> ops) {

  public ConversionStats {
    ops = Map.copyOf(ops);
  }

  /** Measures {@code graph}; its value infos should be inferred for a meaningful FLOP count. */
  public static ConversionStats of(Graph graph) {
    return of(graph, Flops.of(graph));
  }

  /** Counts of {@code graph} with a FLOP estimate computed elsewhere. */
  public static ConversionStats of(Graph graph, long flops) {
    long params = 0;
    for (Tensor t : graph.initializers().values()) {
      params += t.elementCount();
    }
    Map<String, Integer> ops = new TreeMap<>();
    for (Node n : graph.nodes()) {
      ops.merge(n.opType(), 1, Integer::sum);
    }
    return new ConversionStats(
        graph.nodes().size(), params, (int) graph.count("BatchNormalization"), flops, ops);
  }
}
