package dev.bnfold.cli;

import dev.bnfold.converter.ConversionResult;
import dev.bnfold.converter.Converter;
import dev.bnfold.converter.export.RuntimeExporter;
import dev.bnfold.converter.graph.Graph;
import dev.bnfold.converter.io.NdArray;
import dev.bnfold.converter.io.Npy;
import dev.bnfold.converter.onnx.OnnxReader;
import dev.bnfold.converter.verify.OrtRunner;
import dev.bnfold.converter.verify.RuntimeCheck;
import dev.bnfold.converter.verify.Tolerance;
import dev.bnfold.runtime.Model;
import dev.bnfold.runtime.Options;
import dev.bnfold.runtime.PreparedRun;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code bnfold demo}: the main job on the bundled default model. Converts digits-cnn, verifies it,
 * runs the held-out test set through ONNX Runtime (original) and the Java runtime (folded), and
 * prints both accuracies, their agreement and the latency of each.
 */
@Command(
    name = "demo",
    mixinStandardHelpOptions = true,
    description = {
      "Convert the bundled digits-cnn model, verify it, and compare ONNX Runtime on the",
      "original with the Java runtime on the folded model over the held-out test set:",
      "accuracy, agreement and single-image latency."
    })
final class DemoCommand implements Callable<Integer> {
  @Spec CommandSpec spec;

  @Option(
      names = "--model",
      paramLabel = "MODEL.onnx",
      description =
          "Model with MODEL.test-x.npy and MODEL.test-y.npy beside it"
              + " (default: models/digits-cnn.onnx of the bnfold checkout).")
  Path model = Path.of(System.getProperty("bnfold.root", "."), "models", "digits-cnn.onnx");

  @Option(
      names = "--runs",
      description = "Timed single-image runs per engine (default: ${DEFAULT-VALUE}).")
  int runs = 2000;

  @Override
  public Integer call() throws Exception {
    PrintWriter o = spec.commandLine().getOut();
    String base = model.getFileName().toString().replaceFirst("\\.onnx$", "");
    NdArray x = Npy.read(model.resolveSibling(base + ".test-x.npy"));
    long[] labels = Npy.read(model.resolveSibling(base + ".test-y.npy")).longs();

    Graph original = OnnxReader.load(model);
    ConversionResult converted = Converter.convert(original, Converter.Options.defaults());
    o.printf(
        "converted %s: %d -> %d BatchNormalization, %d -> %d nodes, %,d -> %,d FLOPs per image%n",
        model,
        converted.before().batchNorms(),
        converted.after().batchNorms(),
        converted.before().nodes(),
        converted.after().nodes(),
        converted.before().flops(),
        converted.after().flops());
    o.printf(
        "fold check (ONNX Runtime, folded vs original): %s%n",
        converted.verification().passed() ? "within tolerance" : "FAILED");

    String input = original.inputs().get(0).name();
    byte[] onnxBytes = Files.readAllBytes(model);
    Map<String, NdArray> feed = Map.of(input, x);
    RuntimeCheck.Result check =
        RuntimeCheck.run(
            original,
            converted.graph(),
            List.of(feed),
            Tolerance.defaults(),
            Options.defaults(),
            false);
    NdArray ortLogits;
    try (OrtRunner ort = new OrtRunner(onnxBytes, false, 1)) {
      ortLogits = ort.run(feed).values().iterator().next();
    }
    NdArray javaLogits;
    try (Model m =
        Model.fromFile(RuntimeExporter.toModel(converted.graph()), base, Options.defaults())) {
      javaLogits =
          dev.bnfold.converter.export.RuntimeModels.run(m, feed).values().iterator().next();
    }
    int n = labels.length;
    int[] ortPred = argmax(ortLogits, n);
    int[] javaPred = argmax(javaLogits, n);
    int ortCorrect = 0;
    int javaCorrect = 0;
    int agree = 0;
    for (int i = 0; i < n; i++) {
      ortCorrect += ortPred[i] == labels[i] ? 1 : 0;
      javaCorrect += javaPred[i] == labels[i] ? 1 : 0;
      agree += ortPred[i] == javaPred[i] ? 1 : 0;
    }
    o.printf("test set: %d images%n", n);
    o.printf(
        "  ONNX Runtime, original model:  accuracy %.2f%% (%d/%d)%n",
        100.0 * ortCorrect / n, ortCorrect, n);
    o.printf(
        "  Java runtime, folded model:    accuracy %.2f%% (%d/%d)%n",
        100.0 * javaCorrect / n, javaCorrect, n);
    o.printf(
        "  predictions agree on %d/%d; %s%n",
        agree, n, check.comparison().outputs().get(0).summary());

    long[] one = x.shape();
    one[0] = 1;
    int size = x.elementCount() / n;
    float[] image = Arrays.copyOf(x.floats(), size);
    Latency ortLatency;
    try (OrtRunner ort = new OrtRunner(onnxBytes, true, 1)) {
      Map<String, NdArray> single = Map.of(input, NdArray.ofFloats(one, image));
      ortLatency = Latency.measure(() -> ort.run(single), runs / 4, runs);
    }
    Latency javaLatency;
    try (Model m =
        Model.fromFile(RuntimeExporter.toModel(converted.graph()), base, Options.defaults())) {
      PreparedRun run = m.prepare(one);
      float[][] in = {image};
      float[][] out = {new float[run.outputSize(0)]};
      javaLatency = Latency.measure(() -> run.run(in, out), runs / 4, runs);
    }
    o.printf("latency, one image, one thread (median of %d runs):%n", runs);
    o.printf("  ONNX Runtime (original, all optimizations): %.3f ms%n", ortLatency.medianMs());
    o.printf("  Java runtime (folded):                      %.3f ms%n", javaLatency.medianMs());
    o.flush();
    boolean ok = converted.verification().passed() && check.passed() && agree == n;
    return ok ? 0 : Main.EXIT_VERIFY_FAILED;
  }

  private static int[] argmax(NdArray logits, int rows) {
    float[] f = logits.floats();
    int classes = f.length / rows;
    int[] out = new int[rows];
    for (int r = 0; r < rows; r++) {
      int best = 0;
      for (int c = 1; c < classes; c++) {
        if (f[r * classes + c] > f[r * classes + best]) {
          best = c;
        }
      }
      out[r] = best;
    }
    return out;
  }
}
