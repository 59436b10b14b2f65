package dev.bnfold.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.bnfold.converter.Converter;
import dev.bnfold.converter.export.RuntimeExporter;
import dev.bnfold.converter.io.NdArray;
import dev.bnfold.converter.io.Npy;
import dev.bnfold.converter.onnx.OnnxReader;
import dev.bnfold.converter.testing.SampleModels;
import dev.bnfold.onnx.Onnx.AttributeProto;
import dev.bnfold.onnx.Onnx.GraphProto;
import dev.bnfold.onnx.Onnx.ModelProto;
import dev.bnfold.onnx.Onnx.NodeProto;
import dev.bnfold.onnx.Onnx.StringStringEntryProto;
import dev.bnfold.onnx.Onnx.TensorProto;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.TreeMap;
import java.util.function.Consumer;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The table of bad inputs ({@code tools/BAD_INPUTS.md}), each row a CLI run: the exit code, a
 * one-line message containing the expected text, no stack trace, no output file written, and the
 * input files unchanged. {@link #tableFileMatchesTheCases} keeps the Markdown file and this list in
 * step; run with {@code -Dbnfold.writeBadInputs=true} to rewrite the file from the list.
 */
class BadInputTableTest {
  @TempDir static Path root;

  private static byte[] digitsOnnx;
  private static byte[] digitsBfm;
  private static byte[] digitsInput;
  private static int ran;

  /** One row: what is wrong, the command it is given to, the exit code and message expected. */
  record Case(String name, String what, String command, int exit, String message, Setup setup) {
    @Override
    public String toString() {
      return name;
    }
  }

  /** Writes the case's files into its directory and returns the CLI arguments. */
  @FunctionalInterface
  interface Setup {
    String[] args(Fixture f) throws Exception;
  }

  /** Writes the input file of a run case and returns its {@code -i} value (null: no -i). */
  @FunctionalInterface
  interface InputSetup {
    String input(Fixture f) throws Exception;
  }

  /** The case's own directory and helpers to write files into it. */
  record Fixture(Path dir) {
    Path write(String name, byte[] bytes) throws IOException {
      Path p = dir.resolve(name);
      Files.createDirectories(p.getParent());
      Files.write(p, bytes);
      return p;
    }

    String file(String name, byte[] bytes) throws IOException {
      return write(name, bytes).toString();
    }

    String out(String name) {
      return dir.resolve(name).toString();
    }

    /** digits-cnn.onnx after {@code edit}. */
    String onnx(String name, Consumer<ModelProto.Builder> edit) throws IOException {
      ModelProto.Builder m = ModelProto.parseFrom(digitsOnnx).toBuilder();
      edit.accept(m);
      return file(name, m.build().toByteArray());
    }

    String input() throws IOException {
      return "input=" + file("input.npy", digitsInput);
    }

    String npy(String name, NdArray a) throws IOException {
      return file(name, Npy.toBytes(a));
    }
  }

  @BeforeAll
  static void models() throws IOException {
    Path onnx = SampleModels.onnx("digits-cnn");
    digitsOnnx = Files.readAllBytes(onnx);
    digitsInput = Files.readAllBytes(SampleModels.file("digits-cnn", "input.npy"));
    digitsBfm =
        RuntimeExporter.toBytes(
            Converter.convert(OnnxReader.load(onnx), Converter.Options.defaults().withVerify(false))
                .graph());
  }

  @AfterAll
  static void count() {
    System.out.println("bad-input table: " + ran + " cases");
  }

  private static final int BAD = Main.EXIT_BAD_INPUT;

  static List<Case> cases() {
    List<Case> c = new ArrayList<>();
    // ---- ONNX models (convert --no-verify: load + fold + write) ----
    String convert = "convert --no-verify";
    c.add(
        new Case(
            "onnx-empty",
            "empty file",
            convert,
            BAD,
            "empty file, not an ONNX model",
            f -> convert(f, f.file("m.onnx", new byte[0]))));
    for (int cut : new int[] {1, 2, 100, 50_000, 160_000}) {
      c.add(
          new Case(
              "onnx-truncated-" + cut,
              "ONNX file cut after " + cut + " bytes",
              convert,
              BAD,
              cut == 2 ? "not an ONNX model (no graph)" : "truncated or corrupt protobuf",
              f -> convert(f, f.file("m.onnx", Arrays.copyOf(digitsOnnx, cut)))));
    }
    c.add(
        new Case(
            "onnx-random-bytes",
            "4 KiB of random bytes",
            convert,
            BAD,
            "not a valid ONNX model",
            f -> convert(f, f.file("m.onnx", random(4096, 1)))));
    c.add(
        new Case(
            "onnx-text-file",
            "a text file",
            convert,
            BAD,
            "not a",
            f ->
                convert(
                    f,
                    f.file(
                        "m.onnx",
                        "hello, this is not a model\n".getBytes(StandardCharsets.UTF_8)))));
    c.add(
        new Case(
            "onnx-no-ir-version",
            "ir_version missing",
            convert,
            BAD,
            "no IR version",
            f -> convert(f, f.onnx("m.onnx", m -> m.clearIrVersion()))));
    c.add(
        new Case(
            "onnx-no-graph",
            "no graph",
            convert,
            BAD,
            "no graph",
            f -> convert(f, f.onnx("m.onnx", m -> m.clearGraph()))));
    c.add(
        new Case(
            "onnx-no-default-opset",
            "opset_import lacks the default domain",
            convert,
            BAD,
            "imports no version of the default ONNX opset",
            f ->
                convert(
                    f,
                    f.onnx("m.onnx", m -> m.getOpsetImportBuilder(0).setDomain("com.example")))));
    c.add(
        new Case(
            "onnx-negative-dim",
            "initializer with dimension -1",
            convert,
            BAD,
            "negative dimension -1",
            f -> convert(f, f.onnx("m.onnx", m -> init0(m).setDims(0, -1)))));
    c.add(
        new Case(
            "onnx-huge-dims",
            "initializer of 2^20 x 2^20 elements",
            convert,
            BAD,
            "over the limit of",
            f ->
                convert(
                    f,
                    f.onnx(
                        "m.onnx", m -> init0(m).clearDims().addDims(1L << 20).addDims(1L << 20)))));
    c.add(
        new Case(
            "onnx-dims-overflow",
            "initializer whose element count overflows 64 bits",
            convert,
            BAD,
            "element count that overflows",
            f ->
                convert(
                    f,
                    f.onnx(
                        "m.onnx",
                        m ->
                            init0(m)
                                .clearDims()
                                .addDims(1L << 40)
                                .addDims(1L << 40)
                                .addDims(1L << 40)))));
    c.add(
        new Case(
            "onnx-raw-data-size",
            "raw_data shorter than the shape needs",
            convert,
            BAD,
            "bytes of raw data, its shape needs",
            f -> convert(f, f.onnx("m.onnx", m -> init0(m).setDims(0, init0(m).getDims(0) + 1)))));
    c.add(
        new Case(
            "onnx-typed-data-count",
            "float_data with fewer elements than the shape",
            convert,
            BAD,
            "holds 3 elements, its shape needs",
            f ->
                convert(
                    f,
                    f.onnx(
                        "m.onnx",
                        m ->
                            init0(m)
                                .clearRawData()
                                .addFloatData(1)
                                .addFloatData(2)
                                .addFloatData(3)))));
    c.add(
        new Case(
            "onnx-duplicate-initializer",
            "two initializers with one name",
            convert,
            BAD,
            "is defined twice",
            f ->
                convert(
                    f,
                    f.onnx("m.onnx", m -> m.getGraphBuilder().addInitializer(init0(m).build())))));
    c.add(
        new Case(
            "onnx-duplicate-node-output",
            "two nodes write one value",
            convert,
            BAD,
            "is produced by two nodes",
            f ->
                convert(
                    f, f.onnx("m.onnx", m -> node(m, 1).setOutput(0, node(m, 0).getOutput(0))))));
    c.add(
        new Case(
            "onnx-output-shadows-input",
            "a node writes the graph input's name",
            convert,
            BAD,
            "'input'",
            f -> convert(f, f.onnx("m.onnx", m -> node(m, 0).setOutput(0, "input")))));
    c.add(
        new Case(
            "onnx-output-shadows-initializer",
            "a node writes an initializer's name",
            convert,
            BAD,
            "defined twice",
            f -> convert(f, f.onnx("m.onnx", m -> node(m, 0).setOutput(0, init0(m).getName())))));
    c.add(
        new Case(
            "onnx-unknown-domain",
            "a node in domain com.example",
            convert,
            BAD,
            "com.example",
            f -> convert(f, f.onnx("m.onnx", m -> lastNode(m).setDomain("com.example")))));
    c.add(
        new Case(
            "onnx-unknown-op",
            "a node of op type NoSuchOp",
            "run",
            BAD,
            "NoSuchOp",
            f ->
                new String[] {
                  "run",
                  f.onnx("m.onnx", m -> lastNode(m).setOpType("NoSuchOp")),
                  "-i",
                  f.input(),
                  "-o",
                  f.out("out")
                }));
    c.add(
        new Case(
            "onnx-cycle",
            "the first node reads the last node's output",
            convert,
            BAD,
            "cycle",
            f ->
                convert(
                    f, f.onnx("m.onnx", m -> node(m, 0).setInput(0, lastNode(m).getOutput(0))))));
    c.add(
        new Case(
            "onnx-dangling-input",
            "a node reads a value nothing defines",
            convert,
            BAD,
            "which no node, input or initializer defines",
            f -> convert(f, f.onnx("m.onnx", m -> node(m, 0).setInput(0, "nowhere")))));
    c.add(
        new Case(
            "onnx-dangling-output",
            "a graph output nothing computes",
            convert,
            BAD,
            "is not computed",
            f ->
                convert(
                    f,
                    f.onnx("m.onnx", m -> m.getGraphBuilder().getOutputBuilder(0).setName("x")))));
    c.add(
        new Case(
            "onnx-deep-nesting",
            "subgraphs nested 100 deep (protobuf recursion)",
            convert,
            BAD,
            "truncated or corrupt protobuf",
            f -> convert(f, f.onnx("m.onnx", m -> m.setGraph(nested(100))))));
    c.add(
        new Case(
            "onnx-huge-input-shape",
            "graph input declared [2^40, 1, 8, 8]",
            "verify",
            BAD,
            "input 'input'",
            f -> {
              String m =
                  f.onnx(
                      "m.onnx",
                      g ->
                          g.getGraphBuilder()
                              .getInputBuilder(0)
                              .getTypeBuilder()
                              .getTensorTypeBuilder()
                              .getShapeBuilder()
                              .getDimBuilder(0)
                              .setDimValue(1L << 40));
              return new String[] {"verify", m, "--samples", "1"};
            }));
    // ---- external data ----
    c.add(externalCase("onnx-external-dotdot", "../w.bin", "points outside the model's directory"));
    c.add(externalCase("onnx-external-absolute", "/etc/hostname", "is absolute"));
    c.add(externalCase("onnx-external-missing", "nosuch.bin", "not found"));
    c.add(externalCase("onnx-external-symlink", "link.bin", "is a link to outside"));
    c.add(externalCase("onnx-external-directory", "sub", "is not a regular file"));
    c.add(
        new Case(
            "onnx-external-bad-offset",
            "external data offset 'ten'",
            convert,
            BAD,
            "external data offset is not a number",
            f -> {
              f.write("model/w.bin", new byte[1 << 20]);
              String m =
                  f.onnx(
                      "model/m.onnx",
                      g -> externalize(init0(g), "w.bin").addExternalData(kv("offset", "ten")));
              return convert(f, m);
            }));
    c.add(
        new Case(
            "onnx-external-short",
            "external data file shorter than the tensor",
            convert,
            BAD,
            "is too short",
            f -> {
              f.write("model/w.bin", new byte[8]);
              return convert(f, f.onnx("model/m.onnx", g -> externalize(init0(g), "w.bin")));
            }));
    // ---- runtime format (run: load + run) ----
    c.add(
        new Case(
            "bfm-empty",
            "empty .bfm file (read as ONNX: no magic)",
            "run",
            BAD,
            "empty file",
            f -> run(f, f.file("m.bfm", new byte[0]))));
    long[] header = bfmHeader();
    // Boundaries: inside the magic, after the magic, inside the header, after the header,
    // inside and at the end of the graph section, at the data offset, inside the data, last byte.
    long[] cuts = {
      4,
      8,
      40,
      64,
      64 + header[0] / 2,
      64 + header[0],
      header[1],
      header[1] + header[2] / 2,
      header[1] + header[2] - 1
    };
    String[] cutNames = {
      "magic",
      "header-start",
      "header",
      "graph-start",
      "graph",
      "graph-end",
      "data-start",
      "data",
      "last-byte"
    };
    for (int i = 0; i < cuts.length; i++) {
      long cut = cuts[i];
      c.add(
          new Case(
              "bfm-truncated-" + cutNames[i],
              "digits.bfm cut after " + cutNames[i] + " (" + cut + " bytes)",
              "run",
              BAD,
              cut < 8 ? "not a valid ONNX model" : cut < 64 ? "truncated" : "(truncated)",
              f -> run(f, f.file("m.bfm", Arrays.copyOf(digitsBfm, (int) cut)))));
    }
    c.add(
        new Case(
            "bfm-random-after-magic",
            "magic followed by random bytes",
            "run",
            BAD,
            "unsupported format version",
            f -> {
              byte[] b = random(4096, 2);
              System.arraycopy(digitsBfm, 0, b, 0, 8);
              return run(f, f.file("m.bfm", b));
            }));
    c.add(
        new Case(
            "bfm-wrong-magic",
            "one byte of the magic changed (read as ONNX)",
            "run",
            BAD,
            "not a valid ONNX model",
            f -> run(f, f.file("m.bfm", patch(digitsBfm, 1, (byte) 'X')))));
    c.add(
        new Case(
            "bfm-version-3",
            "major version 3",
            "run",
            BAD,
            "unsupported format version 3.0",
            f -> run(f, f.file("m.bfm", patch(digitsBfm, 8, (byte) 3)))));
    c.add(
        new Case(
            "bfm-flags",
            "non-zero header flags",
            "run",
            BAD,
            "unknown header flags",
            f -> run(f, f.file("m.bfm", patch(digitsBfm, 12, (byte) 1)))));
    c.add(
        new Case(
            "bfm-checksum",
            "one byte of the graph section changed",
            "run",
            BAD,
            "checksum mismatch",
            f -> run(f, f.file("m.bfm", patch(digitsBfm, 70, (byte) (digitsBfm[70] ^ 1))))));
    c.add(
        new Case(
            "bfm-appended-byte",
            "one byte appended",
            "run",
            BAD,
            "but the header declares",
            f -> run(f, f.file("m.bfm", Arrays.copyOf(digitsBfm, digitsBfm.length + 1)))));
    c.add(bfmCase("bfm-valid-control", "a valid hand-written file (control row)", 0, "", v -> {}));
    c.add(
        bfmCase(
            "bfm-negative-dim",
            "constant with dimension -4",
            BAD,
            "negative dimension -4",
            v -> v.constantDims = new long[] {-4}));
    c.add(
        bfmCase(
            "bfm-huge-dims",
            "constant of 2^40 x 2^40 elements",
            BAD,
            "exceeds the cap of",
            v -> v.constantDims = new long[] {1L << 40, 1L << 40}));
    c.add(
        bfmCase(
            "bfm-byte-length",
            "constant byteLength disagrees with its shape",
            BAD,
            "12 data bytes, but shape [4] needs 16",
            v -> v.constantBytes = 12));
    c.add(
        bfmCase(
            "bfm-data-outside",
            "constant data past the data section",
            BAD,
            "past the end of the data section",
            v -> v.constantOffset = 64));
    c.add(
        bfmCase(
            "bfm-duplicate-value",
            "a node writes the constant's name",
            BAD,
            "value 'w' is defined twice",
            v -> v.nodes = new String[][] {{"add", "Add", "x", "w", "w"}}));
    c.add(
        bfmCase(
            "bfm-dangling-input",
            "a node reads an undefined value",
            BAD,
            "reads 'z', which is not defined before it",
            v -> v.nodes = new String[][] {{"add", "Add", "x", "z", "y"}}));
    c.add(
        bfmCase(
            "bfm-cycle",
            "two nodes read each other's outputs",
            BAD,
            "which is not defined before it",
            v ->
                v.nodes =
                    new String[][] {{"a", "Add", "x", "b", "y"}, {"b", "Add", "y", "w", "b"}}));
    c.add(
        bfmCase(
            "bfm-dangling-output",
            "a graph output nothing computes",
            BAD,
            "graph output 'q' is never produced",
            v -> v.output = "q"));
    c.add(
        bfmCase(
            "bfm-unknown-op",
            "a node of op type NoSuchOp",
            BAD,
            "NoSuchOp",
            v -> v.nodes = new String[][] {{"add", "NoSuchOp", "x", "w", "y"}}));
    c.add(
        new Case(
            "bfm-node-count",
            "node count 2^32 - 1",
            "run",
            BAD,
            "node count 4294967295 exceeds the cap",
            f -> {
              BfmBytes g = new BfmBytes().str("p").i64(13);
              g.u32(1).valueInfo("x", 1, 1, 4).u32(0).u32(0).u32(0xFFFFFFFFL);
              return run(f, f.file("m.bfm", g.file(new byte[0])));
            }));
    c.add(
        new Case(
            "bfm-rank-17",
            "input of rank 17",
            "run",
            BAD,
            "rank 17 outside [0, 16]",
            f -> {
              BfmBytes g = new BfmBytes().str("p").i64(13);
              g.u32(1).valueInfo("x", 1, new long[17]).u32(0).u32(0).u32(0);
              return run(f, f.file("m.bfm", g.file(new byte[0])));
            }));
    c.add(
        new Case(
            "bfm-bad-utf8",
            "a name that is not UTF-8",
            "run",
            BAD,
            "not valid UTF-8",
            f -> {
              BfmBytes g = new BfmBytes().str("p").i64(13);
              g.u32(1).u32(2).put(new byte[] {(byte) 0xC3, (byte) 0x28});
              g.u8(1).u32(-1).u32(0).u32(0).u32(0);
              return run(f, f.file("m.bfm", g.file(new byte[0])));
            }));
    c.add(
        new Case(
            "bfm-long-string",
            "a string length of 2 GiB",
            "run",
            BAD,
            "exceeds 1 MiB",
            f -> {
              BfmBytes g = new BfmBytes().u32(0x7FFFFFF0L);
              return run(f, f.file("m.bfm", g.file(new byte[0])));
            }));
    // ---- inputs at run time (run digits.bfm -i input=FILE.npy) ----
    c.add(
        inputCase(
            "input-wrong-name",
            "-i nosuch=...",
            "unknown input 'nosuch'",
            f -> "nosuch=" + f.file("x.npy", digitsInput)));
    c.add(inputCase("input-missing", "no -i at all", "missing input 'input'", f -> null));
    c.add(
        inputCase(
            "input-wrong-rank",
            "shape [1, 64]",
            "has rank 2, expected 4",
            f -> "input=" + f.npy("x.npy", NdArray.ofFloats(new long[] {1, 64}, new float[64]))));
    c.add(
        inputCase(
            "input-wrong-shape",
            "shape [1, 1, 8, 9]",
            "has shape [1, 1, 8, 9]",
            f ->
                "input="
                    + f.npy("x.npy", NdArray.ofFloats(new long[] {1, 1, 8, 9}, new float[72]))));
    c.add(
        inputCase(
            "input-wrong-dtype",
            "int64 instead of float32",
            "is INT64, expected FLOAT32",
            f ->
                "input=" + f.npy("x.npy", NdArray.ofLongs(new long[] {1, 1, 8, 8}, new long[64]))));
    c.add(
        inputCase(
            "npy-empty",
            "empty .npy file",
            "too short to be a .npy file",
            f -> "input=" + f.file("x.npy", new byte[0])));
    c.add(
        inputCase(
            "npy-bad-magic",
            "a .npy without the magic",
            "bad magic",
            f -> "input=" + f.file("x.npy", patch(digitsInput, 1, (byte) 'X'))));
    c.add(
        inputCase(
            "npy-truncated",
            ".npy missing its last byte",
            "needs 2048 data bytes, the file has 2047",
            f -> "input=" + f.file("x.npy", Arrays.copyOf(digitsInput, digitsInput.length - 1))));
    c.add(
        inputCase(
            "npy-negative-dim",
            ".npy header with shape (-1, 64)",
            "negative dimension -1",
            f -> "input=" + f.file("x.npy", npyWithHeader("'<f4'", "False", "(-1, 64)", 0))));
    c.add(
        inputCase(
            "npy-huge-dims",
            ".npy header with shape (2^40, 2^40)",
            "is too large",
            f ->
                "input="
                    + f.file(
                        "x.npy",
                        npyWithHeader("'<f4'", "False", "(1099511627776, 1099511627776)", 0))));
    c.add(
        inputCase(
            "npy-bad-shape-text",
            ".npy header with shape (1, x)",
            "bad shape",
            f -> "input=" + f.file("x.npy", npyWithHeader("'<f4'", "False", "(1, x)", 0))));
    c.add(
        inputCase(
            "npy-fortran",
            "Fortran-order .npy",
            "Fortran-order arrays are not supported",
            f -> "input=" + f.file("x.npy", npyWithHeader("'<f4'", "True", "(1, 1, 8, 8)", 256))));
    c.add(
        inputCase(
            "npy-big-endian",
            "big-endian float32 .npy",
            "dtype '>f4' is not supported",
            f -> "input=" + f.file("x.npy", npyWithHeader("'>f4'", "False", "(1, 1, 8, 8)", 256))));
    c.add(
        inputCase(
            "npy-float64",
            "float64 .npy",
            "dtype '<f8' is not supported",
            f -> "input=" + f.file("x.npy", npyWithHeader("'<f8'", "False", "(1, 1, 8, 8)", 512))));
    c.add(
        new Case(
            "input-nan-run",
            "run with an input holding NaN and Inf: they propagate to the outputs (control row)",
            "run",
            0,
            "",
            f -> {
              float[] x = new float[64];
              x[0] = Float.NaN;
              x[1] = Float.POSITIVE_INFINITY;
              String in = f.npy("x.npy", NdArray.ofFloats(new long[] {1, 1, 8, 8}, x));
              return new String[] {
                "run", f.file("digits.bfm", digitsBfm), "-i", "input=" + in, "-o", f.out("out")
              };
            }));
    c.add(
        new Case(
            "input-nan-verify",
            "verify with an input holding NaN and Inf",
            "verify",
            BAD,
            "input 'input' has NaN at element 0; verification needs finite inputs",
            f -> {
              float[] x = new float[64];
              x[0] = Float.NaN;
              x[1] = Float.POSITIVE_INFINITY;
              String in = f.npy("x.npy", NdArray.ofFloats(new long[] {1, 1, 8, 8}, x));
              return new String[] {
                "verify", SampleModels.onnx("digits-cnn").toString(), "-i", "input=" + in
              };
            }));
    // ---- files and paths ----
    c.add(
        new Case(
            "model-missing",
            "model file that does not exist",
            convert,
            BAD,
            "no such file",
            f -> convert(f, f.out("nosuch.onnx"))));
    c.add(
        new Case(
            "model-is-directory",
            "a directory given as the model",
            convert,
            BAD,
            "cannot read",
            f -> {
              Files.createDirectories(f.dir().resolve("d.onnx"));
              return convert(f, f.out("d.onnx"));
            }));
    c.add(
        new Case(
            "output-under-file",
            "convert -o FILE/out.bfm, FILE a regular file",
            convert,
            BAD,
            "does not exist",
            f -> {
              String file = f.file("file", new byte[] {1});
              return new String[] {"convert", digits(f), "-o", file + "/out.bfm", "--no-verify"};
            }));
    c.add(
        new Case(
            "output-in-proc",
            "convert -o /proc/out.bfm (not writable, even as root)",
            convert,
            BAD,
            "cannot write to directory /proc",
            f -> new String[] {"convert", digits(f), "-o", "/proc/out.bfm", "--no-verify"}));
    c.add(
        new Case(
            "output-same-as-input",
            "convert IN.onnx -o IN.onnx",
            convert,
            BAD,
            "refusing to overwrite the input file",
            f -> {
              String in = digits(f);
              return new String[] {"convert", in, "-o", in, "--no-verify"};
            }));
    c.add(
        new Case(
            "output-link-to-input",
            "convert IN.onnx -o LINK, LINK a symbolic link to IN.onnx",
            convert,
            BAD,
            "refusing to overwrite the input file",
            f -> {
              String in = digits(f);
              Path link = Files.createSymbolicLink(f.dir().resolve("link.onnx"), Path.of(in));
              return new String[] {"convert", in, "-o", link.toString(), "--no-verify"};
            }));
    c.add(
        new Case(
            "run-output-dir-under-file",
            "run -o FILE/out, FILE a regular file",
            "run",
            BAD,
            "cannot create output directory",
            f -> {
              String file = f.file("file", new byte[] {1});
              return new String[] {
                "run", f.file("m.bfm", digitsBfm), "-i", f.input(), "-o", file + "/out"
              };
            }));
    c.add(
        new Case(
            "report-under-file",
            "convert --report FILE/r.json",
            convert,
            BAD,
            "r.json",
            f -> {
              String file = f.file("file", new byte[] {1});
              return new String[] {
                "convert",
                digits(f),
                "-o",
                f.out("out.bfm"),
                "--no-verify",
                "--report",
                file + "/r.json"
              };
            }));
    // ---- options ----
    c.add(
        new Case(
            "option-negative-samples",
            "convert --samples -1",
            "convert",
            BAD,
            "samples must be >= 0",
            f -> new String[] {"convert", digits(f), "-o", f.out("o.bfm"), "--samples", "-1"}));
    c.add(
        new Case(
            "option-negative-rtol",
            "verify --rtol -1",
            "verify",
            BAD,
            "tolerances must be >= 0",
            f -> new String[] {"verify", digits(f), "--rtol", "-1"}));
    c.add(
        new Case(
            "option-threads-zero",
            "run --threads 0",
            "run",
            BAD,
            "threads must be in [1, 256]",
            f ->
                new String[] {
                  "run",
                  f.file("m.bfm", digitsBfm),
                  "-i",
                  f.input(),
                  "-o",
                  f.out("out"),
                  "--threads",
                  "0"
                }));
    c.add(
        new Case(
            "option-not-a-number",
            "convert --samples many",
            "convert",
            BAD,
            "Invalid value for option '--samples'",
            f -> new String[] {"convert", digits(f), "-o", f.out("o.bfm"), "--samples", "many"}));
    c.add(
        new Case(
            "option-unknown",
            "inspect --bogus",
            "inspect",
            BAD,
            "Unknown option: '--bogus'",
            f -> new String[] {"inspect", digits(f), "--bogus"}));
    // ---- the other commands on a bad model ----
    c.add(
        new Case(
            "inspect-random-bytes",
            "inspect on 4 KiB of random bytes",
            "inspect",
            BAD,
            "not a valid ONNX model",
            f -> new String[] {"inspect", f.file("m.onnx", random(4096, 3))}));
    c.add(
        new Case(
            "bench-truncated-bfm",
            "bench on digits.bfm cut in the data section",
            "bench",
            BAD,
            "(truncated)",
            f ->
                new String[] {
                  "bench", f.file("m.bfm", Arrays.copyOf(digitsBfm, digitsBfm.length / 2))
                }));
    return c;
  }

  // ---------------------------------------------------------------------------------------------

  @ParameterizedTest(name = "{0}")
  @MethodSource("cases")
  void badInput(Case c) throws Exception {
    Path dir = Files.createDirectories(root.resolve(c.name()));
    Fixture f = new Fixture(dir);
    String[] args = c.setup().args(f);
    Map<Path, String> before = snapshot(dir);
    CliRunner r = CliRunner.run(args);
    ran++;
    String what =
        c.name() + ": " + String.join(" ", args) + "\nout: " + r.out() + "\nerr: " + r.err();
    assertEquals(c.exit(), r.exitCode(), what);
    if (c.exit() == 0) {
      assertEquals("", r.err(), what);
      return;
    }
    String[] lines = r.errLines();
    if (Boolean.getBoolean("bnfold.writeBadInputs")) {
      System.out.println("bad-input " + c.name() + " -> " + r.exitCode() + " " + lines[0]);
    }
    boolean usage = r.err().contains("Try 'bnfold");
    assertEquals(usage ? 2 : 1, lines.length, "one line (plus a usage hint): " + what);
    assertTrue(lines[0].startsWith("bnfold: "), what);
    assertTrue(lines[0].contains(c.message()), "message contains '" + c.message() + "': " + what);
    assertFalse(
        r.err().contains("\tat ") || r.err().contains("internal error"), "no stack trace: " + what);
    assertEquals(before, snapshot(dir), "no file written, created or changed: " + what);
  }

  /** Every file under {@code dir} (links not followed) with its SHA-256. */
  private static Map<Path, String> snapshot(Path dir) throws IOException {
    Map<Path, String> m = new TreeMap<>();
    try (Stream<Path> s = Files.walk(dir)) {
      for (Path p : (Iterable<Path>) s::iterator) {
        m.put(
            dir.relativize(p),
            Files.isSymbolicLink(p)
                ? "link"
                : Files.isRegularFile(p) ? sha256(Files.readAllBytes(p)) : "dir");
      }
    }
    return m;
  }

  @Test
  void tableFileMatchesTheCases() throws IOException {
    Path md = Path.of(System.getProperty("bnfold.root", "..")).resolve("tools/BAD_INPUTS.md");
    List<Case> cases = cases();
    if (Boolean.getBoolean("bnfold.writeBadInputs")) {
      Files.writeString(md, markdown(cases));
    }
    Map<String, String[]> rows = new LinkedHashMap<>();
    for (String line : Files.readAllLines(md)) {
      if (line.startsWith("| `")) {
        String[] cells = line.substring(1, line.length() - 1).split(" \\| ", -1);
        String name = cells[0].trim().replace("`", "");
        assertEquals(5, cells.length, "five cells in: " + line);
        assertTrue(rows.put(name, cells) == null, "row listed twice: " + name);
      }
    }
    Map<String, Case> byName = new HashMap<>();
    cases.forEach(c -> byName.put(c.name(), c));
    assertEquals(
        byName.keySet().stream().sorted().collect(Collectors.toList()),
        rows.keySet().stream().sorted().collect(Collectors.toList()),
        "tools/BAD_INPUTS.md lists exactly the cases of this test"
            + " (rewrite it with -Dbnfold.writeBadInputs=true)");
    for (Map.Entry<String, String[]> e : rows.entrySet()) {
      Case c = byName.get(e.getKey());
      assertEquals(String.valueOf(c.exit()), e.getValue()[3].trim(), "exit code of " + c.name());
      assertEquals(
          cell(c.message()), e.getValue()[4].trim(), "message of " + c.name() + " in the table");
    }
  }

  private static String markdown(List<Case> cases) {
    StringBuilder s = new StringBuilder();
    s.append("# Bad inputs\n\n")
        .append("What the `bnfold` command line does with bad models, inputs, options and paths.")
        .append(" Every row is a case of\n")
        .append("`tools/src/test/java/dev/bnfold/cli/BadInputTableTest.java`, which checks the")
        .append(" exit code, that the error is\n")
        .append("one line (`bnfold: <message>`, plus a usage hint for option errors) containing")
        .append(" the text shown, that no\n")
        .append("stack trace is printed, and that no file is written or changed. Exit codes: 0 ok,")
        .append(" 1 verification failed,\n")
        .append("2 bad input, model, option or file, 3 internal error (a bug).\n\n")
        .append("| case | input | command | exit | message contains |\n")
        .append("|---|---|---|---|---|\n");
    for (Case c : cases) {
      s.append("| `")
          .append(c.name())
          .append("` | ")
          .append(c.what().replace("|", "\\|"))
          .append(" | `bnfold ")
          .append(c.command())
          .append("` | ")
          .append(c.exit())
          .append(" | ")
          .append(cell(c.message()))
          .append(" |\n");
    }
    return s.toString();
  }

  private static String cell(String message) {
    return message.isEmpty() ? "(none)" : "`" + message + "`";
  }

  // ---- builders --------------------------------------------------------------------------------

  private static String[] convert(Fixture f, String model) {
    return new String[] {"convert", model, "-o", f.out("out.bfm"), "--no-verify"};
  }

  private static String[] run(Fixture f, String model) throws IOException {
    return new String[] {"run", model, "-i", f.input(), "-o", f.out("out")};
  }

  private static String digits(Fixture f) throws IOException {
    return f.file("digits-cnn.onnx", digitsOnnx);
  }

  private static TensorProto.Builder init0(ModelProto.Builder m) {
    return m.getGraphBuilder().getInitializerBuilder(0);
  }

  private static NodeProto.Builder node(ModelProto.Builder m, int i) {
    return m.getGraphBuilder().getNodeBuilder(i);
  }

  private static NodeProto.Builder lastNode(ModelProto.Builder m) {
    return node(m, m.getGraphBuilder().getNodeCount() - 1);
  }

  private static GraphProto nested(int depth) {
    GraphProto g = GraphProto.newBuilder().setName("leaf").build();
    for (int i = 0; i < depth; i++) {
      g =
          GraphProto.newBuilder()
              .setName("g" + i)
              .addNode(
                  NodeProto.newBuilder()
                      .setOpType("If")
                      .addAttribute(
                          AttributeProto.newBuilder()
                              .setName("then_branch")
                              .setType(AttributeProto.AttributeType.GRAPH)
                              .setG(g)))
              .build();
    }
    return g;
  }

  private static StringStringEntryProto kv(String k, String v) {
    return StringStringEntryProto.newBuilder().setKey(k).setValue(v).build();
  }

  private static TensorProto.Builder externalize(TensorProto.Builder t, String location) {
    return t.clearRawData()
        .setDataLocation(TensorProto.DataLocation.EXTERNAL)
        .addExternalData(kv("location", location));
  }

  private static Case externalCase(String name, String location, String message) {
    return new Case(
        name,
        "external data location `" + location + "`",
        "convert --no-verify",
        BAD,
        message,
        f -> {
          f.write("w.bin", new byte[1 << 20]); // outside model/, so only reachable by escaping
          Files.createDirectories(f.dir().resolve("model/sub"));
          Files.createSymbolicLink(f.dir().resolve("model/link.bin"), f.dir().resolve("w.bin"));
          return convert(f, f.onnx("model/m.onnx", m -> externalize(init0(m), location)));
        });
  }

  private static Case bfmCase(
      String name, String what, int exit, String message, Consumer<BfmBytes.Variant> edit) {
    return new Case(
        name,
        what,
        "run",
        exit,
        message,
        f -> {
          BfmBytes.Variant v = new BfmBytes.Variant();
          edit.accept(v);
          String x = f.npy("x.npy", NdArray.ofFloats(new long[] {1, 4}, new float[4]));
          return new String[] {
            "run", f.file("m.bfm", BfmBytes.addModel(v)), "-i", "x=" + x, "-o", f.out("out")
          };
        });
  }

  private static Case inputCase(String name, String what, String message, InputSetup input) {
    return new Case(
        name,
        what,
        "run",
        BAD,
        message,
        f -> {
          String model = f.file("digits.bfm", digitsBfm);
          String in = input.input(f);
          return in == null
              ? new String[] {"run", model, "-o", f.out("out")}
              : new String[] {"run", model, "-i", in, "-o", f.out("out")};
        });
  }

  /** A .npy file with the given header values and {@code dataBytes} zero bytes of data. */
  private static byte[] npyWithHeader(String descr, String fortran, String shape, int dataBytes) {
    String dict =
        "{'descr': " + descr + ", 'fortran_order': " + fortran + ", 'shape': " + shape + ", }";
    String header = dict + " ".repeat(63 - (10 + dict.length()) % 64) + "\n";
    ByteBuffer b =
        ByteBuffer.allocate(10 + header.length() + dataBytes).order(ByteOrder.LITTLE_ENDIAN);
    b.put(new byte[] {(byte) 0x93, 'N', 'U', 'M', 'P', 'Y', 1, 0});
    b.putShort((short) header.length()).put(header.getBytes(StandardCharsets.ISO_8859_1));
    return b.array();
  }

  /** metaLength, dataOffset, dataLength of digits.bfm. */
  private static long[] bfmHeader() {
    if (digitsBfm == null) {
      try {
        models();
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
    }
    ByteBuffer b = ByteBuffer.wrap(digitsBfm).order(ByteOrder.LITTLE_ENDIAN);
    return new long[] {b.getLong(32), b.getLong(40), b.getLong(48)};
  }

  private static byte[] patch(byte[] bytes, int at, byte value) {
    byte[] b = bytes.clone();
    b[at] = value;
    return b;
  }

  private static byte[] random(int n, long seed) {
    byte[] b = new byte[n];
    SplittableRandom r = new SplittableRandom(seed);
    for (int i = 0; i < n; i++) {
      b[i] = (byte) r.nextInt(256);
    }
    return b;
  }

  private static String sha256(byte[] b) {
    try {
      byte[] d = MessageDigest.getInstance("SHA-256").digest(b);
      StringBuilder s = new StringBuilder();
      for (byte x : d) {
        s.append(String.format("%02x", x));
      }
      return s.toString();
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }
}
