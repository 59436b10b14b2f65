package dev.bnfold.converter.export;

import dev.bnfold.converter.graph.DataType;
import dev.bnfold.converter.graph.Dim;
import dev.bnfold.converter.graph.Graph;
import dev.bnfold.converter.graph.Node;
import dev.bnfold.converter.graph.Tensor;
import dev.bnfold.converter.graph.ValueInfo;
import dev.bnfold.converter.io.AtomicFiles;
import dev.bnfold.onnx.Onnx.AttributeProto;
import dev.bnfold.runtime.DType;
import dev.bnfold.runtime.UnsupportedModelException;
import dev.bnfold.runtime.format.Attribute;
import dev.bnfold.runtime.format.ModelFile;
import dev.bnfold.runtime.format.ModelWriter;
import dev.bnfold.runtime.kernels.Kernels;
import dev.bnfold.runtime.ops.WeightLayouts;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Writes a (converted) graph in the runtime's model format. Nodes map one to one onto runtime nodes
 * with the same op type and attributes, except that a {@code Mul} by a per-channel constant
 * followed by an {@code Add} of one (what a standalone BatchNormalization becomes) is written as a
 * single {@code ChannelAffine}. Conv and Gemm weights are stored in the panel layout of this JVM's
 * GEMM kernel (see {@link WeightLayouts}). Everything the runtime cannot hold is collected and
 * reported at once.
 */
public final class RuntimeExporter {
  private RuntimeExporter() {}

  /** Writes {@code graph} to {@code file} atomically. */
  public static void save(Graph graph, Path file, Path... protect) {
    ModelWriter w = toWriter(graph);
    AtomicFiles.write(file, w::writeTo, protect);
  }

  /** The runtime model for {@code graph}, in memory. */
  public static ModelFile toModel(Graph graph) {
    return toWriter(graph).build();
  }

  /** The runtime-format bytes for {@code graph}. */
  public static byte[] toBytes(Graph graph) {
    return toWriter(graph).toByteArray();
  }

