package dev.bnfold.runtime.format;

import dev.bnfold.runtime.BnfoldIOException;
import dev.bnfold.runtime.DType;
import dev.bnfold.runtime.ModelFormatException;
import dev.bnfold.runtime.ValueInfo;
import dev.bnfold.runtime.kernels.PanelLayout;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.zip.CRC32;

/**
 * Builds a bnfold model file. The converter maps its graph onto these calls; this class is the one
 * place that knows the byte layout (see {@code runtime/FORMAT.md}).
 *
 * <pre>{@code
 * byte[] bytes = new ModelWriter()
 *     .producer("bnfold-converter 0.1.0").opset(13)
 *     .addInput("x", DType.FLOAT32, new long[] {-1, 3, 8, 8}, new String[] {"N", null, null, null})
 *     .addConstant("w", new long[] {4, 3, 3, 3}, weights)
 *     .addNode("Conv", "conv0", List.of("x", "w", ""), List.of("y"), Attribute.ofInts("pads", 1, 1, 1, 1))
 *     .addOutput("y", DType.FLOAT32)
 *     .toByteArray();
 * }</pre>
 *
 * Data arrays given to {@code addConstant} are not copied; do not modify them before writing.
 */
public final class ModelWriter {
  private String producer = "";
  private long opset;
  private final List<ValueInfo> inputs = new ArrayList<>();
  private final List<ValueInfo> outputs = new ArrayList<>();
  private final List<ConstantDef> constants = new ArrayList<>();
  private final List<NodeDef> nodes = new ArrayList<>();
  private int major = Format.MAJOR;

  /** Creates an empty writer. */
  public ModelWriter() {}

  /** Creates a writer holding everything in {@code model}, e.g. to edit and rewrite it. */
  public static ModelWriter from(ModelFile model) {
    ModelWriter w = new ModelWriter().producer(model.producer()).opset(model.opset());
    w.inputs.addAll(model.inputs());
    w.outputs.addAll(model.outputs());
    w.constants.addAll(model.constants());
    w.nodes.addAll(model.nodes());
    return w;
  }

  /** Sets the free-form producer string. */
  public ModelWriter producer(String producer) {
    this.producer = producer;
    return this;
  }

  /** Sets the default-domain opset of the source model (informational). */
  public ModelWriter opset(long opset) {
    this.opset = opset;
    return this;
  }

  /** Adds a graph input; see {@link ValueInfo#of(String, DType, long[], String[])}. */
  public ModelWriter addInput(String name, DType dtype, long[] dims, String[] dimNames) {
    inputs.add(ValueInfo.of(name, dtype, dims, dimNames));
    return this;
  }

  /** Adds a graph input with fixed dimensions. */
  public ModelWriter addInput(String name, DType dtype, long... dims) {
    return addInput(name, dtype, dims, null);
  }

  /** Adds a graph output with a declared shape ({@code dims} null = unknown). */
  public ModelWriter addOutput(String name, DType dtype, long[] dims, String[] dimNames) {
    outputs.add(ValueInfo.of(name, dtype, dims, dimNames));
    return this;
  }

  /** Adds a graph output whose shape is left to the runtime's inference. */
  public ModelWriter addOutput(String name, DType dtype) {
    return addOutput(name, dtype, null, null);
  }

  /** Adds a FLOAT32 constant; {@code data.length} must equal the product of {@code dims}. */
  public ModelWriter addConstant(String name, long[] dims, float[] data) {
    constants.add(ConstantDef.ofFloats(name, dims, data));
    return this;
  }

  /** Adds an INT64 constant; {@code data.length} must equal the product of {@code dims}. */
  public ModelWriter addConstant(String name, long[] dims, long[] data) {
    constants.add(ConstantDef.ofLongs(name, dims, data));
    return this;
  }

  /**
   * Stores the FLOAT32 constant {@code name} in {@code layout} (null = row-major), e.g. in the
   * panels of the GEMM kernel that will run it, so that the runtime loads it with one bulk copy.
   * The data is repacked here; the values the model computes do not change.
   *
   * @throws IllegalArgumentException if there is no such FLOAT32 constant or the layout does not
   *     fit its shape
   */
  public ModelWriter storeAs(String name, PanelLayout layout) {
    for (int i = 0; i < constants.size(); i++) {
      if (constants.get(i).name().equals(name)) {
        constants.set(i, constants.get(i).storedAs(layout));
        return this;
      }
    }
    throw new IllegalArgumentException("no constant '" + name + "'");
  }

