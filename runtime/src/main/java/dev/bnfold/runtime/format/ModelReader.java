package dev.bnfold.runtime.format;

import dev.bnfold.runtime.BnfoldIOException;
import dev.bnfold.runtime.DType;
import dev.bnfold.runtime.ModelFormatException;
import dev.bnfold.runtime.ValueInfo;
import dev.bnfold.runtime.kernels.PanelLayout;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.CharBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CharsetDecoder;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.zip.CRC32;

/**
 * Reads a bnfold model file (see {@code runtime/FORMAT.md}). Every count, offset, length, shape and
 * size is checked against the file length and the {@link Limits} before anything is allocated, so a
 * truncated or hostile file fails fast with a {@link ModelFormatException} naming the problem.
 * Reads format versions 2.x and 1.x. Each constant's data is copied once, in bulk, into the array
 * the runtime uses, in the layout the file stores it in (row-major or GEMM panels).
 */
public final class ModelReader {
  /** Caps applied while reading, on top of the checks against the file length. */
  public static final class Limits {
    /** Defaults: 2^28 elements per tensor, 2 GiB of weights, 100 000 nodes. */
    public static final Limits DEFAULT = new Limits(1L << 28, Integer.MAX_VALUE, 100_000);

    final long maxTensorElements;
    final long maxWeightBytes;
    final int maxNodes;

    /**
     * Creates limits.
     *
     * @param maxTensorElements largest number of elements in one constant
     * @param maxWeightBytes largest total size of all constants in bytes
     * @param maxNodes largest node count
     */
    public Limits(long maxTensorElements, long maxWeightBytes, int maxNodes) {
      this.maxTensorElements = Math.min(maxTensorElements, Integer.MAX_VALUE - 8);
      this.maxWeightBytes = maxWeightBytes;
      this.maxNodes = maxNodes;
    }
  }

  private final ByteBuffer buf;
  private final String source;
  private final Limits limits;
  private final CharsetDecoder utf8 =
      StandardCharsets.UTF_8
          .newDecoder()
          .onMalformedInput(CodingErrorAction.REPORT)
          .onUnmappableCharacter(CodingErrorAction.REPORT);
  private final byte[] ascii = new byte[256];
  private int end;
  private String where = "header";

  private ModelReader(ByteBuffer buf, String source, Limits limits) {
    this.buf = buf.duplicate().order(ByteOrder.LITTLE_ENDIAN);
    this.buf.position(0);
    this.source = source;
    this.limits = limits;
  }

  /** True if {@code bytes} starts with the bnfold magic. */
  public static boolean hasMagic(byte[] bytes) {
    return bytes.length >= Format.MAGIC.length
        && Arrays.equals(Arrays.copyOf(bytes, Format.MAGIC.length), Format.MAGIC);
  }

  /**
   * Reads a model from a buffer holding exactly the file (position 0 to limit).
   *
   * @param source name of the file or stream, used in messages
   */
  public static ModelFile read(ByteBuffer bytes, String source, Limits limits) {
    return new ModelReader(bytes.slice(), source, limits).readModel();
  }

  /** Reads a model from bytes. */
  public static ModelFile read(byte[] bytes, String source, Limits limits) {
    return read(ByteBuffer.wrap(bytes), source, limits);
  }

  /** Memory-maps and reads a model file; constants are copied out of the mapping. */
  public static ModelFile read(Path path, Limits limits) {
    try (FileChannel ch = FileChannel.open(path, StandardOpenOption.READ)) {
      long size = ch.size();
      if (size > Integer.MAX_VALUE) {
        throw new ModelFormatException(
            path + ": file is " + size + " bytes; this reader supports up to 2 GiB");
      }
      ByteBuffer map = ch.map(FileChannel.MapMode.READ_ONLY, 0, size);
      return read(map, path.toString(), limits);
    } catch (IOException e) {
      throw new BnfoldIOException("cannot read model " + path + ": " + e.getMessage(), e);
    }
  }

  /**
   * Reads a model from a stream (not closed), refusing streams longer than the weight cap plus 64
   * MiB of graph.
   */
  public static ModelFile read(InputStream in, String source, Limits limits) {
    long cap = Math.min((long) Integer.MAX_VALUE - 8, limits.maxWeightBytes + (64L << 20));
    try {
      byte[] bytes = in.readNBytes((int) Math.min(cap + 1, Integer.MAX_VALUE - 8));
      if (bytes.length > cap) {
        throw new ModelFormatException(source + ": stream is longer than " + cap + " bytes");
      }
      return read(bytes, source, limits);
    } catch (IOException e) {
      throw new BnfoldIOException("cannot read model " + source + ": " + e.getMessage(), e);
    }
  }

