package dev.bnfold.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.bnfold.converter.io.NdArray;
import dev.bnfold.converter.verify.OrtRunner;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * ONNX Runtime's own per-node timings for {@code bench --profile --against-ort}: the model runs in
 * a separate session with ONNX Runtime's profiler on (so its overhead stays out of the latency
 * figure), and the {@code <node>_kernel_time} events of its trace are reduced to a median per node.
 * The nodes are those of ONNX Runtime's optimized graph (fused, with its layout reorders), not
 * bnfold's.
 */
record OrtProfile(List<Node> nodes) {
  /** One node of ONNX Runtime's optimized graph: name, op type, median ms over the runs. */
  record Node(String name, String op, double medianMs) {}

  /** Profiles {@code runs} runs after {@code warmup} unprofiled-equivalent ones (dropped). */
  static OrtProfile measure(
      byte[] model, int threads, Map<String, NdArray> feed, int warmup, int runs)
      throws IOException {
    Path dir = Files.createTempDirectory("bnfold-ort-profile");
    try {
      Path file;
      try (OrtRunner r = new OrtRunner(model, true, threads, dir.resolve("ort"))) {
        for (int i = 0; i < warmup + runs; i++) {
          r.run(feed);
        }
        file = r.endProfiling();
      }
      return parse(new ObjectMapper().readTree(file.toFile()), warmup);
    } finally {
      try (var files = Files.list(dir)) {
        for (Path f : (Iterable<Path>) files::iterator) {
          Files.deleteIfExists(f);
        }
      }
      Files.deleteIfExists(dir);
    }
  }

  /** The medians per node of a trace, skipping each node's first {@code skip} events (warm-up). */
  static OrtProfile parse(JsonNode trace, int skip) {
    Map<String, List<Double>> times = new LinkedHashMap<>();
    Map<String, String> ops = new LinkedHashMap<>();
    for (JsonNode e : trace) {
      String name = e.path("name").asText();
      if (!"Node".equals(e.path("cat").asText()) || !name.endsWith("_kernel_time")) {
        continue;
      }
      String node = name.substring(0, name.length() - "_kernel_time".length());
      times.computeIfAbsent(node, k -> new ArrayList<>()).add(e.path("dur").asDouble() / 1000.0);
      ops.putIfAbsent(node, e.path("args").path("op_name").asText("?"));
    }
    List<Node> nodes = new ArrayList<>();
    for (Map.Entry<String, List<Double>> t : times.entrySet()) {
      List<Double> d = t.getValue();
      double[] v =
          d.subList(Math.min(skip, d.size() - 1), d.size()).stream()
              .mapToDouble(Double::doubleValue)
              .toArray();
      Arrays.sort(v);
      double median =
          v.length % 2 == 1 ? v[v.length / 2] : (v[v.length / 2 - 1] + v[v.length / 2]) / 2;
      nodes.add(new Node(t.getKey(), ops.get(t.getKey()), median));
    }
    return new OrtProfile(nodes);
  }

  /** Sum of the node medians, ms. */
  double totalMs() {
    return nodes.stream().mapToDouble(Node::medianMs).sum();
  }

  @Override
  public String toString() {
    StringBuilder b = new StringBuilder();
    b.append(String.format("%-4s %-40s %-22s %10s %6s%n", "#", "node", "op", "ms", "%"));
    double total = totalMs();
    for (int i = 0; i < nodes.size(); i++) {
      Node n = nodes.get(i);
      String name = n.name().length() > 40 ? n.name().substring(0, 39) + "~" : n.name();
      b.append(
          String.format(
              "%-4d %-40s %-22s %10.4f %6.1f%n",
              i, name, n.op(), n.medianMs(), total > 0 ? 100 * n.medianMs() / total : 0));
    }
    b.append(String.format("total: sum of node medians %.3f ms%n", total));
    return b.toString();
  }
}
