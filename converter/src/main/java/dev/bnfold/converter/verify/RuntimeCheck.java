package dev.bnfold.converter.verify;

import dev.bnfold.converter.export.RuntimeModels;
import dev.bnfold.converter.graph.DataType;
import dev.bnfold.converter.graph.Graph;
import dev.bnfold.converter.graph.Node;
import dev.bnfold.converter.graph.ValueInfo;
import dev.bnfold.converter.io.NdArray;
import dev.bnfold.converter.onnx.OnnxReader;
import dev.bnfold.converter.onnx.OnnxWriter;
import dev.bnfold.runtime.Model;
import dev.bnfold.runtime.Options;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Checks the Java runtime running a converted graph against ONNX Runtime running the original model
 * (graph optimizations off): what {@code bnfold verify} reports. Optionally compares every
 * intermediate value the two graphs share, to name the first layer that diverges.
 */
public final class RuntimeCheck {
  private RuntimeCheck() {}

  /**
   * The result of a check.
   *
   * @param comparison worst error per output over all input sets
   * @param samples number of input sets
   * @param firstDivergence with per-layer comparison: the first shared value (in the converted
   *     graph's order) outside the tolerance, or null when all agree or per-layer was off
   * @param layersCompared number of shared intermediate values compared (0 when off)
   */
  public record Result(
      Comparison comparison, int samples, OutputComparison firstDivergence, int layersCompared) {
    public boolean passed() {
      return comparison.passed();
    }
  }

  /**
   * Runs {@code inputSets} through both and compares.
   *
   * @param original the model as read from its file
   * @param converted the converted graph (what the runtime runs)
   * @param perLayer also compare every intermediate value both graphs compute
   */
  public static Result run(
      Graph original,
      Graph converted,
      List<Map<String, NdArray>> inputSets,
      Tolerance tolerance,
      Options runtimeOptions,
      boolean perLayer) {
    List<String> shared = perLayer ? sharedValues(original, converted) : List.of();
    Graph reference = withOutputs(original, shared);
    Graph candidate = withOutputs(converted, shared);
    Set<String> finalOutputs = new HashSet<>();
    original.outputs().forEach(o -> finalOutputs.add(o.name()));

    List<Comparison> finals = new ArrayList<>();
    List<Comparison> layers = new ArrayList<>();
    try (OrtRunner ort = new OrtRunner(OnnxWriter.toBytes(reference), false, 0);
        Model model = RuntimeModels.fromGraph(candidate, "converted", runtimeOptions)) {
      for (Map<String, NdArray> inputs : inputSets) {
        Map<String, NdArray> expected = ort.run(inputs);
        Map<String, NdArray> actual = RuntimeModels.run(model, inputs);
        Map<String, NdArray> expectedFinal = new LinkedHashMap<>();
        Map<String, NdArray> expectedLayers = new LinkedHashMap<>();
        expected.forEach(
            (k, v) -> (finalOutputs.contains(k) ? expectedFinal : expectedLayers).put(k, v));
        finals.add(Comparison.compare(expectedFinal, actual, tolerance));
        // Keep the converted graph's order so that the first failure is the earliest layer.
        Map<String, NdArray> orderedLayers = new LinkedHashMap<>();
        for (String s : shared) {
          if (expectedLayers.containsKey(s)) {
            orderedLayers.put(s, expectedLayers.get(s));
          }
        }
        layers.add(Comparison.compare(orderedLayers, actual, tolerance));
      }
    }
    Comparison worstLayers = Comparison.worst(layers);
    OutputComparison first = perLayer ? worstLayers.firstFailure() : null;
    return new Result(Comparison.worst(finals), inputSets.size(), first, shared.size());
  }

  /**
   * Float values computed by nodes of both graphs, in the converted graph's order, except graph
   * outputs. A pass never gives a value's name to a different value, so a shared name means the
   * same tensor.
   */
  static List<String> sharedValues(Graph original, Graph converted) {
    Set<String> inOriginal = new HashSet<>();
    for (Node n : original.nodes()) {
      inOriginal.addAll(n.outputs());
    }
    Set<String> outputs = new HashSet<>();
    original.outputs().forEach(o -> outputs.add(o.name()));
    List<String> shared = new ArrayList<>();
    for (Node n : converted.nodes()) {
      for (String o : n.outputs()) {
        ValueInfo info = converted.info(o);
        boolean isFloat =
            info == null || info.type() == DataType.FLOAT || info.type() == DataType.UNDEFINED;
        if (!o.isEmpty() && inOriginal.contains(o) && !outputs.contains(o) && isFloat) {
          shared.add(o);
        }
      }
    }
    return shared;
  }

  /** A copy of {@code g} that also outputs {@code extra}. */
  private static Graph withOutputs(Graph g, List<String> extra) {
    Graph copy = new OnnxReader().read(OnnxWriter.toBytes(g), null);
    for (String name : extra) {
      ValueInfo info = copy.info(name);
      copy.outputs().add(info != null ? info : new ValueInfo(name, DataType.FLOAT, null));
    }
    return copy;
  }
}
