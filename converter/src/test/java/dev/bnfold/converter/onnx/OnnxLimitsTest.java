package dev.bnfold.converter.onnx;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.bnfold.converter.graph.Graph;
import dev.bnfold.converter.testing.SampleModels;
import dev.bnfold.onnx.Onnx.AttributeProto;
import dev.bnfold.onnx.Onnx.GraphProto;
import dev.bnfold.onnx.Onnx.ModelProto;
import dev.bnfold.onnx.Onnx.NodeProto;
import dev.bnfold.onnx.Onnx.OperatorSetIdProto;
import dev.bnfold.onnx.Onnx.TypeProto;
import dev.bnfold.onnx.Onnx.ValueInfoProto;
import dev.bnfold.runtime.ModelFormatException;
import java.io.ByteArrayOutputStream;
import java.nio.file.Files;
import java.time.Duration;
import org.junit.jupiter.api.Test;

/**
 * The ONNX reader's caps ({@link OnnxReader.Limits}), protobuf recursion bound, and graph checks
 * (cycles, dangling edges, redefined values) on large and hostile graphs.
 */
class OnnxLimitsTest {
  private static final OnnxReader.Limits DEFAULTS = OnnxReader.Limits.defaults();

  private static byte[] digits() throws Exception {
    return Files.readAllBytes(SampleModels.onnx("digits-cnn"));
  }

  private static String rejected(OnnxReader.Limits limits, byte[] model) {
    return assertThrows(ModelFormatException.class, () -> new OnnxReader(limits).read(model, null))
        .getMessage();
  }

  @Test
  void nodeCountCap() throws Exception {
    String m = rejected(new OnnxReader.Limits(1L << 30, 1L << 32, 10), digits());
    assertTrue(m.contains("17 nodes exceed the limit of 10"), m);
  }

  @Test
  void tensorElementCap() throws Exception {
    String m = rejected(new OnnxReader.Limits(100, 1L << 32, 1000), digits());
    assertTrue(m.contains("over the limit of 100"), m);
  }

  @Test
  void totalWeightCap() throws Exception {
    String m = rejected(new OnnxReader.Limits(1L << 30, 100_000, 1000), digits());
    assertTrue(m.contains("weights exceed the limit of 100000 bytes"), m);
  }

  @Test
  void constantNodeListsCountAgainstTheCaps() {
    AttributeProto.Builder floats =
        AttributeProto.newBuilder()
            .setName("value_floats")
            .setType(AttributeProto.AttributeType.FLOATS);
    AttributeProto.Builder ints =
        AttributeProto.newBuilder()
            .setName("value_ints")
            .setType(AttributeProto.AttributeType.INTS);
    for (int i = 0; i < 200; i++) {
      floats.addFloats(i);
      ints.addInts(i);
    }
    for (AttributeProto a : new AttributeProto[] {floats.build(), ints.build()}) {
      GraphProto.Builder g = GraphProto.newBuilder().setName("g");
      g.addNode(NodeProto.newBuilder().setOpType("Constant").addOutput("c").addAttribute(a));
      g.addOutput(ValueInfoProto.newBuilder().setName("c"));
      byte[] model = model(g).toByteArray();
      assertEquals(1, new OnnxReader(DEFAULTS).read(model, null).initializers().size());
      String m = rejected(new OnnxReader.Limits(100, 1L << 32, 1000), model);
      assertTrue(m.contains("Constant '' declares 200 elements, over the limit of 100"), m);
    }
  }

  @Test
  void deeplyNestedSubgraphsHitTheRecursionBoundNotTheStack() throws Exception {
    for (int depth : new int[] {10, 100, 5_000}) {
      // Graph { node: If { attribute: then_branch { g: Graph { ... } } } }, encoded by hand:
      // building it with the protobuf classes would overflow the test's own stack.
      byte[] graph = new byte[0];
      for (int i = 0; i < depth; i++) {
        byte[] attribute = field(6, graph); // AttributeProto.g
        byte[] node = field(5, attribute); // NodeProto.attribute
        graph = field(1, node); // GraphProto.node
      }
      ByteArrayOutputStream model = new ByteArrayOutputStream();
      model.write(model(GraphProto.newBuilder()).toBuilder().clearGraph().build().toByteArray());
      model.write(field(7, graph)); // ModelProto.graph
      byte[] bytes = model.toByteArray();
      if (depth == 10) {
        assertEquals(1, new OnnxReader(DEFAULTS).read(bytes, null).nodes().size());
      } else {
        String m = rejected(DEFAULTS, bytes);
        assertTrue(m.contains("truncated or corrupt protobuf"), m);
      }
    }
  }

