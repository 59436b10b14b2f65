package dev.bnfold.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.bnfold.converter.io.NdArray;
import dev.bnfold.converter.io.Npy;
import dev.bnfold.converter.testing.SampleModels;
import dev.bnfold.converter.verify.Comparison;
import dev.bnfold.converter.verify.Tolerance;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** run, verify, bench and demo on digits-cnn. */
class RuntimeCommandsTest {
  @TempDir Path dir;

  @Test
  void runWritesOutputsThatMatchPyTorch() {
    Path model = SampleModels.onnx("digits-cnn");
    Path input = SampleModels.file("digits-cnn", "input.npy");
    Path bfm = dir.resolve("digits.bfm");
    assertEquals(0, CliRunner.run("convert", model.toString(), "-o", bfm.toString()).exitCode());
    NdArray expected = Npy.read(SampleModels.file("digits-cnn", "output.npy"));
    for (Path m : new Path[] {model, bfm}) {
      Path out = dir.resolve("out-" + m.getFileName());
      CliRunner r =
          CliRunner.run("run", m.toString(), "-i", "input=" + input, "-o", out.toString());
      assertEquals(0, r.exitCode(), r.err());
      NdArray actual = Npy.read(out.resolve("logits.npy"));
      assertTrue(
          Comparison.compare(
                  Map.of("logits", expected), Map.of("logits", actual), Tolerance.defaults())
              .passed(),
          "runtime output matches PyTorch's for " + m);
    }
    CliRunner bad =
        CliRunner.run("run", model.toString(), "-i", "nosuch=" + input, "-o", dir.toString());
    assertEquals(Main.EXIT_BAD_INPUT, bad.exitCode());
    assertTrue(bad.err().contains("nosuch"), bad.err());
  }

  @Test
  void verifyPassesAndReportsJson() throws Exception {
    Path model = SampleModels.onnx("digits-cnn");
    CliRunner r =
        CliRunner.run(
            "verify",
            model.toString(),
            "-i",
            "input=" + SampleModels.file("digits-cnn", "input.npy"),
            "--json");
    assertEquals(0, r.exitCode(), r.err());
    JsonNode json = new ObjectMapper().readTree(r.out());
    assertTrue(json.get("passed").asBoolean());
    assertEquals(4, json.get("samples").asInt());
    JsonNode logits = json.get("outputs").get(0);
    assertEquals("logits", logits.get("name").asText());
    assertTrue(logits.get("max_abs_error").asDouble() <= logits.get("bound").asDouble());
    assertEquals(logits.get("top1_total").asInt(), logits.get("top1_agree").asInt());

    CliRunner layers = CliRunner.run("verify", model.toString(), "--per-layer", "--samples", "1");
    assertEquals(0, layers.exitCode(), layers.err());
    assertTrue(
        layers
            .out()
            .matches(
                "(?s).*per-layer: [1-9]\\d* shared intermediate values compared; all within tolerance.*"),
        layers.out());

    // An impossible tolerance must fail with exit code 1.
    CliRunner strict =
        CliRunner.run("verify", model.toString(), "--rtol", "0", "--atol", "0", "--samples", "1");
    assertEquals(Main.EXIT_VERIFY_FAILED, strict.exitCode(), strict.out());
  }

  @Test
  void benchPrintsTheDocumentedJsonKeys() throws Exception {
    CliRunner r =
        CliRunner.run(
            "bench",
            SampleModels.onnx("digits-cnn").toString(),
            "--against-ort",
            "--json",
            "--runs",
            "5",
            "--warmup-time",
            "0",
            "--warmup",
            "2");
    assertEquals(0, r.exitCode(), r.err());
    JsonNode json = new ObjectMapper().readTree(r.out());
    for (String key :
        new String[] {"model", "threads", "bnfold_ms_median", "ort_ms_median", "ratio"}) {
      assertTrue(json.has(key), key + " in " + r.out());
    }
    assertEquals(
        json.get("bnfold_ms_median").asDouble() / json.get("ort_ms_median").asDouble(),
        json.get("ratio").asDouble(),
        1e-9);
  }

  @Test
  void benchProfileNamesEveryLayerWithItsKernel() throws Exception {
    CliRunner r =
        CliRunner.run(
            "bench",
            SampleModels.onnx("digits-cnn").toString(),
            "--profile",
            "--json",
            "--runs",
            "3",
            "--warmup-time",
            "0",
            "--warmup",
            "1");
    assertEquals(0, r.exitCode(), r.err());
    JsonNode layers = new ObjectMapper().readTree(r.out()).get("layers");
    assertTrue(layers != null && layers.size() > 0, r.out());
    int convs = 0;
    for (JsonNode l : layers) {
      for (String key : new String[] {"node", "op", "kernel", "output_shape", "ms_median"}) {
        assertTrue(l.has(key), key + " in " + l);
      }
      if (l.get("op").asText().startsWith("Conv")) {
        convs++;
        assertTrue(l.get("flops").asLong() > 0, l.toString());
      }
    }
    // digits-cnn has 3 Conv nodes (models/README.md); none may vanish from the profile
    assertEquals(3, convs, r.out());
    CliRunner text =
        CliRunner.run(
            "bench", SampleModels.onnx("digits-cnn").toString(), "--profile", "--runs", "3");
    assertEquals(0, text.exitCode(), text.err());
    assertTrue(text.out().contains("GFLOP/s") && text.out().contains("kernel"), text.out());
  }

  @Test
  void benchProfileAgainstOrtAddsOrtsOwnNodeTimes() throws Exception {
    CliRunner r =
        CliRunner.run(
            "bench",
            SampleModels.onnx("digits-cnn").toString(),
            "--profile",
            "--against-ort",
            "--json",
            "--runs",
            "5",
            "--warmup-time",
            "0",
            "--warmup",
            "2");
    assertEquals(0, r.exitCode(), r.err());
    JsonNode nodes = new ObjectMapper().readTree(r.out()).get("ort_layers");
    assertTrue(nodes != null && nodes.size() > 0, r.out());
    int convs = 0;
    for (JsonNode n : nodes) {
      assertTrue(n.get("ms_median").asDouble() >= 0, n.toString());
      if (n.get("op").asText().equals("Conv")) {
        convs++;
      }
    }
    // ONNX Runtime keeps digits-cnn's three convolutions as Conv nodes (fused with activations)
    assertEquals(3, convs, r.out());
    CliRunner text =
        CliRunner.run(
            "bench",
            SampleModels.onnx("digits-cnn").toString(),
            "--profile",
            "--against-ort",
            "--runs",
            "3");
    assertEquals(0, text.exitCode(), text.err());
    assertTrue(text.out().contains("ONNX Runtime per node"), text.out());
  }

  @Test
  void demoAgreesOnTheWholeTestSet() {
    Path model = SampleModels.onnx("digits-cnn");
    CliRunner r = CliRunner.run("demo", "--model", model.toString(), "--runs", "50");
    assertEquals(0, r.exitCode(), r.out() + r.err());
    assertTrue(r.out().matches("(?s).*predictions agree on (\\d+)/\\1.*"), r.out());
    assertTrue(r.out().contains("4 -> 0 BatchNormalization"), r.out());
  }
}
