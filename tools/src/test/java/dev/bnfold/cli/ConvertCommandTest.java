package dev.bnfold.cli;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.bnfold.converter.graph.DataType;
import dev.bnfold.converter.graph.Dim;
import dev.bnfold.converter.graph.Graph;
import dev.bnfold.converter.graph.Node;
import dev.bnfold.converter.graph.ValueInfo;
import dev.bnfold.converter.onnx.OnnxReader;
import dev.bnfold.converter.testing.SampleModels;
import dev.bnfold.converter.testing.TestModels;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ConvertCommandTest {
  @TempDir Path dir;

  @Test
  void convertsDigitsCnnToOnnxAndRuntimeFormat() throws Exception {
    Path in = SampleModels.onnx("digits-cnn");
    byte[] before = sha256(in);
    Path onnx = dir.resolve("folded.onnx");
    Path report = dir.resolve("report.json");
    CliRunner r =
        CliRunner.run(
            "convert",
            in.toString(),
            "-o",
            onnx.toString(),
            "--explain",
            "--report",
            report.toString());
    assertEquals(0, r.exitCode(), r.err());
    assertTrue(r.out().contains("4 -> 0 BatchNormalization"), r.out());
    assertEquals(0, OnnxReader.load(onnx).count("BatchNormalization"));
    JsonNode json = new ObjectMapper().readTree(report.toFile());
    assertEquals(4, json.at("/explain").size(), json.toString());
    assertTrue(json.toString().contains("flops"), json.toString());

    Path bfm = dir.resolve("digits.bfm");
    CliRunner r2 = CliRunner.run("convert", in.toString(), "-o", bfm.toString(), "--no-verify");
    assertEquals(0, r2.exitCode(), r2.err());
    assertTrue(Files.size(bfm) > 0);
    assertArrayEquals(before, sha256(in), "the input file is never modified");
    try (Stream<Path> files = Files.list(dir)) {
      assertEquals(3, files.count(), "no temporary files left behind");
    }
  }

  @Test
  void nanVarianceIsAnErrorAndWritesNothing() throws Exception {
    TestModels m = new TestModels(3);
    String x = m.input("x", 1, 2, 4, 4);
    String y = m.conv(x, 2, 2, 3, true);
    String z =
        m.bn(
            y,
            "bad_bn",
            new float[] {1, 1},
            new float[] {0, 0},
            new float[] {0, 0},
            new float[] {1, Float.NaN});
    m.output(z);
    Path model = Files.write(dir.resolve("nan.onnx"), m.bytes());
    Path out = dir.resolve("out.onnx");
    CliRunner r = CliRunner.run("convert", model.toString(), "-o", out.toString());
    assertEquals(Main.EXIT_BAD_INPUT, r.exitCode(), r.err());
    assertEquals(1, r.errLines().length, r.err());
    assertTrue(r.err().contains("bad_bn") && r.err().contains("NaN"), r.err());
    assertFalse(Files.exists(out));
    try (Stream<Path> files = Files.list(dir)) {
      assertEquals(1, files.count(), "nothing but the input in the directory");
    }
  }

  @Test
  void trainingModeAndNonConstantParametersAreLeftWithAReason() throws Exception {
    TestModels m = new TestModels(4);
    String x = m.input("x", 1, 2, 4, 4);
    String a = m.bn(m.conv(x, 2, 2, 1, true), 2, "train_bn", Node.intAttr("training_mode", 1));
    String b = m.bn(m.conv(a, 2, 2, 1, true), 2, "input_bn");
    m.output(b);
    Graph g = m.build();
    // Make input_bn's variance a graph input: not a constant, so not foldable.
    Node bn = g.nodes().stream().filter(n -> n.name().equals("input_bn")).findFirst().orElseThrow();
    String var = bn.input(4);
    g.initializers().remove(var);
    g.inputs().add(new ValueInfo(var, DataType.FLOAT, List.of(Dim.of(2))));
    Path model =
        Files.write(dir.resolve("left.onnx"), dev.bnfold.converter.onnx.OnnxWriter.toBytes(g));
    Path out = dir.resolve("out.onnx");
    CliRunner r =
        CliRunner.run(
            "convert", model.toString(), "-o", out.toString(), "--explain", "--no-verify");
    assertEquals(0, r.exitCode(), r.err());
    String explain = r.out();
    assertTrue(explain.matches("(?s).*train_bn.*left.*training.*"), explain);
    assertTrue(explain.matches("(?s).*input_bn.*left.*constant.*"), explain);
    assertEquals(2, OnnxReader.load(out).count("BatchNormalization"));

    // Without --explain, every BN left is still named with its reason.
    CliRunner plain =
        CliRunner.run("convert", model.toString(), "-o", out.toString(), "--no-verify");
    assertEquals(0, plain.exitCode(), plain.err());
    assertTrue(
        plain.out().matches("(?s).*left as it was: BatchNormalization 'train_bn': .*training.*"),
        plain.out());
    assertTrue(
        plain.out().matches("(?s).*left as it was: BatchNormalization 'input_bn': .*constant.*"),
        plain.out());
  }

  @Test
  void refusesToOverwriteItsInput() throws Exception {
    Path in = Files.copy(SampleModels.onnx("digits-cnn"), dir.resolve("m.onnx"));
    byte[] before = sha256(in);
    CliRunner r = CliRunner.run("convert", in.toString(), "-o", in.toString(), "--no-verify");
    assertEquals(Main.EXIT_BAD_INPUT, r.exitCode(), r.err());
    assertTrue(r.err().contains("input"), r.err());
    assertArrayEquals(before, sha256(in));
  }

  static byte[] sha256(Path p) throws Exception {
    return MessageDigest.getInstance("SHA-256").digest(Files.readAllBytes(p));
  }
}
