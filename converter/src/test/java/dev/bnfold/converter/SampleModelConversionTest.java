package dev.bnfold.converter;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.bnfold.converter.graph.Graph;
import dev.bnfold.converter.io.NdArray;
import dev.bnfold.converter.io.Npy;
import dev.bnfold.converter.onnx.OnnxReader;
import dev.bnfold.converter.onnx.OnnxWriter;
import dev.bnfold.converter.passes.FoldOutcome;
import dev.bnfold.converter.passes.FoldRecord;
import dev.bnfold.converter.testing.SampleModels;
import dev.bnfold.converter.verify.Comparison;
import dev.bnfold.converter.verify.OrtRunner;
import dev.bnfold.converter.verify.OutputComparison;
import dev.bnfold.converter.verify.Tolerance;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.FieldSource;

/**
 * Per-model tests: every sample model of {@code models/} converts with no BN left unexplained, and
 * the folded model matches the original in ONNX Runtime (no optimizations) within tolerance on 10
 * random inputs.
 */
class SampleModelConversionTest {

  @ParameterizedTest(name = "{0}")
  @FieldSource("dev.bnfold.converter.testing.SampleModels#ALL")
  void foldsEveryBnAndMatchesOriginal(String name) {
    Path model = SampleModels.onnx(name);
    Graph graph = OnnxReader.load(model);
    long start = System.nanoTime();
    ConversionResult r =
        Converter.convert(graph, Converter.Options.defaults().withSamples(10).withThreads(1));
    double seconds = (System.nanoTime() - start) / 1e9;

    System.out.printf(
        "%s: BN %d -> %d, nodes %d -> %d, FLOPs %d -> %d, %.2f s with verification%n",
        name,
        r.before().batchNorms(),
        r.after().batchNorms(),
        r.before().nodes(),
        r.after().nodes(),
        r.before().flops(),
        r.after().flops(),
        seconds);
    for (OutputComparison o : r.verification().comparison().outputs()) {
      System.out.println("  " + o.summary());
    }
    assertEquals(
        r.before().batchNorms(),
        r.explain().stream().filter(x -> x.op().equals("BatchNormalization")).count());
    for (FoldRecord rec : r.explain()) {
      if (rec.outcome() == FoldOutcome.LEFT) {
        assertFalse(rec.reason().isBlank(), rec.node() + " left without a reason");
      }
    }
    assertEquals(r.count(FoldOutcome.LEFT), r.after().batchNorms(), r.explainTable());
    assertTrue(r.verification().passed(), r.explainTable());
    assertTrue(r.verification().undone().isEmpty(), r.explainTable());
    assertTrue(r.after().flops() <= r.before().flops(), r.explainTable());
  }

  @Test
  void digitsCnnHasNoBnLeftAndSamePredictionsOnTheTestSet() {
    Path model = SampleModels.onnx("digits-cnn");
    NdArray x = Npy.read(SampleModels.file("digits-cnn", "test-x.npy"));
    NdArray y = Npy.read(SampleModels.file("digits-cnn", "test-y.npy"));
    Graph graph = OnnxReader.load(model);
    ConversionResult r = Converter.convert(graph, Converter.Options.defaults().withVerify(false));
    assertEquals(0, r.after().batchNorms(), r.explainTable());
    assertEquals(0, r.count(FoldOutcome.TURNED_INTO_AFFINE), r.explainTable());

    String input = graph.inputs().get(0).name();
    Map<String, NdArray> original;
    Map<String, NdArray> folded;
    try (OrtRunner ort = new OrtRunner(OnnxWriter.toBytes(graph), false, 1)) {
      original = ort.run(Map.of(input, x));
    }
    try (OrtRunner ort = new OrtRunner(OnnxWriter.toBytes(r.graph()), false, 1)) {
      folded = ort.run(Map.of(input, x));
      // the benchmarks' path: inputs converted once, reused by every run
      float[] want = folded.values().iterator().next().floats();
      try (OrtRunner.Feed feed = ort.feed(Map.of(input, x))) {
        for (int run = 0; run < 2; run++) {
          float[] got = new float[want.length];
          org.junit.jupiter.api.Assertions.assertArrayEquals(want, ort.run(feed, got));
        }
      }
    }
    Comparison c = Comparison.compare(original, folded, Tolerance.defaults());
    OutputComparison logits = c.outputs().get(0);
    System.out.println("digits-cnn test set: " + logits.summary());
    assertTrue(c.passed(), logits.summary());
    assertEquals(logits.top1Total(), logits.top1Agree(), "predictions differ: " + logits.summary());

    // Accuracy is unchanged: count correct predictions of the folded model.
    float[] out = folded.values().iterator().next().floats();
    long[] labels = y.longs();
    int classes = out.length / labels.length;
    int correct = 0;
    for (int i = 0; i < labels.length; i++) {
      int best = 0;
      for (int k = 1; k < classes; k++) {
        if (out[i * classes + k] > out[i * classes + best]) {
          best = k;
        }
      }
      correct += best == labels[i] ? 1 : 0;
    }
    System.out.printf("digits-cnn folded accuracy: %d/%d%n", correct, labels.length);
    assertTrue(correct >= labels.length * 0.95);
  }
}
