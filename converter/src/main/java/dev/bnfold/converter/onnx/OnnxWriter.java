package dev.bnfold.converter.onnx;

import com.google.protobuf.ByteString;
import com.google.protobuf.UnsafeByteOperations;
import dev.bnfold.converter.graph.DataType;
import dev.bnfold.converter.graph.Dim;
import dev.bnfold.converter.graph.Graph;
import dev.bnfold.converter.graph.Node;
import dev.bnfold.converter.graph.Tensor;
import dev.bnfold.converter.graph.ValueInfo;
import dev.bnfold.converter.io.AtomicFiles;
import dev.bnfold.onnx.Onnx.GraphProto;
import dev.bnfold.onnx.Onnx.ModelProto;
import dev.bnfold.onnx.Onnx.NodeProto;
import dev.bnfold.onnx.Onnx.OperatorSetIdProto;
import dev.bnfold.onnx.Onnx.TensorProto;
import dev.bnfold.onnx.Onnx.TensorShapeProto;
import dev.bnfold.onnx.Onnx.TypeProto;
import dev.bnfold.onnx.Onnx.ValueInfoProto;
import java.nio.file.Path;
import java.util.Map;

/** Writes a {@link Graph} as an ONNX model, with every tensor inline as raw_data. */
public final class OnnxWriter {
  private OnnxWriter() {}

  /**
   * Writes {@code graph} to {@code file} atomically (temporary file, then move).
   *
   * @param protect files that must not be overwritten, typically the model that was read
   */
  public static void save(Graph graph, Path file, Path... protect) {
    ModelProto proto = toProto(graph);
    AtomicFiles.write(file, proto::writeTo, protect);
  }

  /** The serialized ONNX model. */
  public static byte[] toBytes(Graph graph) {
    return toProto(graph).toByteArray();
  }

  /** Builds the ModelProto for {@code graph}. */
  public static ModelProto toProto(Graph graph) {
    Graph.ModelInfo m = graph.modelInfo();
    ModelProto.Builder model =
        ModelProto.newBuilder()
            // Initializers are not repeated as inputs, which IR version 4 made legal.
            .setIrVersion(Math.max(4, m.irVersion()))
            .setProducerName(m.producerName())
            .setProducerVersion(m.producerVersion())
            .setDomain(m.domain())
            .setModelVersion(m.modelVersion())
            .setDocString(m.docString())
            .addAllMetadataProps(m.metadataProps());
    for (Map.Entry<String, Long> op : graph.opsets().entrySet()) {
      model.addOpsetImport(
          OperatorSetIdProto.newBuilder().setDomain(op.getKey()).setVersion(op.getValue()));
    }
    GraphProto.Builder g = GraphProto.newBuilder().setName(graph.name());
    for (Node n : graph.nodes()) {
      NodeProto.Builder nb =
          NodeProto.newBuilder()
              .setName(n.name())
              .setOpType(n.opType())
              .addAllInput(n.inputs())
              .addAllOutput(n.outputs())
              .addAllAttribute(n.attributes().values());
      if (!n.domain().isEmpty()) {
        nb.setDomain(n.domain());
      }
      g.addNode(nb);
    }
    for (Map.Entry<String, Tensor> e : graph.initializers().entrySet()) {
      g.addInitializer(tensor(e.getKey(), e.getValue()));
    }
    graph.inputs().forEach(v -> g.addInput(valueInfo(v)));
    graph.outputs().forEach(v -> g.addOutput(valueInfo(v)));
    graph.valueInfo().values().forEach(v -> g.addValueInfo(valueInfo(v)));
    return model.setGraph(g).build();
  }

  /** A TensorProto holding {@code t} as raw_data. */
  public static TensorProto tensor(String name, Tensor t) {
    TensorProto.Builder b = TensorProto.newBuilder().setName(name).setDataType(t.type().onnxCode());
    for (long d : t.dims()) {
      b.addDims(d);
    }
    ByteString raw = UnsafeByteOperations.unsafeWrap(t.rawView());
    return b.setRawData(raw).build();
  }

  private static ValueInfoProto valueInfo(ValueInfo v) {
    ValueInfoProto.Builder b = ValueInfoProto.newBuilder().setName(v.name());
    if (v.type() == DataType.UNDEFINED && v.shape() == null) {
      return b.build();
    }
    TypeProto.Tensor.Builder t = TypeProto.Tensor.newBuilder().setElemType(v.type().onnxCode());
    if (v.shape() != null) {
      TensorShapeProto.Builder s = TensorShapeProto.newBuilder();
      for (Dim d : v.shape()) {
        TensorShapeProto.Dimension.Builder db = TensorShapeProto.Dimension.newBuilder();
        if (d.isKnown()) {
          db.setDimValue(d.value());
        } else if (d.symbol() != null) {
          db.setDimParam(d.symbol());
        }
        s.addDim(db);
      }
      t.setShape(s);
    }
    return b.setType(TypeProto.newBuilder().setTensorType(t)).build();
  }
}
