package dev.bnfold.cli;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.bnfold.converter.io.AtomicFiles;
import dev.bnfold.converter.io.NdArray;
import dev.bnfold.converter.io.Npy;
import dev.bnfold.converter.testing.SampleModels;
import dev.bnfold.onnx.Onnx.ModelProto;
import dev.bnfold.runtime.BnfoldIOException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.List;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Nothing is lost: a conversion or write that fails part-way leaves the previous output exactly as
 * it was and no temporary file behind, and inputs are never modified.
 */
class NothingLostTest {
  private static final byte[] PREVIOUS = "previous output, must survive\n".getBytes();

  @TempDir Path dir;

  @Test
  void aConversionThatFailsPartWayKeepsThePreviousOutput() throws Exception {
    Path in = copyOfDigits();
    byte[] inBefore = sha256(in);
    // Fails in verification, after load and folding: the verification input has the wrong shape.
    Path x = dir.resolve("x.npy");
    Files.write(x, Npy.toBytes(NdArray.ofFloats(new long[] {1, 1, 8, 9}, new float[72])));
    // Fails in the runtime-format writer, after load and folding: an op in an unknown domain.
    ModelProto.Builder m = ModelProto.parseFrom(Files.readAllBytes(in)).toBuilder();
    m.getGraphBuilder().getNodeBuilder(m.getGraphBuilder().getNodeCount() - 1).setDomain("x.y");
    Path custom = dir.resolve("custom.onnx");
    Files.write(custom, m.build().toByteArray());
    byte[] customBefore = sha256(custom);
    for (String name : List.of("out.bfm", "out.onnx")) {
      Path out = dir.resolve(name);
      Files.write(out, PREVIOUS);
      CliRunner r =
          CliRunner.run(
              "convert", in.toString(), "-o", out.toString(), "--samples", "1", "-i", "input=" + x);
      assertEquals(Main.EXIT_BAD_INPUT, r.exitCode(), r.out() + r.err());
      assertArrayEquals(PREVIOUS, Files.readAllBytes(out), "previous " + name + " unchanged");
    }
    Path out = dir.resolve("out.bfm");
    CliRunner r = CliRunner.run("convert", custom.toString(), "-o", out.toString(), "--no-verify");
    assertEquals(Main.EXIT_BAD_INPUT, r.exitCode(), r.out() + r.err());
    assertArrayEquals(PREVIOUS, Files.readAllBytes(out), "previous out.bfm unchanged");
    assertArrayEquals(inBefore, sha256(in), "input unchanged");
    assertArrayEquals(customBefore, sha256(custom), "input unchanged");
    assertEquals(
        List.of("custom.onnx", "digits-cnn.onnx", "out.bfm", "out.onnx", "x.npy"), listing());
  }

  @Test
  void aWriterThatThrowsKeepsThePreviousOutput() throws Exception {
    Path out = dir.resolve("out.bfm");
    Files.write(out, PREVIOUS);
    // I/O failure after part of the content was written
    assertThrows(
        BnfoldIOException.class,
        () ->
            AtomicFiles.write(
                out,
                o -> {
                  o.write(new byte[1 << 20]);
                  throw new IOException("disk full (simulated)");
                }));
    assertArrayEquals(PREVIOUS, Files.readAllBytes(out));
    // a bug in the writer (unchecked exception) part-way
    assertThrows(
        IllegalStateException.class,
        () ->
            AtomicFiles.write(
                out,
                o -> {
                  o.write(new byte[1 << 20]);
                  throw new IllegalStateException("writer bug (simulated)");
                }));
    assertArrayEquals(PREVIOUS, Files.readAllBytes(out));
    assertEquals(List.of("out.bfm"), listing(), "no temporary file left behind");
  }

  @Test
  void successfulConversionReplacesTheOutputAndLeavesTheInput() throws Exception {
    Path in = copyOfDigits();
    byte[] inBefore = sha256(in);
    Path out = dir.resolve("out.bfm");
    Files.write(out, PREVIOUS);
    CliRunner r = CliRunner.run("convert", in.toString(), "-o", out.toString(), "--no-verify");
    assertEquals(0, r.exitCode(), r.err());
    assertTrue(Files.size(out) > PREVIOUS.length);
    Path runOut = dir.resolve("run-out");
    Path x = dir.resolve("x.npy");
    Files.copy(SampleModels.file("digits-cnn", "input.npy"), x);
    byte[] xBefore = sha256(x);
    byte[] modelBefore = sha256(out);
    CliRunner run =
        CliRunner.run("run", out.toString(), "-i", "input=" + x, "-o", runOut.toString());
    assertEquals(0, run.exitCode(), run.err());
    assertArrayEquals(inBefore, sha256(in), "ONNX input unchanged");
    assertArrayEquals(xBefore, sha256(x), ".npy input unchanged");
    assertArrayEquals(modelBefore, sha256(out), "model unchanged by run");
    assertEquals(
        List.of("digits-cnn.onnx", "out.bfm", "run-out", "run-out/logits.npy", "x.npy"), listing());
  }

  private Path copyOfDigits() throws IOException {
    Path in = dir.resolve("digits-cnn.onnx");
    Files.copy(SampleModels.onnx("digits-cnn"), in);
    return in;
  }

  private List<String> listing() throws IOException {
    try (Stream<Path> s = Files.walk(dir)) {
      return s.filter(p -> !p.equals(dir))
          .map(p -> dir.relativize(p).toString())
          .sorted()
          .collect(Collectors.toList());
    }
  }

  private static byte[] sha256(Path p) throws Exception {
    return MessageDigest.getInstance("SHA-256").digest(Files.readAllBytes(p));
  }
}
