package dev.bnfold.converter.onnx;

import com.google.protobuf.ByteString;
import com.google.protobuf.CodedInputStream;
import com.google.protobuf.InvalidProtocolBufferException;
import dev.bnfold.converter.graph.DataType;
import dev.bnfold.converter.graph.Dim;
import dev.bnfold.converter.graph.Graph;
import dev.bnfold.converter.graph.Node;
import dev.bnfold.converter.graph.Tensor;
import dev.bnfold.converter.graph.ValueInfo;
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
import dev.bnfold.runtime.UnsupportedModelException;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * Reads an ONNX file into a {@link Graph}: initializers (raw_data, typed data fields or external
 * data files), Constant nodes (turned into initializers), inputs, outputs, value shapes and opset
 * imports. Every size is checked against {@link Limits} before anything is allocated, and external
 * data must lie inside the model's own directory.
 */
public final class OnnxReader {
  private final Limits limits;

  /** Caps on what a model may declare; exceeding one is a ModelFormatException. */
  public record Limits(long maxTensorElements, long maxTotalWeightBytes, int maxNodes) {
    /** Defaults that every public CNN fits in with room to spare. */
    public static Limits defaults() {
      return new Limits(1L << 30, 4L << 30, 1_000_000);
    }
  }

  public OnnxReader() {
    this(Limits.defaults());
  }

  public OnnxReader(Limits limits) {
    this.limits = limits;
  }

  /** Reads {@code file} with default limits. */
  public static Graph load(Path file) {
    return new OnnxReader().read(file);
  }

  /**
   * Reads and validates an ONNX model file.
   *
   * @throws BnfoldIOException if the file cannot be read
   * @throws ModelFormatException if it is not a valid ONNX model
   * @throws UnsupportedModelException if it uses features bnfold does not handle
   */
  public Graph read(Path file) {
    byte[] bytes;
    try {
      bytes = Files.readAllBytes(file);
    } catch (NoSuchFileException e) {
      throw new BnfoldIOException(file + ": no such file");
    } catch (IOException e) {
      throw new BnfoldIOException(file + ": cannot read: " + e.getMessage(), e);
    } catch (OutOfMemoryError e) {
      throw new ModelFormatException(file + ": too large to load");
    }
    return read(bytes, file);
  }

  /**
   * Parses model bytes. {@code file} names the model in messages and locates external data; it may
   * be null for in-memory models without external data.
   */
  public Graph read(byte[] bytes, Path file) {
    String where = file == null ? "<model>" : file.toString();
    if (bytes.length == 0) {
      throw new ModelFormatException(where + ": empty file, not an ONNX model");
    }
    ModelProto proto;
    try {
      CodedInputStream in = CodedInputStream.newInstance(bytes);
      in.setRecursionLimit(64);
      proto = ModelProto.parseFrom(in);
    } catch (InvalidProtocolBufferException e) {
      throw new ModelFormatException(
          where
              + ": not a valid ONNX model (truncated or corrupt protobuf: "
              + e.getMessage()
              + ")");
    } catch (IOException e) {
      throw new BnfoldIOException(where + ": cannot parse: " + e.getMessage(), e);
    }
    if (!proto.hasGraph() || proto.getIrVersion() <= 0) {
      throw new ModelFormatException(
          where
              + ": not an ONNX model ("
              + (proto.hasGraph() ? "no IR version" : "no graph")
              + ")");
    }
    Path dir = file == null ? null : file.toAbsolutePath().getParent();
    return new Reading(where, dir).graph(proto);
  }

  /**
   * Reads one serialized ONNX {@code TensorProto}, such as the {@code input_0.pb} files of the ONNX
   * backend tests, with the same checks and conversions as an initializer (raw or typed data,
   * external data next to the file).
   *
   * @throws BnfoldIOException if the file cannot be read
   * @throws ModelFormatException if it is not a valid tensor
   * @throws UnsupportedModelException for string, segmented or unknown-type tensors
   */
  public static Tensor readTensor(Path pbFile) {
    TensorProto proto;
    try {
      proto = TensorProto.parseFrom(Files.readAllBytes(pbFile));
    } catch (NoSuchFileException e) {
      throw new BnfoldIOException(pbFile + ": no such file");
    } catch (InvalidProtocolBufferException e) {
      throw new ModelFormatException(pbFile + ": not a valid ONNX tensor: " + e.getMessage());
    } catch (IOException e) {
      throw new BnfoldIOException(pbFile + ": cannot read: " + e.getMessage(), e);
    }
    Path dir = pbFile.toAbsolutePath().getParent();
    return new OnnxReader().new Reading(pbFile.toString(), dir)
        .tensor(proto, "tensor '" + proto.getName() + "'");
  }