  private ModelFormatException fail(String what) {
    return new ModelFormatException(source + ": " + what + " (in " + where + ")");
  }

  private ModelFile readModel() {
    long fileLen = buf.limit();
    if (fileLen < Format.MAGIC.length) {
      throw fail("not a bnfold model: " + fileLen + " bytes, too short for the magic");
    }
    byte[] magic = new byte[Format.MAGIC.length];
    buf.get(magic);
    if (!Arrays.equals(magic, Format.MAGIC)) {
      throw fail("not a bnfold model: bad magic bytes " + hex(magic));
    }
    if (fileLen < Format.HEADER_BYTES) {
      throw fail("truncated: " + fileLen + " bytes, header needs " + Format.HEADER_BYTES);
    }
    int major = Short.toUnsignedInt(buf.getShort());
    int minor = Short.toUnsignedInt(buf.getShort());
    if (major != Format.MAJOR && major != 1) {
      throw fail(
          "unsupported format version "
              + major
              + "."
              + minor
              + "; this reader reads 1.x and 2.x files");
    }
    int flags = buf.getInt();
    if (flags != 0) {
      throw fail("unknown header flags 0x" + Integer.toHexString(flags));
    }
    long declaredLen = buf.getLong();
    long metaOff = buf.getLong();
    long metaLen = buf.getLong();
    long dataOff = buf.getLong();
    long dataLen = buf.getLong();
    int crc = buf.getInt();
    if (declaredLen != fileLen) {
      throw fail(
          "file is "
              + fileLen
              + " bytes but the header declares "
              + declaredLen
              + (fileLen < declaredLen ? " (truncated)" : ""));
    }
    if (metaOff != Format.HEADER_BYTES || metaLen < 0 || metaLen > fileLen - metaOff) {
      throw fail("graph section [" + metaOff + ", +" + metaLen + ") is outside the file");
    }
    if (dataOff < metaOff + metaLen
        || dataOff % Format.ALIGN != 0
        || dataLen < 0
        || dataOff > fileLen
        || dataLen > fileLen - dataOff) {
      throw fail(
          "data section [" + dataOff + ", +" + dataLen + ") is misplaced or outside the file");
    }
    CRC32 c = new CRC32();
    c.update(buf.duplicate().position((int) metaOff).limit((int) (metaOff + metaLen)));
    if ((int) c.getValue() != crc) {
      throw fail("graph section checksum mismatch (corrupt file)");
    }
    buf.position((int) metaOff);
    end = (int) (metaOff + metaLen);

    where = "graph section";
    String producer = string();
    long opset = i64();
    where = "graph inputs";
    List<ValueInfo> inputs = valueInfos();
    where = "graph outputs";
    List<ValueInfo> outputs = valueInfos();
    where = "constants";
    List<ConstantDef> constants = constants(dataOff, dataLen, major >= 2);
    where = "nodes";
    List<NodeDef> nodes = nodes();
    if (buf.position() != end && minor <= Format.MINOR) {
      throw fail((end - buf.position()) + " unexpected trailing bytes in the graph section");
    }
    where = "graph";
    try {
      return new ModelFile(producer, opset, inputs, outputs, constants, nodes);
    } catch (ModelFormatException e) {
      throw new ModelFormatException(source + ": " + e.getMessage(), e);
    }
  }

  private List<ValueInfo> valueInfos() {
    int n = count(Format.MAX_IO, 9, "value count");
    List<ValueInfo> out = new ArrayList<>(n);
    for (int i = 0; i < n; i++) {
      String name = string();
      DType dtype = dtype("value '" + name + "'");
      int rank = i32();
      if (rank == -1) {
        out.add(ValueInfo.of(name, dtype, null, null));
        continue;
      }
      if (rank < 0 || rank > Format.MAX_RANK) {
        throw fail("value '" + name + "': rank " + rank + " outside [0, " + Format.MAX_RANK + "]");
      }
      need((long) rank * 12, "dims of value '" + name + "'");
      long[] dims = new long[rank];
      String[] names = new String[rank];
      for (int d = 0; d < rank; d++) {
        dims[d] = i64();
        String sym = string();
        if (dims[d] < -1) {
          throw fail("value '" + name + "': negative dimension " + dims[d]);
        }
        names[d] = dims[d] == -1 && !sym.isEmpty() ? sym : null;
      }
      out.add(ValueInfo.of(name, dtype, dims, names));
    }
    return out;
  }

