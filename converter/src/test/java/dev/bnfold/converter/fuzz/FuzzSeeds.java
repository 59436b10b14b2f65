package dev.bnfold.converter.fuzz;

import dev.bnfold.converter.Converter;
import dev.bnfold.converter.export.RuntimeExporter;
import dev.bnfold.converter.graph.Graph;
import dev.bnfold.converter.io.NdArray;
import dev.bnfold.converter.io.Npy;
import dev.bnfold.converter.onnx.OnnxReader;
import dev.bnfold.converter.onnx.OnnxWriter;
import dev.bnfold.converter.testing.TestModels;
import dev.bnfold.runtime.DType;
import dev.bnfold.runtime.format.ModelWriter;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/**
 * Writes the seed inputs of the fuzz tests ({@code OnnxFuzzTest}, {@code NpyFuzzTest}, the
 * runtime's {@code ModelFuzzTest}) into their Jazzer input directories. The seeds are committed;
 * rerun after a format change, from the repository root:
 *
 * <pre>
 * mvn -q -o -pl converter dependency:build-classpath -Dmdep.outputFile=/tmp/cp.txt
 * java -cp converter/target/test-classes:converter/target/classes:$(cat /tmp/cp.txt) \
 *     dev.bnfold.converter.fuzz.FuzzSeeds .
 * </pre>
 */
public final class FuzzSeeds {
  private FuzzSeeds() {}

  public static void main(String[] args) throws IOException {
    Path root = Path.of(args.length > 0 ? args[0] : ".");
    Path onnxDir =
        root.resolve(
            "converter/src/test/resources/dev/bnfold/converter/onnx/OnnxFuzzTestInputs/convert");
    Path npyDir =
        root.resolve(
            "converter/src/test/resources/dev/bnfold/converter/io/NpyFuzzTestInputs/parse");
    Path bfmDir =
        root.resolve(
            "runtime/src/test/resources/dev/bnfold/runtime/format/ModelFuzzTestInputs/loadAndRun");
    for (Path d : List.of(onnxDir, npyDir, bfmDir)) {
      Files.createDirectories(d);
    }

    // ONNX: the sample model and two small hand-made ones.
    Path digits = root.resolve("models/digits-cnn.onnx");
    Files.copy(digits, onnxDir.resolve("digits-cnn.onnx"), REPLACE);
    TestModels conv = new TestModels(1);
    String x = conv.input("x", -1, 2, 4, 4);
    conv.output(conv.relu(conv.bn(conv.conv(x, 2, 3, 3, true, TestModels.pads(1)), 3)));
    Graph convBn = conv.build();
    Files.write(onnxDir.resolve("conv-bn-relu.onnx"), OnnxWriter.toBytes(convBn));
    TestModels gemm = new TestModels(2);
    String g = gemm.input("g", 1, 6);
    gemm.output(gemm.bn(gemm.gemm(g, 6, 5, true, 1f, 1f, new long[] {5}), 5));
    Graph gemmBn = gemm.build();
    Files.write(onnxDir.resolve("gemm-bn.onnx"), OnnxWriter.toBytes(gemmBn));

    // Runtime format: converted from the three ONNX seeds, plus y = x + w written by hand.
    Files.write(bfmDir.resolve("digits-cnn.bfm"), converted(OnnxReader.load(digits)));
    Files.write(bfmDir.resolve("conv-bn-relu.bfm"), converted(convBn));
    Files.write(bfmDir.resolve("gemm-bn.bfm"), converted(gemmBn));
    Files.write(
        bfmDir.resolve("add.bfm"),
        new ModelWriter()
            .producer("fuzz seed")
            .opset(13)
            .addInput("x", DType.FLOAT32, 1, 4)
            .addConstant("w", new long[] {4}, new float[] {1, 2, 3, 4})
            .addNode("Add", "add", List.of("x", "w"), List.of("y"))
            .addOutput("y", DType.FLOAT32)
            .toByteArray());

    // .npy: the sample input, each dtype, a scalar, an empty array, a version-2.0 header.
    Files.copy(
        root.resolve("models/digits-cnn.input.npy"), npyDir.resolve("digits-input.npy"), REPLACE);
    Files.write(
        npyDir.resolve("f4.npy"),
        Npy.toBytes(NdArray.ofFloats(new long[] {2, 3}, new float[] {1, 2, 3, 4, 5, 6})));
    Files.write(
        npyDir.resolve("i4.npy"), Npy.toBytes(NdArray.ofInts(new long[] {3}, new int[] {7, 8, 9})));
    Files.write(
        npyDir.resolve("i8.npy"),
        Npy.toBytes(NdArray.ofLongs(new long[] {1, 2}, new long[] {1, -1})));
    Files.write(
        npyDir.resolve("scalar.npy"), Npy.toBytes(NdArray.ofFloats(new long[0], new float[] {3})));
    Files.write(
        npyDir.resolve("empty.npy"),
        Npy.toBytes(NdArray.ofFloats(new long[] {0, 4}, new float[0])));
    Files.write(npyDir.resolve("v2.npy"), npyVersion2());
    System.out.println("fuzz seeds written under " + root.toAbsolutePath().normalize());
  }

  private static final java.nio.file.CopyOption REPLACE =
      java.nio.file.StandardCopyOption.REPLACE_EXISTING;

  private static byte[] converted(Graph g) {
    return RuntimeExporter.toBytes(
        Converter.convert(g, Converter.Options.defaults().withVerify(false)).graph());
  }

  private static byte[] npyVersion2() {
    String dict = "{'descr': '<f4', 'fortran_order': False, 'shape': (2,), }";
    String header = dict + " ".repeat(63 - (12 + dict.length()) % 64) + "\n";
    ByteBuffer b = ByteBuffer.allocate(12 + header.length() + 8).order(ByteOrder.LITTLE_ENDIAN);
    b.put(new byte[] {(byte) 0x93, 'N', 'U', 'M', 'P', 'Y', 2, 0}).putInt(header.length());
    b.put(header.getBytes(StandardCharsets.ISO_8859_1)).putFloat(1.5f).putFloat(-2f);
    return b.array();
  }
}