  /** State of one read: where we are, for messages and external data. */
  private final class Reading {
    private final String where;
    private final Path dir;
    private long totalBytes;

    Reading(String where, Path dir) {
      this.where = where;
      this.dir = dir;
    }

    Graph graph(ModelProto proto) {
      GraphProto g = proto.getGraph();
      if (g.getNodeCount() > limits.maxNodes()) {
        throw new ModelFormatException(
            where + ": " + g.getNodeCount() + " nodes exceed the limit of " + limits.maxNodes());
      }
      Graph graph =
          new Graph(
              new Graph.ModelInfo(
                  proto.getIrVersion(),
                  proto.getProducerName(),
                  proto.getProducerVersion(),
                  proto.getDomain(),
                  proto.getModelVersion(),
                  proto.getDocString(),
                  List.copyOf(proto.getMetadataPropsList())));
      graph.setName(g.getName().isEmpty() ? "main" : g.getName());
      for (OperatorSetIdProto op : proto.getOpsetImportList()) {
        String domain = op.getDomain().equals("ai.onnx") ? "" : op.getDomain();
        graph.opsets().put(domain, op.getVersion());
      }
      if (!graph.opsets().containsKey("")) {
        throw new ModelFormatException(where + ": imports no version of the default ONNX opset");
      }
      if (g.getSparseInitializerCount() > 0) {
        throw new UnsupportedModelException(where + ": sparse initializers are not supported");
      }
      for (TensorProto t : g.getInitializerList()) {
        if (t.getName().isEmpty()) {
          throw new ModelFormatException(where + ": an initializer has no name");
        }
        if (graph.initializers().put(t.getName(), tensor(t, "initializer '" + t.getName() + "'"))
            != null) {
          throw new ModelFormatException(
              where + ": initializer '" + t.getName() + "' is defined twice");
        }
      }
      // Before IR version 4, every initializer also had to be listed as a graph input; such
      // entries are constants, not inputs a user feeds.
      boolean initializersAreInputs = proto.getIrVersion() < 4;
      Set<String> seen = new HashSet<>();
      for (ValueInfoProto v : g.getInputList()) {
        if (initializersAreInputs && graph.initializers().containsKey(v.getName())) {
          continue;
        }
        if (!seen.add(v.getName())) {
          throw new ModelFormatException(
              where + ": graph input '" + v.getName() + "' listed twice");
        }
        graph.inputs().add(valueInfo(v));
      }
      for (ValueInfoProto v : g.getOutputList()) {
        graph.outputs().add(valueInfo(v));
      }
      for (ValueInfoProto v : g.getValueInfoList()) {
        graph.valueInfo().put(v.getName(), valueInfo(v));
      }
      for (NodeProto n : g.getNodeList()) {
        if (isConstant(n)) {
          Tensor value = constantValue(n);
          if (value != null) {
            if (graph.initializers().put(n.getOutput(0), value) != null) {
              throw new ModelFormatException(
                  where + ": value '" + n.getOutput(0) + "' is defined twice");
            }
            continue;
          }
        }
        graph
            .nodes()
            .add(
                new Node(
                    n.getName(),
                    n.getOpType(),
                    n.getDomain(),
                    n.getInputList(),
                    n.getOutputList(),
                    n.getAttributeList()));
      }
      // A node output may not redefine a graph input or an initializer (sortTopologically
      // catches two nodes writing one value).
      Set<String> sources = new HashSet<>(graph.initializers().keySet());
      graph.inputs().forEach(v -> sources.add(v.name()));
      for (Node n : graph.nodes()) {
        for (String o : n.outputs()) {
          if (sources.contains(o)) {
            throw new ModelFormatException(
                where
                    + ": value '"
                    + o
                    + "' is defined twice (graph input or initializer, and output of "
                    + n.describe()
                    + ")");
          }
        }
      }
      try {
        graph.sortTopologically();
      } catch (IllegalStateException e) {
        throw new ModelFormatException(where + ": " + e.getMessage());
      }
      Set<String> computed = new HashSet<>(sources);
      graph.nodes().forEach(n -> computed.addAll(n.outputs()));
      for (ValueInfo o : graph.outputs()) {
        if (!computed.contains(o.name())) {
          throw new ModelFormatException(
              where + ": graph output '" + o.name() + "' is not computed");
        }
      }
      return graph;
    }

    private boolean isConstant(NodeProto n) {
      return n.getOpType().equals("Constant")
          && (n.getDomain().isEmpty() || n.getDomain().equals("ai.onnx"))
          && n.getOutputCount() == 1;
    }