  /** Writes format version 1 (no layout field, row-major constants only); for tests. */
  ModelWriter version1() {
    this.major = 1;
    return this;
  }

  /**
   * Appends a node; nodes must be added in topological order.
   *
   * @param opType ONNX op name, or {@code ChannelAffine}
   * @param name node name from the source model
   * @param inputs input value names, "" for an absent optional input
   * @param outputs output value names
   * @param attributes typed attributes
   */
  public ModelWriter addNode(
      String opType,
      String name,
      List<String> inputs,
      List<String> outputs,
      List<Attribute> attributes) {
    nodes.add(new NodeDef(name, opType, inputs, outputs, attributes));
    return this;
  }

  /** Same as {@link #addNode(String, String, List, List, List)} with varargs attributes. */
  public ModelWriter addNode(
      String opType,
      String name,
      List<String> inputs,
      List<String> outputs,
      Attribute... attributes) {
    return addNode(opType, name, inputs, outputs, Arrays.asList(attributes));
  }

  /**
   * Checks the model's structure and returns it.
   *
   * @throws ModelFormatException if names are duplicated or nodes are out of order
   */
  public ModelFile build() {
    return new ModelFile(producer, opset, inputs, outputs, constants, nodes);
  }

  /** Writes the model to {@code out} (not closed). */
  public void writeTo(OutputStream out) throws IOException {
    ModelFile model = build();
    if (major == 1 && model.constants().stream().anyMatch(c -> c.layout() != null)) {
      throw new IllegalStateException("format version 1 holds row-major constants only");
    }
    byte[] meta = meta(model);
    long metaEnd = Format.HEADER_BYTES + (long) meta.length;
    long dataStart = Format.align(metaEnd);
    long[] offsets = new long[model.constants().size()];
    long dataLen = 0;
    for (int i = 0; i < offsets.length; i++) {
      offsets[i] = dataLen;
      dataLen = Format.align(dataLen + model.constants().get(i).byteSize());
    }
    // Rewrite the meta with the final offsets (same length: fixed-size fields).
    meta = metaWithOffsets(model, offsets);
    CRC32 crc = new CRC32();
    crc.update(meta);
    ByteBuffer h = ByteBuffer.allocate(Format.HEADER_BYTES).order(ByteOrder.LITTLE_ENDIAN);
    h.put(Format.MAGIC);
    h.putShort((short) major).putShort((short) Format.MINOR).putInt(0);
    h.putLong(dataStart + dataLen);
    h.putLong(Format.HEADER_BYTES).putLong(meta.length);
    h.putLong(dataStart).putLong(dataLen);
    h.putInt((int) crc.getValue()).putInt(0);
    out.write(h.array());
    out.write(meta);
    out.write(new byte[(int) (dataStart - metaEnd)]);
    long pos = 0;
    byte[] chunk = new byte[1 << 16];
    ByteBuffer bb = ByteBuffer.wrap(chunk).order(ByteOrder.LITTLE_ENDIAN);
    for (int i = 0; i < offsets.length; i++) {
      ConstantDef c = model.constants().get(i);
      float[] f = c.stored(); // as stored: row-major or packed panels
      long[] l = c.longs();
      int n = f != null ? f.length : l.length;
      int per = chunk.length / c.dtype().byteSize();
      for (int k = 0; k < n; k += per) {
        int len = Math.min(per, n - k);
        bb.clear();
        if (f != null) {
          bb.asFloatBuffer().put(f, k, len);
        } else {
          bb.asLongBuffer().put(l, k, len);
        }
        out.write(chunk, 0, len * c.dtype().byteSize());
      }
      pos = offsets[i] + c.byteSize();
      long next = i + 1 < offsets.length ? offsets[i + 1] : dataLen;
      out.write(new byte[(int) (next - pos)]);
    }
    out.flush();
  }