  private List<ConstantDef> constants(long dataOff, long dataLen, boolean hasLayout) {
    int n = count(Integer.MAX_VALUE, 4 + 1 + 4 + (hasLayout ? 9 : 0) + 16, "constant count");
    List<ConstantDef> out = new ArrayList<>(n);
    long total = 0;
    long[][] ranges = new long[n][];
    for (int i = 0; i < n; i++) {
      String name = string();
      String what = "constant '" + name + "'";
      DType dtype = dtype(what);
      int rank = i32();
      if (rank < 0 || rank > Format.MAX_RANK) {
        throw fail(what + ": rank " + rank + " outside [0, " + Format.MAX_RANK + "]");
      }
      need((long) rank * 8 + (hasLayout ? 9 : 0) + 16, what);
      long[] dims = new long[rank];
      long count = 1;
      for (int d = 0; d < rank; d++) {
        dims[d] = i64();
        if (dims[d] < 0) {
          throw fail(what + ": negative dimension " + dims[d]);
        }
        if (dims[d] != 0 && count > limits.maxTensorElements / dims[d]) {
          throw fail(
              what
                  + ": shape "
                  + Arrays.toString(Arrays.copyOf(dims, d + 1))
                  + "... exceeds the cap of "
                  + limits.maxTensorElements
                  + " elements");
        }
        count *= dims[d];
      }
      PanelLayout layout = hasLayout ? layout(what, dtype, dims) : null;
      long stored = layout == null ? count : layout.packedSize(dims);
      if (stored > limits.maxTensorElements) {
        throw fail(
            what
                + ": "
                + stored
                + " elements in "
                + layout
                + " exceed the cap of "
                + limits.maxTensorElements
                + " elements");
      }
      long off = i64();
      long len = i64();
      long expect = stored * dtype.byteSize();
      if (len != expect) {
        throw fail(
            what
                + ": "
                + len
                + " data bytes, but shape "
                + Arrays.toString(dims)
                + (layout == null ? "" : " in " + layout)
                + " needs "
                + expect);
      }
      if (off < 0 || off % Format.ALIGN != 0 || off > dataLen || len > dataLen - off) {
        throw fail(
            what
                + ": data ["
                + off
                + ", +"
                + len
                + ") is unaligned or past the end of the data section ("
                + dataLen
                + " bytes)");
      }
      total += len;
      if (total > limits.maxWeightBytes) {
        throw fail("constants exceed the cap of " + limits.maxWeightBytes + " bytes");
      }
      ranges[i] = new long[] {off, len, i};
      ByteBuffer data =
          buf.duplicate()
              .position((int) (dataOff + off))
              .limit((int) (dataOff + off + len))
              .slice()
              .order(ByteOrder.LITTLE_ENDIAN);
      if (dtype == DType.FLOAT32) {
        float[] f = new float[(int) stored];
        data.asFloatBuffer().get(f); // one bulk copy, whatever the layout
        out.add(
            layout == null
                ? ConstantDef.ofFloats(name, dims, f)
                : ConstantDef.ofPacked(name, dims, layout, f));
      } else {
        long[] l = new long[(int) count];
        data.asLongBuffer().get(l);
        out.add(ConstantDef.ofLongs(name, dims, l));
      }
    }
    Arrays.sort(ranges, (a, b) -> Long.compare(a[0], b[0]));
    for (int i = 1; i < n; i++) {
      if (ranges[i - 1][0] + ranges[i - 1][1] > ranges[i][0]) {
        throw fail(
            "data of constants '"
                + out.get((int) ranges[i - 1][2]).name()
                + "' and '"
                + out.get((int) ranges[i][2]).name()
                + "' overlap");
      }
    }
    return out;
  }

  /**
   * Reads a constant's layout field (version 2: u8 code, u32 groups, u32 width); null for
   * row-major. The dims are already checked (non-negative, product within the element cap).
   */
  private PanelLayout layout(String what, DType dtype, long[] dims) {
    int code = u8();
    long groups = Integer.toUnsignedLong(i32());
    long width = Integer.toUnsignedLong(i32());
    if (code == Format.LAYOUT_ROW_MAJOR) {
      if (groups != 0 || width != 0) {
        throw fail(what + ": row-major layout with groups " + groups + ", width " + width);
      }
      return null;
    }
    if (code != Format.LAYOUT_ROW_PANELS && code != Format.LAYOUT_TRANSPOSED_ROW_PANELS) {
      throw fail(what + ": unknown layout code " + code);
    }
    if (dtype != DType.FLOAT32) {
      throw fail(what + ": a panel layout needs FLOAT32 data, not " + dtype);
    }
    PanelLayout layout = PanelLayout.of(groups, width, code == Format.LAYOUT_TRANSPOSED_ROW_PANELS);
    if (layout == null) {
      throw fail(
          what
              + ": bad panel layout (code "
              + code
              + ", groups "
              + groups
              + ", width "
              + width
              + "; width must be 1.."
              + PanelLayout.MAX_WIDTH
              + ", groups >= 1, and 1 when transposed)");
    }
    String misfit = layout.misfit(dims);
    if (misfit != null) {
      throw fail(what + ": " + misfit);
    }
    return layout;
  }