    /** The value of a Constant node, or null if it is of a kind kept as a node (strings). */
    private Tensor constantValue(NodeProto n) {
      String what = "Constant '" + n.getName() + "'";
      if (n.getAttributeCount() != 1) {
        throw new ModelFormatException(where + ": " + what + " must have exactly one attribute");
      }
      AttributeProto a = n.getAttribute(0);
      return switch (a.getName()) {
        case "value" -> tensor(a.getT(), what);
        case "value_float" -> Tensor.ofFloats(new long[0], new float[] {a.getF()});
        case "value_floats" -> {
          count(a.getFloatsCount(), 4, what);
          float[] f = new float[a.getFloatsCount()];
          for (int i = 0; i < f.length; i++) {
            f[i] = a.getFloats(i);
          }
          yield Tensor.ofFloats(new long[] {f.length}, f);
        }
        case "value_int" -> Tensor.ofLongs(new long[0], new long[] {a.getI()});
        case "value_ints" ->
            Tensor.ofLongs(
                new long[] {count(a.getIntsCount(), 8, what)},
                a.getIntsList().stream().mapToLong(Long::longValue).toArray());
        case "sparse_value" ->
            throw new UnsupportedModelException(
                where + ": " + what + ": sparse constants are not supported");
        default -> null;
      };
    }

    private ValueInfo valueInfo(ValueInfoProto v) {
      if (v.getName().isEmpty()) {
        throw new ModelFormatException(where + ": a graph input or output has no name");
      }
      if (!v.hasType() || !v.getType().hasTensorType()) {
        return new ValueInfo(v.getName(), DataType.UNDEFINED, null);
      }
      TypeProto.Tensor t = v.getType().getTensorType();
      DataType type = DataType.fromOnnx(t.getElemType());
      if (type == null) {
        type = DataType.UNDEFINED;
      }
      if (!t.hasShape()) {
        return new ValueInfo(v.getName(), type, null);
      }
      List<Dim> dims = new ArrayList<>();
      for (TensorShapeProto.Dimension d : t.getShape().getDimList()) {
        if (d.hasDimValue() && d.getDimValue() >= 0) {
          dims.add(Dim.of(d.getDimValue()));
        } else if (d.hasDimParam() && !d.getDimParam().isEmpty()) {
          dims.add(Dim.symbol(d.getDimParam()));
        } else {
          dims.add(Dim.unknown());
        }
      }
      return new ValueInfo(v.getName(), type, dims);
    }

    Tensor tensor(TensorProto t, String what) {
      DataType type = DataType.fromOnnx(t.getDataType());
      if (type == null || type == DataType.UNDEFINED) {
        throw new UnsupportedModelException(
            where + ": " + what + " has unsupported data type " + t.getDataType());
      }
      if (type == DataType.STRING) {
        throw new UnsupportedModelException(where + ": " + what + " is a string tensor");
      }
      if (t.hasSegment()) {
        throw new UnsupportedModelException(where + ": " + what + " is segmented");
      }
      long[] dims = t.getDimsList().stream().mapToLong(Long::longValue).toArray();
      long count = 1;
      for (long d : dims) {
        if (d < 0) {
          throw new ModelFormatException(where + ": " + what + " has negative dimension " + d);
        }
        count = multiply(count, d, what);
      }
      if (count > limits.maxTensorElements()) {
        throw new ModelFormatException(
            where
                + ": "
                + what
                + " declares "
                + count
                + " elements, over the limit of "
                + limits.maxTensorElements());
      }
      long bytes = count * type.byteSize();
      if (bytes > Integer.MAX_VALUE - 8) {
        throw new ModelFormatException(where + ": " + what + " is larger than 2 GiB");
      }
      totalBytes += bytes;
      if (totalBytes > limits.maxTotalWeightBytes()) {
        throw new ModelFormatException(
            where + ": weights exceed the limit of " + limits.maxTotalWeightBytes() + " bytes");
      }
      byte[] data;
      if (t.getDataLocation() == TensorProto.DataLocation.EXTERNAL) {
        data = external(t, what, bytes);
      } else if (t.hasRawData()) {
        ByteString raw = t.getRawData();
        if (raw.size() != bytes) {
          throw new ModelFormatException(
              where
                  + ": "
                  + what
                  + " has "
                  + raw.size()
                  + " bytes of raw data, its shape needs "
                  + bytes);
        }
        data = raw.toByteArray();
      } else {
        data = typedData(t, type, (int) count, what);
      }
      return Tensor.ofRaw(type, dims, data);
    }

