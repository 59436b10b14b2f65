package dev.bnfold.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.bnfold.converter.export.RuntimeModels;
import dev.bnfold.converter.io.NdArray;
import dev.bnfold.converter.verify.OrtRunner;
import dev.bnfold.runtime.InvalidInputException;
import dev.bnfold.runtime.Model;
import dev.bnfold.runtime.Options;
import dev.bnfold.runtime.PreparedRun;
import dev.bnfold.runtime.Profile;
import dev.bnfold.runtime.ValueInfo;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/** {@code bnfold bench MODEL}: single-input latency of the Java runtime, optionally vs ORT. */
@Command(
    name = "bench",
    mixinStandardHelpOptions = true,
    description = {
      "Measure the latency of one inference (batch 1) in the Java runtime and, with",
      "--against-ort, in ONNX Runtime (all graph optimizations, same thread count) on the",
      "original ONNX model, side by side in one process. Medians of --runs timed runs.",
      "For figures to publish, use the JMH benchmarks (see README)."
    })
final class BenchCommand implements Callable<Integer> {
  @Spec CommandSpec spec;

  @Parameters(
      paramLabel = "MODEL",
      description = "ONNX model (or runtime format without --against-ort).")
  Path model;

  @Option(
      names = "--threads",
      description = "Threads for both engines (default: ${DEFAULT-VALUE}).")
  int threads = 1;

  @Option(names = "--against-ort", description = "Also time ONNX Runtime on the original model.")
  boolean againstOrt;

  @Option(names = "--runs", description = "Timed runs per engine (default: ${DEFAULT-VALUE}).")
  int runs = 50;

  @Option(names = "--warmup", description = "Untimed runs first (default: ${DEFAULT-VALUE}).")
  int warmup = 20;

  @Option(
      names = "--warmup-time",
      description =
          "...and untimed runs for at least this many seconds (default: ${DEFAULT-VALUE}).")
  double warmupTime = 2;

  @Option(names = "--json", description = "Print one JSON object.")
  boolean json;

  @Option(
      names = "--profile",
      description = {
        "Also time every layer of the Java runtime (--runs runs): kernel chosen at load,",
        "median ms, share of the total, GFLOP/s. With --json, under the key \"layers\".",
        "With --against-ort also ONNX Runtime's own per-node profile of its optimized graph",
        "(a separate profiled session; key \"ort_layers\")."
      })
  boolean profile;

  @Override
  public Integer call() throws Exception {
    if (runs < 1 || warmup < 0 || !(warmupTime >= 0) || threads < 1) {
      throw new InvalidInputException(
          "--runs and --threads must be >= 1, --warmup and --warmup-time >= 0");
    }
    Latency java;
    Profile layers = null;
    int firstOutput; // floats of the first output, read back from ONNX Runtime too
    Map<String, NdArray> feed = new LinkedHashMap<>();
    String kernel;
    try (Model m = RuntimeModels.open(model, Options.builder().threads(threads).build())) {
      SplittableRandom random = new SplittableRandom(0);
      long[][] shapes = new long[m.inputs().size()][];
      float[][] in = new float[shapes.length][];
      for (int i = 0; i < shapes.length; i++) {
        ValueInfo v = m.inputs().get(i);
        shapes[i] = v.shape().clone();
        for (int d = 0; d < shapes[i].length; d++) {
          shapes[i][d] = shapes[i][d] < 0 ? 1 : shapes[i][d];
        }
        in[i] = new float[(int) dev.bnfold.converter.graph.Tensor.elementCount(shapes[i])];
        for (int k = 0; k < in[i].length; k++) {
          in[i][k] = (float) (random.nextDouble() * 2 - 1);
        }
        feed.put(v.name(), NdArray.ofFloats(shapes[i], in[i]));
      }
      PreparedRun run = m.prepare(shapes);
      kernel = m.kernelName();
      float[][] out = new float[m.outputs().size()][];
      for (int i = 0; i < out.length; i++) {
        out[i] = new float[run.outputSize(i)];
      }
      firstOutput = out[0].length;
      java = Latency.measure(() -> run.run(in, out), warmup, warmupTime, runs);
      if (profile) {
        layers = run.profile(in, out, runs);
      }
    }
    Latency ort = null;
    OrtProfile ortLayers = null;
    if (againstOrt) {
      if (RuntimeModels.isRuntimeFormat(model)) {
        throw new InvalidInputException(model + ": --against-ort needs the original ONNX model");
      }
      byte[] bytes = Files.readAllBytes(model);
      float[] ortOut = new float[firstOutput];
      try (OrtRunner r = new OrtRunner(bytes, true, threads);
          OrtRunner.Feed f = r.feed(feed)) {
        ort = Latency.measure(() -> r.run(f, ortOut), warmup, warmupTime, runs);
      }
      if (profile) {
        ortLayers = OrtProfile.measure(bytes, threads, feed, warmup, runs);
      }
    }
    PrintWriter o = spec.commandLine().getOut();
    if (json) {
      Map<String, Object> m = new LinkedHashMap<>();
      m.put("model", model.toString());
      m.put("threads", threads);
      m.put("runs", runs);
      m.put("bnfold_ms_median", java.medianMs());
      m.put("bnfold_ms_p90", java.p90Ms());
      m.put("ort_ms_median", ort == null ? null : ort.medianMs());
      m.put("ort_ms_p90", ort == null ? null : ort.p90Ms());
      m.put("ratio", ort == null ? null : java.medianMs() / ort.medianMs());
      if (layers != null) {
        List<Map<String, Object>> rows = new ArrayList<>();
        for (Profile.Layer l : layers.layers()) {
          Map<String, Object> row = new LinkedHashMap<>();
          row.put("node", l.node());
          row.put("op", l.opType());
          row.put("kernel", l.kernel());
          row.put("output_shape", l.outputShape());
          row.put("ms_median", l.medianMs());
          row.put("flops", l.flops());
          row.put("gflops", Double.isNaN(l.gflops()) ? null : l.gflops());
          rows.add(row);
        }
        m.put("layers", rows);
      }
      if (ortLayers != null) {
        List<Map<String, Object>> rows = new ArrayList<>();
        for (OrtProfile.Node n : ortLayers.nodes()) {
          Map<String, Object> row = new LinkedHashMap<>();
          row.put("node", n.name());
          row.put("op", n.op());
          row.put("ms_median", n.medianMs());
          rows.add(row);
        }
        m.put("ort_layers", rows);
      }
      o.println(new ObjectMapper().writeValueAsString(m));
    } else {
      o.printf("%s, batch 1, %d thread(s), median of %d runs:%n", model, threads, runs);
      o.printf("  Java runtime:  %8.3f ms (p90 %.3f)%n", java.medianMs(), java.p90Ms());
      if (ort != null) {
        o.printf("  ONNX Runtime:  %8.3f ms (p90 %.3f)%n", ort.medianMs(), ort.p90Ms());
        o.printf("  ratio (Java / ONNX Runtime): %.2f%n", java.medianMs() / ort.medianMs());
      }
      if (layers != null) {
        o.printf("%nJava runtime per layer (kernel %s):%n", kernel);
        o.print(layers);
      }
      if (ortLayers != null) {
        o.printf("%nONNX Runtime per node (its own profiler, its optimized graph):%n");
        o.print(ortLayers);
      }
    }
    o.flush();
    return 0;
  }
}
