package dev.bnfold.cli;

import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.zip.CRC32;

/**
 * Writes runtime-format files byte by byte, straight from {@code runtime/FORMAT.md}, without the
 * checks of {@code ModelWriter}: tests use it to build files that break one rule at a time.
 *
 * <pre>{@code
 * BfmBytes g = new BfmBytes().str("test").i64(13);
 * g.u32(1).valueInfo("x", 1, 1, 4);           // inputs
 * ...
 * byte[] file = g.file(data);                 // header + graph section + padding + data
 * }</pre>
 */
final class BfmBytes {
  private final ByteArrayOutputStream graph = new ByteArrayOutputStream();

  BfmBytes u8(int v) {
    graph.write(v);
    return this;
  }

  BfmBytes u32(long v) {
    return put(ByteBuffer.allocate(4).order(ByteOrder.LITTLE_ENDIAN).putInt((int) v).array());
  }

  BfmBytes i64(long v) {
    return put(ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putLong(v).array());
  }

  BfmBytes str(String s) {
    byte[] b = s.getBytes(StandardCharsets.UTF_8);
    return u32(b.length).put(b);
  }

  BfmBytes put(byte[] b) {
    graph.write(b, 0, b.length);
    return this;
  }

  /** A ValueInfo with fixed dims (rank -1 when {@code dims} is null). */
  BfmBytes valueInfo(String name, int dtype, long... dims) {
    str(name).u8(dtype);
    if (dims == null) {
      return u32(-1);
    }
    u32(dims.length);
    for (long d : dims) {
      i64(d).str("");
    }
    return this;
  }

  /** A FLOAT32 constant. */
  BfmBytes constant(String name, long[] dims, long offset, long byteLength) {
    str(name).u8(1).u32(dims.length);
    for (long d : dims) {
      i64(d);
    }
    return i64(offset).i64(byteLength);
  }

  /** A node without attributes. */
  BfmBytes node(String name, String op, String[] inputs, String... outputs) {
    str(name).str(op).u32(inputs.length);
    for (String s : inputs) {
      str(s);
    }
    u32(outputs.length);
    for (String s : outputs) {
      str(s);
    }
    return u32(0);
  }

  /** The whole file: header (with the right lengths and CRC), graph section, padding, data. */
  byte[] file(byte[] data) {
    byte[] meta = graph.toByteArray();
    long dataOffset = (64 + meta.length + 63) / 64 * 64;
    long fileLength = dataOffset + data.length;
    CRC32 crc = new CRC32();
    crc.update(meta);
    ByteBuffer b = ByteBuffer.allocate((int) fileLength).order(ByteOrder.LITTLE_ENDIAN);
    b.put(new byte[] {(byte) 0x89, 'B', 'N', 'F', 'O', 'L', 'D', '\n'});
    b.putShort((short) 1).putShort((short) 0).putInt(0);
    b.putLong(fileLength).putLong(64).putLong(meta.length).putLong(dataOffset);
    b.putLong(data.length).putInt((int) crc.getValue()).putInt(0);
    b.put(meta);
    b.position((int) dataOffset);
    b.put(data);
    return b.array();
  }

  /**
   * A small valid model: input x [1, 4], constant w [4], y = Add(x, w). The {@code variant} hooks
   * let a case replace one part.
   */
  static byte[] addModel(Variant v) {
    BfmBytes g = new BfmBytes().str("bad-input-table").i64(13);
    g.u32(1).valueInfo("x", 1, 1, 4);
    g.u32(1).valueInfo(v.output, 1, (long[]) null);
    g.u32(1).constant("w", v.constantDims, v.constantOffset, v.constantBytes);
    g.u32(v.nodes.length);
    for (String[] n : v.nodes) {
      g.node(n[0], n[1], new String[] {n[2], n[3]}, n[4]);
    }
    return g.file(new byte[64]);
  }

  /** The parts of {@link #addModel} a case may change. */
  static final class Variant {
    String output = "y";
    long[] constantDims = {4};
    long constantOffset = 0;
    long constantBytes = 16;

    /** name, op, input 0, input 1, output. */
    String[][] nodes = {{"add", "Add", "x", "w", "y"}};
  }
}