  /** Writes the model to a file. */
  public void writeTo(Path path) {
    try (OutputStream out = new java.io.BufferedOutputStream(Files.newOutputStream(path))) {
      writeTo(out);
    } catch (IOException e) {
      throw new BnfoldIOException("cannot write model " + path + ": " + e.getMessage(), e);
    }
  }

  /** The model as bytes. */
  public byte[] toByteArray() {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    try {
      writeTo(out);
    } catch (IOException e) {
      throw new AssertionError(e);
    }
    return out.toByteArray();
  }

  private byte[] meta(ModelFile model) {
    return metaWithOffsets(model, new long[model.constants().size()]);
  }

  private byte[] metaWithOffsets(ModelFile model, long[] offsets) {
    Out o = new Out();
    o.string(model.producer());
    o.i64(model.opset());
    o.u32(model.inputs().size());
    for (ValueInfo v : model.inputs()) {
      valueInfo(o, v);
    }
    o.u32(model.outputs().size());
    for (ValueInfo v : model.outputs()) {
      valueInfo(o, v);
    }
    o.u32(model.constants().size());
    for (int i = 0; i < offsets.length; i++) {
      ConstantDef c = model.constants().get(i);
      o.string(c.name());
      o.u8(c.dtype().code());
      long[] shape = c.shape();
      o.u32(shape.length);
      for (long d : shape) {
        o.i64(d);
      }
      if (major >= 2) {
        PanelLayout l = c.layout();
        o.u8(
            l == null
                ? Format.LAYOUT_ROW_MAJOR
                : l.transposed() ? Format.LAYOUT_TRANSPOSED_ROW_PANELS : Format.LAYOUT_ROW_PANELS);
        o.u32(l == null ? 0 : l.groups());
        o.u32(l == null ? 0 : l.width());
      }
      o.i64(offsets[i]);
      o.i64(c.byteSize());
    }
    o.u32(model.nodes().size());
    for (NodeDef n : model.nodes()) {
      o.string(n.name());
      o.string(n.opType());
      o.u32(n.inputs().size());
      n.inputs().forEach(o::string);
      o.u32(n.outputs().size());
      n.outputs().forEach(o::string);
      o.u32(n.attributes().size());
      for (Attribute a : n.attributes().values()) {
        o.string(a.name());
        o.u8(a.type().code());
        switch (a.type()) {
          case INT:
            o.i64(a.intValue());
            break;
          case FLOAT:
            o.f32(a.floatValue());
            break;
          case INTS:
            long[] is = a.ints();
            o.u32(is.length);
            for (long x : is) {
              o.i64(x);
            }
            break;
          case FLOATS:
            float[] fs = a.floats();
            o.u32(fs.length);
            for (float x : fs) {
              o.f32(x);
            }
            break;
          default:
            o.string(a.stringValue());
        }
      }
    }
    return o.bytes();
  }

  private static void valueInfo(Out o, ValueInfo v) {
    o.string(v.name());
    o.u8(v.dtype().code());
    long[] shape = v.shape();
    if (shape == null) {
      o.u32(-1);
      return;
    }
    String[] names = v.dimNames();
    o.u32(shape.length);
    for (int i = 0; i < shape.length; i++) {
      o.i64(shape[i]);
      o.string(shape[i] < 0 && names[i] != null ? names[i] : "");
    }
  }

  /** Little-endian byte sink. */
  private static final class Out {
    private final ByteArrayOutputStream buf = new ByteArrayOutputStream();
    private final ByteBuffer scratch = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN);

    void u8(int v) {
      buf.write(v);
    }

    void u32(int v) {
      scratch.clear();
      buf.write(scratch.putInt(v).array(), 0, 4);
    }

    void i64(long v) {
      scratch.clear();
      buf.write(scratch.putLong(v).array(), 0, 8);
    }

    void f32(float v) {
      scratch.clear();
      buf.write(scratch.putFloat(v).array(), 0, 4);
    }

    void string(String s) {
      byte[] b = s.getBytes(StandardCharsets.UTF_8);
      if (b.length > Format.MAX_STRING_BYTES) {
        throw new ModelFormatException("string longer than 1 MiB: " + s.substring(0, 40) + "...");
      }
      u32(b.length);
      buf.write(b, 0, b.length);
    }

    byte[] bytes() {
      return buf.toByteArray();
    }
  }
}