  /**
   * Maps {@code graph} onto a model writer.
   *
   * @throws UnsupportedModelException listing every value type, constant or attribute the runtime
   *     format cannot hold
   */
  public static ModelWriter toWriter(Graph graph) {
    List<String> problems = new ArrayList<>();
    ModelWriter w = new ModelWriter().producer("bnfold converter").opset(graph.onnxOpset());
    for (ValueInfo in : graph.inputs()) {
      DType t = dtype(in.type());
      if (t == null) {
        problems.add("input '" + in.name() + "' has type " + in.type().onnxName());
        continue;
      }
      w.addInput(in.name(), t, dims(in), dimNames(in));
    }
    List<ChannelAffineFusion.Pair> affines = ChannelAffineFusion.find(graph);
    Map<Node, ChannelAffineFusion.Pair> byMul = new HashMap<>();
    Set<Node> fusedAdds = new HashSet<>();
    for (ChannelAffineFusion.Pair p : affines) {
      byMul.put(p.mul(), p);
      fusedAdds.add(p.add());
    }
    // Nodes as they will be written, then only the constants those nodes read.
    List<NodeWrite> writes = new ArrayList<>();
    Map<String, float[]> affineParams = new LinkedHashMap<>();
    for (Node n : graph.nodes()) {
      if (fusedAdds.contains(n)) {
        continue;
      }
      ChannelAffineFusion.Pair p = byMul.get(n);
      if (p != null) {
        String name = p.add().name().isEmpty() ? p.mul().name() : p.add().name();
        String scale = graph.freshName(name + ".scale");
        affineParams.put(scale, p.scale());
        String bias = graph.freshName(name + ".bias");
        affineParams.put(bias, p.bias());
        writes.add(
            new NodeWrite(
                "ChannelAffine",
                name,
                List.of(p.input(), scale, bias),
                p.add().outputs(),
                List.of()));
        continue;
      }
      if (!n.domain().isEmpty()) {
        problems.add(n.describe() + ": domain '" + n.domain() + "' is not supported");
        continue;
      }
      List<Attribute> attrs = new ArrayList<>();
      for (AttributeProto a : n.attributes().values()) {
        Attribute converted = attribute(a);
        if (converted == null) {
          problems.add(
              n.describe()
                  + ": attribute '"
                  + a.getName()
                  + "' of type "
                  + a.getType()
                  + " is not supported");
        } else {
          attrs.add(converted);
        }
      }
      writes.add(new NodeWrite(n.opType(), n.name(), n.inputs(), n.outputs(), attrs));
    }
    Set<String> read = new HashSet<>();
    writes.forEach(nw -> read.addAll(nw.inputs()));
    graph.outputs().forEach(o -> read.add(o.name()));
    for (Map.Entry<String, Tensor> e : graph.initializers().entrySet()) {
      if (read.contains(e.getKey())) {
        addConstant(w, e.getKey(), e.getValue(), problems);
      }
    }
    affineParams.forEach((name, v) -> w.addConstant(name, new long[] {v.length}, v));
    for (NodeWrite nw : writes) {
      w.addNode(nw.op(), nw.name(), nw.inputs(), nw.outputs(), nw.attributes());
    }
    for (ValueInfo out : graph.outputs()) {
      DType t = out.type() == DataType.UNDEFINED ? DType.FLOAT32 : dtype(out.type());
      if (t == null) {
        problems.add("output '" + out.name() + "' has type " + out.type().onnxName());
        continue;
      }
      w.addOutput(
          out.name(),
          t,
          out.shape() == null ? null : dims(out),
          out.shape() == null ? null : dimNames(out));
    }
    if (!problems.isEmpty()) {
      throw new UnsupportedModelException(
          "the runtime format cannot hold "
              + problems.size()
              + " thing(s): "
              + String.join("; ", problems));
    }
    // Conv and Gemm weights stored in the panels this JVM's GEMM kernel reads: loading them is
    // one bulk copy (a runtime whose kernel has other panel widths repacks them at load).
    WeightLayouts.choose(w.build(), Kernels.gemm(false)).forEach(w::storeAs);
    return w;
  }

  private static void addConstant(ModelWriter w, String name, Tensor t, List<String> problems) {
    switch (t.type()) {
      case FLOAT, DOUBLE -> w.addConstant(name, t.dims(), t.floats());
      case INT64, INT32, INT16, INT8, UINT8, UINT16, UINT32, BOOL ->
          w.addConstant(name, t.dims(), t.longs());
      default -> problems.add("constant '" + name + "' has type " + t.type().onnxName());
    }
  }

  static DType dtype(DataType t) {
    return switch (t) {
      case FLOAT -> DType.FLOAT32;
      case INT64 -> DType.INT64;
      default -> null;
    };
  }

  private static long[] dims(ValueInfo v) {
    if (v.shape() == null) {
      return null;
    }
    return v.shape().stream().mapToLong(Dim::value).toArray();
  }

  private static String[] dimNames(ValueInfo v) {
    if (v.shape() == null) {
      return null;
    }
    return v.shape().stream().map(Dim::symbol).toArray(String[]::new);
  }

  /** The runtime attribute for an ONNX one, or null if the runtime format cannot hold it. */
  static Attribute attribute(AttributeProto a) {
    return switch (a.getType()) {
      case INT -> Attribute.of(a.getName(), a.getI());
      case FLOAT -> Attribute.of(a.getName(), a.getF());
      case INTS ->
          Attribute.ofInts(
              a.getName(), a.getIntsList().stream().mapToLong(Long::longValue).toArray());
      case FLOATS -> {
        float[] f = new float[a.getFloatsCount()];
        for (int i = 0; i < f.length; i++) {
          f[i] = a.getFloats(i);
        }
        yield Attribute.ofFloats(a.getName(), f);
      }
      case STRING -> Attribute.of(a.getName(), a.getS().toStringUtf8());
      default -> null;
    };
  }

  private record NodeWrite(
      String op,
      String name,
      List<String> inputs,
      List<String> outputs,
      List<Attribute> attributes) {}
}
