package dev.bnfold.converter.onnx;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.ByteString;
import dev.bnfold.converter.graph.Graph;
import dev.bnfold.converter.io.NdArray;
import dev.bnfold.converter.verify.OrtRunner;
import dev.bnfold.onnx.Onnx.AttributeProto;
import dev.bnfold.onnx.Onnx.GraphProto;
import dev.bnfold.onnx.Onnx.ModelProto;
import dev.bnfold.onnx.Onnx.NodeProto;
import dev.bnfold.onnx.Onnx.OperatorSetIdProto;
import dev.bnfold.onnx.Onnx.StringStringEntryProto;
import dev.bnfold.onnx.Onnx.TensorProto;
import dev.bnfold.onnx.Onnx.TensorShapeProto;
import dev.bnfold.onnx.Onnx.TypeProto;
import dev.bnfold.onnx.Onnx.ValueInfoProto;
import dev.bnfold.runtime.BnfoldIOException;
import dev.bnfold.runtime.ModelFormatException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class OnnxReaderTest {
  @TempDir Path dir;

  /** Y = (X + W) * c, where W is given by {@code weight} and c by a Constant node. */
  static ModelProto addModel(TensorProto weight) {
    TensorProto c =
        TensorProto.newBuilder()
            .setDataType(TensorProto.DataType.FLOAT_VALUE)
            .addDims(1)
            .addFloatData(0.5f)
            .build();
    GraphProto g =
        GraphProto.newBuilder()
            .setName("add")
            .addInitializer(weight.toBuilder().setName("W"))
            .addNode(
                NodeProto.newBuilder()
                    .setOpType("Constant")
                    .addOutput("c")
                    .addAttribute(
                        AttributeProto.newBuilder()
                            .setName("value")
                            .setType(AttributeProto.AttributeType.TENSOR)
                            .setT(c)))
            .addNode(
                NodeProto.newBuilder().setOpType("Add").addInput("X").addInput("W").addOutput("S"))
            .addNode(
                NodeProto.newBuilder().setOpType("Mul").addInput("S").addInput("c").addOutput("Y"))
            .addInput(floatInfo("X", 2, 3))
            .addOutput(floatInfo("Y", 2, 3))
            .build();
    return ModelProto.newBuilder()
        .setIrVersion(8)
        .addOpsetImport(OperatorSetIdProto.newBuilder().setVersion(13))
        .setGraph(g)
        .build();
  }

  static ValueInfoProto floatInfo(String name, long... dims) {
    TensorShapeProto.Builder s = TensorShapeProto.newBuilder();
    for (long d : dims) {
      s.addDim(TensorShapeProto.Dimension.newBuilder().setDimValue(d));
    }
    return ValueInfoProto.newBuilder()
        .setName(name)
        .setType(
            TypeProto.newBuilder()
                .setTensorType(
                    TypeProto.Tensor.newBuilder()
                        .setElemType(TensorProto.DataType.FLOAT_VALUE)
                        .setShape(s)))
        .build();
  }

  static final float[] W = {1, 2, 3, -4, 5.5f, 6.25f};

  static TensorProto.Builder weightHeader() {
    return TensorProto.newBuilder()
        .setDataType(TensorProto.DataType.FLOAT_VALUE)
        .addDims(2)
        .addDims(3);
  }

  static byte[] le(float[] v) {
    ByteBuffer b = ByteBuffer.allocate(v.length * 4).order(ByteOrder.LITTLE_ENDIAN);
    b.asFloatBuffer().put(v);
    return b.array();
  }

  static TensorProto external(String location, long offset) {
    return weightHeader()
        .setDataLocation(TensorProto.DataLocation.EXTERNAL)
        .addExternalData(StringStringEntryProto.newBuilder().setKey("location").setValue(location))
        .addExternalData(
            StringStringEntryProto.newBuilder().setKey("offset").setValue(Long.toString(offset)))
        .addExternalData(StringStringEntryProto.newBuilder().setKey("length").setValue("24"))
        .build();
  }

  private Path write(String name, ModelProto m) throws Exception {
    Path p = dir.resolve(name);
    Files.write(p, m.toByteArray());
    return p;
  }

  @Test
  void typedRawAndExternalDataLoadTheSameWeights() throws Exception {
    TensorProto.Builder typed = weightHeader();
    for (float f : W) {
      typed.addFloatData(f);
    }
    TensorProto raw = weightHeader().setRawData(ByteString.copyFrom(le(W))).build();
    byte[] blob = new byte[16 + 24];
    System.arraycopy(le(W), 0, blob, 16, 24);
    Files.write(dir.resolve("weights.bin"), blob);

    for (ModelProto m :
        new ModelProto[] {
          addModel(typed.build()), addModel(raw), addModel(external("weights.bin", 16))
        }) {
      Graph g = OnnxReader.load(write("m.onnx", m));
      assertArrayEquals(W, g.initializers().get("W").floats());
      assertEquals(2, g.nodes().size(), "the Constant node becomes an initializer");
      assertArrayEquals(new float[] {0.5f}, g.initializers().get("c").floats());
    }
  }

  @Test
  void savedModelComputesTheSameInOnnxRuntime() throws Exception {
    Files.write(dir.resolve("weights.bin"), le(W));
    Path in = write("ext.onnx", addModel(external("weights.bin", 0)));
    Graph g = OnnxReader.load(in);
    Path out = dir.resolve("saved.onnx");
    OnnxWriter.save(g, out, in);
    NdArray x = NdArray.ofFloats(new long[] {2, 3}, new float[] {1, 1, 1, 1, 1, 1});
    try (OrtRunner a = new OrtRunner(Files.readAllBytes(out), false, 1)) {
      float[] y = a.run(Map.of("X", x)).get("Y").floats();
      assertArrayEquals(new float[] {1, 1.5f, 2, -1.5f, 3.25f, 3.625f}, y);
    }
  }

  @Test
  void externalDataEscapingTheModelDirectoryIsRefused() throws Exception {
    Path secret = dir.resolve("secret.bin");
    Files.write(secret, le(W));
    Path models = Files.createDirectory(dir.resolve("models"));
    Files.createSymbolicLink(models.resolve("link.bin"), secret);
    for (String location :
        new String[] {"../secret.bin", secret.toString(), "sub/../../secret.bin", "link.bin"}) {
      Path m = models.resolve("m.onnx");
      Files.write(m, addModel(external(location, 0)).toByteArray());
      ModelFormatException e = assertThrows(ModelFormatException.class, () -> OnnxReader.load(m));
      assertTrue(e.getMessage().contains(location), e.getMessage());
      assertTrue(
          e.getMessage().contains("outside") || e.getMessage().contains("absolute"),
          e.getMessage());
      assertTrue(e.getMessage().startsWith(m.toString()), e.getMessage());
    }
  }

  @Test
  void externalDataTooShortIsRefused() throws Exception {
    Files.write(dir.resolve("weights.bin"), new byte[20]);
    Path m = write("m.onnx", addModel(external("weights.bin", 0)));
    ModelFormatException e = assertThrows(ModelFormatException.class, () -> OnnxReader.load(m));
    assertTrue(e.getMessage().contains("does not match") || e.getMessage().contains("too short"));
  }

  @Test
  void notAModel() throws Exception {
    Path empty = dir.resolve("empty.onnx");
    Files.write(empty, new byte[0]);
    assertTrue(
        assertThrows(ModelFormatException.class, () -> OnnxReader.load(empty))
            .getMessage()
            .contains("empty"));

    byte[] noise = new byte[4096];
    new Random(7).nextBytes(noise);
    Path random = dir.resolve("random.onnx");
    Files.write(random, noise);
    assertThrows(ModelFormatException.class, () -> OnnxReader.load(random));

    byte[] good =
        addModel(weightHeader().setRawData(ByteString.copyFrom(le(W))).build()).toByteArray();
    for (int cut = 1; cut < good.length; cut += 7) {
      byte[] part = java.util.Arrays.copyOf(good, cut);
      Path truncated = dir.resolve("truncated.onnx");
      Files.write(truncated, part);
      assertThrows(ModelFormatException.class, () -> OnnxReader.load(truncated), "cut at " + cut);
    }
    assertThrows(BnfoldIOException.class, () -> OnnxReader.load(dir.resolve("missing.onnx")));
  }

  @Test
  void rawDataOfTheWrongSizeIsRefused() throws Exception {
    TensorProto bad = weightHeader().setRawData(ByteString.copyFrom(new byte[20])).build();
    Path m = write("m.onnx", addModel(bad));
    ModelFormatException e = assertThrows(ModelFormatException.class, () -> OnnxReader.load(m));
    assertTrue(e.getMessage().contains("initializer 'W'"), e.getMessage());
  }

  @Test
  void readTensorReadsATensorProtoFileAndRejectsGarbage() throws Exception {
    TensorProto t =
        TensorProto.newBuilder()
            .setName("x")
            .setDataType(TensorProto.DataType.INT64_VALUE)
            .addDims(2)
            .addDims(1)
            .addInt64Data(-3)
            .addInt64Data(7)
            .build();
    Path pb = dir.resolve("input_0.pb");
    Files.write(pb, t.toByteArray());
    dev.bnfold.converter.graph.Tensor read = OnnxReader.readTensor(pb);
    assertArrayEquals(new long[] {2, 1}, read.dims());
    assertArrayEquals(new long[] {-3, 7}, read.longs());

    Path bad = dir.resolve("bad.pb");
    Files.write(bad, t.toBuilder().clearInt64Data().addInt64Data(1).build().toByteArray());
    assertThrows(ModelFormatException.class, () -> OnnxReader.readTensor(bad));
    assertThrows(BnfoldIOException.class, () -> OnnxReader.readTensor(dir.resolve("none.pb")));
  }
}