    /** Counts a Constant's list value against the limits, like an initializer; returns n. */
    private long count(long n, int elementBytes, String what) {
      if (n > limits.maxTensorElements()) {
        throw new ModelFormatException(
            where
                + ": "
                + what
                + " declares "
                + n
                + " elements, over the limit of "
                + limits.maxTensorElements());
      }
      totalBytes += n * elementBytes;
      if (totalBytes > limits.maxTotalWeightBytes()) {
        throw new ModelFormatException(
            where + ": weights exceed the limit of " + limits.maxTotalWeightBytes() + " bytes");
      }
      return n;
    }

    private long multiply(long a, long b, String what) {
      try {
        return Math.multiplyExact(a, b);
      } catch (ArithmeticException e) {
        throw new ModelFormatException(
            where + ": " + what + " has an element count that overflows");
      }
    }

    /** Converts the typed *_data fields to little-endian raw bytes. */
    private byte[] typedData(TensorProto t, DataType type, int count, String what) {
      ByteBuffer b = ByteBuffer.allocate(count * type.byteSize()).order(ByteOrder.LITTLE_ENDIAN);
      int have =
          switch (type) {
            case FLOAT -> t.getFloatDataCount();
            case DOUBLE -> t.getDoubleDataCount();
            case INT64 -> t.getInt64DataCount();
            case UINT32, UINT64 -> t.getUint64DataCount();
            case COMPLEX64 -> t.getFloatDataCount() / 2;
            case COMPLEX128 -> t.getDoubleDataCount() / 2;
            default -> t.getInt32DataCount();
          };
      if (have != count) {
        throw new ModelFormatException(
            where + ": " + what + " holds " + have + " elements, its shape needs " + count);
      }
      switch (type) {
        case FLOAT, COMPLEX64 -> t.getFloatDataList().forEach(b::putFloat);
        case DOUBLE, COMPLEX128 -> t.getDoubleDataList().forEach(b::putDouble);
        case INT64 -> t.getInt64DataList().forEach(b::putLong);
        case UINT64 -> t.getUint64DataList().forEach(b::putLong);
        case UINT32 -> t.getUint64DataList().forEach(v -> b.putInt((int) (long) v));
        case INT32 -> t.getInt32DataList().forEach(b::putInt);
        case INT16, UINT16, FLOAT16, BFLOAT16 ->
            t.getInt32DataList().forEach(v -> b.putShort((short) (int) v));
        case INT8, UINT8, BOOL -> t.getInt32DataList().forEach(v -> b.put((byte) (int) v));
        default ->
            throw new UnsupportedModelException(
                where + ": " + what + " has unsupported data type " + type.onnxName());
      }
      return b.array();
    }

    /** Reads external data, which must be a regular file inside the model's own directory. */
    private byte[] external(TensorProto t, String what, long bytes) {
      String location = null;
      long offset = 0;
      long length = -1;
      for (StringStringEntryProto e : t.getExternalDataList()) {
        try {
          switch (e.getKey()) {
            case "location" -> location = e.getValue();
            case "offset" -> offset = Long.parseLong(e.getValue());
            case "length" -> length = Long.parseLong(e.getValue());
            default -> {
              // checksum and unknown keys are informational
            }
          }
        } catch (NumberFormatException ex) {
          throw new ModelFormatException(
              where + ": " + what + ": external data " + e.getKey() + " is not a number");
        }
      }
      if (location == null || location.isEmpty()) {
        throw new ModelFormatException(where + ": " + what + ": external data has no location");
      }
      if (dir == null) {
        throw new ModelFormatException(
            where + ": " + what + ": external data needs the model to be read from a file");
      }
      Path file = ExternalData.resolveInside(dir, location, where + ": " + what);
      if (offset < 0 || (length >= 0 && length != bytes)) {
        throw new ModelFormatException(
            where
                + ": "
                + what
                + ": external data length "
                + length
                + " does not match its shape ("
                + bytes
                + " bytes)");
      }
      try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
        if (offset + bytes > ch.size()) {
          throw new ModelFormatException(
              where
                  + ": "
                  + what
                  + ": external data "
                  + location
                  + " is too short (needs "
                  + (offset + bytes)
                  + " bytes, has "
                  + ch.size()
                  + ")");
        }
        ByteBuffer buf = ByteBuffer.allocate((int) bytes);
        while (buf.hasRemaining()) {
          if (ch.read(buf, offset + buf.position()) < 0) {
            throw new ModelFormatException(where + ": " + what + ": external data ended early");
          }
        }
        return buf.array();
      } catch (IOException e) {
        throw new BnfoldIOException(
            where + ": " + what + ": cannot read external data " + location + ": " + e.getMessage(),
            e);
      }
    }
  }
}
