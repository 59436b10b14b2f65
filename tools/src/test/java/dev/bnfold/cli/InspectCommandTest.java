package dev.bnfold.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.bnfold.converter.testing.SampleModels;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Random;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class InspectCommandTest {
  @TempDir Path dir;

  @Test
  void printsTheFactsOfDigitsCnn() throws Exception {
    Path model = SampleModels.onnx("digits-cnn");
    CliRunner r = CliRunner.run("inspect", model.toString());
    assertEquals(0, r.exitCode(), r.err());
    String out = r.out();
    assertTrue(out.contains("opsets:      ai.onnx 13"), out);
    assertTrue(out.contains("input:       input float [batch,1,8,8]"), out);
    assertTrue(out.contains("output:      logits float [batch,10]"), out);
    assertTrue(out.contains("findings:    none"), out);
    // The BN count printed is the one in the model card (models/README.md).
    String card = Files.readString(SampleModels.root().resolve("models/README.md"));
    Matcher row =
        Pattern.compile("\\| digits-cnn \\|[^|]*\\|[^|]*\\|[^|]*\\| (\\d+) \\|").matcher(card);
    assertTrue(row.find(), "model card row for digits-cnn");
    assertTrue(out.contains("batchnorm:   " + row.group(1) + " BatchNormalization nodes"), out);
    assertTrue(out.matches("(?s).*BatchNormalization\\s+" + row.group(1) + "\\n.*"), out);
  }

  @Test
  void badFilesGiveOneLineAndExitCode2() throws Exception {
    Path empty = Files.write(dir.resolve("empty.onnx"), new byte[0]);
    byte[] noise = new byte[1000];
    new Random(1).nextBytes(noise);
    Path random = Files.write(dir.resolve("random.onnx"), noise);
    byte[] model = Files.readAllBytes(SampleModels.onnx("digits-cnn"));
    Path truncated =
        Files.write(dir.resolve("truncated.onnx"), Arrays.copyOf(model, model.length / 2));
    Path missing = dir.resolve("missing.onnx");
    for (Path p : new Path[] {missing, empty, random, truncated}) {
      CliRunner r = CliRunner.run("inspect", p.toString());
      assertEquals(Main.EXIT_BAD_INPUT, r.exitCode(), p + ": " + r.err());
      assertEquals(1, r.errLines().length, r.err());
      assertTrue(r.errLines()[0].startsWith("bnfold: " + p), r.err());
      assertTrue(r.out().isEmpty());
    }
    CliRunner verbose = CliRunner.run("inspect", "--verbose", random.toString());
    assertEquals(Main.EXIT_BAD_INPUT, verbose.exitCode());
    assertTrue(verbose.err().contains("\tat "), "stack trace with --verbose");
  }

  @Test
  void everyCommandHasHelp() {
    CliRunner r = CliRunner.run("inspect", "--help");
    assertEquals(0, r.exitCode());
    assertTrue(r.out().contains("Usage: bnfold inspect"), r.out());
    assertEquals(Main.EXIT_BAD_INPUT, CliRunner.run("inspect").exitCode());
  }
}
