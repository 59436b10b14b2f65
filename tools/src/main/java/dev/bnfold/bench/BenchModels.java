package dev.bnfold.bench;

import dev.bnfold.converter.Converter;
import dev.bnfold.converter.export.RuntimeExporter;
import dev.bnfold.converter.graph.Graph;
import dev.bnfold.converter.io.NdArray;
import dev.bnfold.converter.onnx.OnnxReader;
import dev.bnfold.converter.verify.RandomInputs;
import dev.bnfold.converter.verify.RuntimeCheck;
import dev.bnfold.converter.verify.Tolerance;
import dev.bnfold.runtime.Options;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;

/** Sample models for benchmarks: located, converted, and checked before anything is timed. */
final class BenchModels {
  private BenchModels() {}

  /** {@code models/NAME.onnx}, under the folder given by system property bnfold.models. */
  static Path onnx(String name) {
    Path dir = Path.of(System.getProperty("bnfold.models", "models"));
    Path p = dir.resolve(name + ".onnx");
    if (!Files.isRegularFile(p)) {
      throw new IllegalStateException(
          p.toAbsolutePath()
              + " is missing: run /usr/bin/python3 tools/scripts/export_models.py --set all,"
              + " and run benchmarks from the repository root (or set -Dbnfold.models)");
    }
    return p;
  }

  /** A converted model, in the runtime format, whose outputs were checked against ORT. */
  record Prepared(
      Graph original, byte[] runtimeBytes, byte[] onnxBytes, Map<String, NdArray> input) {}

  static Prepared prepare(String name) throws Exception {
    Path file = onnx(name);
    Graph original = OnnxReader.load(file);
    Graph converted =
        Converter.convert(original, Converter.Options.defaults().withVerify(false)).graph();
    Map<String, NdArray> input = RandomInputs.sample(original.inputs(), new SplittableRandom(1));
    RuntimeCheck.Result check =
        RuntimeCheck.run(
            original, converted, List.of(input), Tolerance.defaults(), Options.defaults(), false);
    if (!check.passed()) {
      throw new IllegalStateException(
          name
              + ": the Java runtime disagrees with ONNX Runtime: "
              + check.comparison().firstFailure().summary());
    }
    return new Prepared(
        original, RuntimeExporter.toBytes(converted), Files.readAllBytes(file), input);
  }
}