  private List<NodeDef> nodes() {
    int n = count(limits.maxNodes, 4 * 5, "node count");
    List<NodeDef> out = new ArrayList<>(n);
    for (int i = 0; i < n; i++) {
      where = "node #" + i;
      String name = string();
      String op = string();
      where = "node #" + i + " '" + name + "' (" + op + ")";
      List<String> ins = strings();
      List<String> outs = strings();
      int na = count(Format.MAX_ATTRIBUTES, 4 + 1 + 4, "attribute count");
      List<Attribute> attrs = new ArrayList<>(na);
      for (int a = 0; a < na; a++) {
        String an = string();
        int code = u8();
        Attribute.Type t = Attribute.Type.fromCode(code);
        if (t == null) {
          throw fail("attribute '" + an + "': unknown attribute type " + code);
        }
        switch (t) {
          case INT:
            attrs.add(Attribute.of(an, i64()));
            break;
          case FLOAT:
            attrs.add(Attribute.of(an, f32()));
            break;
          case INTS:
            {
              int k = count(Integer.MAX_VALUE, 8, "length of attribute '" + an + "'");
              long[] v = new long[k];
              for (int j = 0; j < k; j++) {
                v[j] = i64();
              }
              attrs.add(Attribute.ofInts(an, v));
              break;
            }
          case FLOATS:
            {
              int k = count(Integer.MAX_VALUE, 4, "length of attribute '" + an + "'");
              float[] v = new float[k];
              for (int j = 0; j < k; j++) {
                v[j] = f32();
              }
              attrs.add(Attribute.ofFloats(an, v));
              break;
            }
          default:
            attrs.add(Attribute.of(an, string()));
        }
      }
      try {
        out.add(new NodeDef(name, op, ins, outs, attrs));
      } catch (IllegalArgumentException e) {
        throw fail(e.getMessage());
      }
    }
    return out;
  }

  private List<String> strings() {
    int n = count(Format.MAX_NODE_IO, 4, "name count");
    List<String> out = new ArrayList<>(n);
    for (int i = 0; i < n; i++) {
      out.add(string());
    }
    return out;
  }

  /** Reads a u32 count and checks it against a cap and the bytes left (minBytes per entry). */
  private int count(int cap, int minBytesPerEntry, String what) {
    long n = Integer.toUnsignedLong(i32());
    if (n > cap) {
      throw fail(what + " " + n + " exceeds the cap of " + cap);
    }
    if (n * minBytesPerEntry > end - buf.position()) {
      throw fail(
          what
              + " "
              + n
              + " needs at least "
              + n * minBytesPerEntry
              + " bytes, only "
              + (end - buf.position())
              + " left (truncated or corrupt)");
    }
    return (int) n;
  }

  private DType dtype(String what) {
    int code = u8();
    DType t = DType.fromCode(code);
    if (t == null) {
      throw fail(what + ": unsupported data type code " + code);
    }
    return t;
  }

  private String string() {
    int len = i32();
    if (len < 0 || len > Format.MAX_STRING_BYTES) {
      throw fail("string length " + Integer.toUnsignedString(len) + " exceeds 1 MiB");
    }
    need(len, "string");
    if (len <= ascii.length) { // the common case, names of a few ASCII characters: no decoder
      buf.get(ascii, 0, len);
      boolean plain = true;
      for (int i = 0; i < len && plain; i++) {
        plain = ascii[i] >= 0;
      }
      if (plain) {
        return new String(ascii, 0, len, StandardCharsets.ISO_8859_1);
      }
      buf.position(buf.position() - len);
    }
    ByteBuffer b = buf.duplicate().limit(buf.position() + len);
    buf.position(buf.position() + len);
    try {
      CharBuffer cb = utf8.reset().decode(b);
      return cb.toString();
    } catch (CharacterCodingException e) {
      throw fail("string is not valid UTF-8");
    }
  }

  private void need(long bytes, String what) {
    if (bytes > end - buf.position()) {
      throw fail(
          "truncated: "
              + what
              + " needs "
              + bytes
              + " bytes, only "
              + (end - buf.position())
              + " left");
    }
  }

  private int u8() {
    need(1, "byte");
    return Byte.toUnsignedInt(buf.get());
  }

  private int i32() {
    need(4, "u32");
    return buf.getInt();
  }

  private long i64() {
    need(8, "i64");
    return buf.getLong();
  }

  private float f32() {
    need(4, "f32");
    return buf.getFloat();
  }

  private static String hex(byte[] b) {
    StringBuilder sb = new StringBuilder();
    for (byte x : b) {
      sb.append(String.format("%02x", x));
    }
    return sb.toString();
  }
}
