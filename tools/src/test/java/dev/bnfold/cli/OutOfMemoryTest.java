package dev.bnfold.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.ByteString;
import dev.bnfold.onnx.Onnx.GraphProto;
import dev.bnfold.onnx.Onnx.ModelProto;
import dev.bnfold.onnx.Onnx.NodeProto;
import dev.bnfold.onnx.Onnx.OperatorSetIdProto;
import dev.bnfold.onnx.Onnx.TensorProto;
import dev.bnfold.onnx.Onnx.TensorShapeProto;
import dev.bnfold.onnx.Onnx.TypeProto;
import dev.bnfold.onnx.Onnx.ValueInfoProto;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A model too large for the JVM's heap is a one-line error with exit code 2, not a stack trace and
 * exit code 1 (which means "verification failed"). Runs the CLI in a child JVM with a 32 MiB heap.
 */
class OutOfMemoryTest {
  @TempDir Path dir;

  @Test
  void outOfMemoryIsOneLineAndExitCode2() throws Exception {
    int n = 3 << 20; // 12 MiB of weights: read, parsed and copied, more than 32 MiB
    ValueInfoProto x =
        ValueInfoProto.newBuilder()
            .setName("x")
            .setType(
                TypeProto.newBuilder()
                    .setTensorType(
                        TypeProto.Tensor.newBuilder()
                            .setElemType(1)
                            .setShape(
                                TensorShapeProto.newBuilder()
                                    .addDim(
                                        TensorShapeProto.Dimension.newBuilder().setDimValue(n)))))
            .build();
    GraphProto g =
        GraphProto.newBuilder()
            .setName("big")
            .addInput(x)
            .addInitializer(
                TensorProto.newBuilder()
                    .setName("w")
                    .setDataType(1)
                    .addDims(n)
                    .setRawData(ByteString.copyFrom(new byte[4 * n])))
            .addNode(
                NodeProto.newBuilder().setOpType("Add").addInput("x").addInput("w").addOutput("y"))
            .addOutput(ValueInfoProto.newBuilder().setName("y"))
            .build();
    Path model = dir.resolve("big.onnx");
    Files.write(
        model,
        ModelProto.newBuilder()
            .setIrVersion(8)
            .addOpsetImport(OperatorSetIdProto.newBuilder().setVersion(13))
            .setGraph(g)
            .build()
            .toByteArray());
    Path out = dir.resolve("big.bfm");
    String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
    Process p =
        new ProcessBuilder(
                List.of(
                    java,
                    "-Xmx32m",
                    "-cp",
                    System.getProperty("java.class.path"),
                    Main.class.getName(),
                    "convert",
                    model.toString(),
                    "-o",
                    out.toString(),
                    "--no-verify"))
            .redirectErrorStream(true)
            .start();
    String output = new String(p.getInputStream().readAllBytes());
    assertTrue(p.waitFor(60, TimeUnit.SECONDS));
    assertEquals(Main.EXIT_BAD_INPUT, p.exitValue(), output);
    List<String> lines = output.lines().filter(l -> !l.isBlank()).toList();
    assertEquals(1, lines.size(), output);
    assertTrue(lines.get(0).startsWith("bnfold: out of memory (Java heap limit "), output);
    assertFalse(Files.exists(out), "nothing written");
  }
}