  /** A length-delimited protobuf field. */
  private static byte[] field(int number, byte[] value) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    varint(out, (number << 3) | 2);
    varint(out, value.length);
    out.writeBytes(value);
    return out.toByteArray();
  }

  private static void varint(ByteArrayOutputStream out, long v) {
    while ((v & ~0x7FL) != 0) {
      out.write((int) ((v & 0x7F) | 0x80));
      v >>>= 7;
    }
    out.write((int) v);
  }

  @Test
  void cyclesAndDanglingEdgesInLargeGraphsAreFoundQuickly() {
    int n = 50_000;
    // A chain x -> v1 -> ... -> vn; then the same chain closed into a ring, and with a hole.
    for (String variant : new String[] {"chain", "ring", "hole"}) {
      GraphProto.Builder g = GraphProto.newBuilder().setName(variant);
      g.addInput(
          ValueInfoProto.newBuilder()
              .setName("x")
              .setType(
                  TypeProto.newBuilder()
                      .setTensorType(TypeProto.Tensor.newBuilder().setElemType(1))));
      for (int i = 1; i <= n; i++) {
        String in = i == 1 ? (variant.equals("ring") ? "v" + n : "x") : "v" + (i - 1);
        if (variant.equals("hole") && i == n / 2) {
          in = "nowhere";
        }
        g.addNode(
            NodeProto.newBuilder()
                .setName("r" + i)
                .setOpType("Relu")
                .addInput(in)
                .addOutput("v" + i));
      }
      g.addOutput(ValueInfoProto.newBuilder().setName("v" + n));
      byte[] model = model(g).toByteArray();
      assertTimeoutPreemptively(
          Duration.ofSeconds(20),
          () -> {
            if (variant.equals("chain")) {
              Graph read = new OnnxReader(DEFAULTS).read(model, null);
              assertEquals(n, read.nodes().size());
              return;
            }
            String m = rejected(DEFAULTS, model);
            assertTrue(
                m.contains(
                    variant.equals("ring")
                        ? "the graph has a cycle through Relu 'r1'"
                        : "reads 'nowhere', which no node, input or initializer defines"),
                m);
          });
    }
  }

  @Test
  void aNodeMayNotRedefineAnInputOrAnInitializer() throws Exception {
    for (boolean input : new boolean[] {true, false}) {
      ModelProto.Builder m = ModelProto.parseFrom(digits()).toBuilder();
      String name =
          input ? m.getGraph().getInput(0).getName() : m.getGraph().getInitializer(0).getName();
      m.getGraphBuilder().getNodeBuilder(0).setOutput(0, name);
      String msg = rejected(DEFAULTS, m.build().toByteArray());
      assertTrue(msg.contains("value '" + name + "' is defined twice"), msg);
    }
  }

  @Test
  void aGraphOutputMustBeComputed() throws Exception {
    ModelProto.Builder m = ModelProto.parseFrom(digits()).toBuilder();
    // declared in value_info only: still not computed
    m.getGraphBuilder().addValueInfo(ValueInfoProto.newBuilder().setName("ghost"));
    m.getGraphBuilder().getOutputBuilder(0).setName("ghost");
    String msg = rejected(DEFAULTS, m.build().toByteArray());
    assertTrue(msg.contains("graph output 'ghost' is not computed"), msg);
  }

  private static ModelProto model(GraphProto.Builder g) {
    return ModelProto.newBuilder()
        .setIrVersion(8)
        .addOpsetImport(OperatorSetIdProto.newBuilder().setVersion(13))
        .setGraph(g)
        .build();
  }
}
