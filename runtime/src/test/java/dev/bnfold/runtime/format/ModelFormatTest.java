package dev.bnfold.runtime.format;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.bnfold.runtime.DType;
import dev.bnfold.runtime.Model;
import dev.bnfold.runtime.ModelFormatException;
import dev.bnfold.runtime.Options;
import dev.bnfold.runtime.Tensor;
import dev.bnfold.runtime.kernels.PanelLayout;
import java.io.ByteArrayInputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.zip.CRC32;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Round trips through the writer and reader, and hostile files that must fail fast and cleanly. */
class ModelFormatTest {
  private static final ModelReader.Limits LIMITS = ModelReader.Limits.DEFAULT;

  /** y = Relu(Conv(x, w, b)) + a Reshape with an int64 shape constant and every attribute type. */
  static ModelWriter sample() {
    float[] w = new float[2 * 3 * 3 * 3];
    for (int i = 0; i < w.length; i++) {
      w[i] = (i % 7 - 3) * 0.1f;
    }
    return new ModelWriter()
        .producer("test")
        .opset(13)
        .addInput(
            "x", DType.FLOAT32, new long[] {-1, 3, 4, 4}, new String[] {"N", null, null, null})
        .addConstant("w", new long[] {2, 3, 3, 3}, w)
        .addConstant("b", new long[] {2}, new float[] {0.5f, -0.5f})
        .addConstant("shape", new long[] {2}, new long[] {0, -1})
        .addNode(
            "Conv",
            "conv0",
            List.of("x", "w", "b"),
            List.of("c"),
            Attribute.ofInts("pads", 1, 1, 1, 1),
            Attribute.of("auto_pad", "NOTSET"),
            Attribute.of("group", 1L))
        .addNode("LeakyRelu", "act0", List.of("c"), List.of("r"), Attribute.of("alpha", 0.1f))
        .addNode("Reshape", "flat", List.of("r", "shape"), List.of("y"))
        .addOutput("y", DType.FLOAT32);
  }

  @Test
  void roundTripPreservesEverything() {
    ModelWriter w = sample();
    byte[] bytes = w.toByteArray();
    assertTrue(ModelReader.hasMagic(bytes));
    assertEquals(0, bytes.length % 64, "data section ends aligned");
    ModelFile m = ModelReader.read(bytes, "sample", LIMITS);
    ModelFile orig = w.build();
    assertEquals("test", m.producer());
    assertEquals(13, m.opset());
    assertEquals(orig.inputs(), m.inputs());
    assertEquals("N", m.inputs().get(0).dimNames()[0]);
    assertEquals(orig.nodes().size(), m.nodes().size());
    for (int i = 0; i < m.nodes().size(); i++) {
      assertEquals(orig.nodes().get(i).toString(), m.nodes().get(i).toString());
    }
    for (int i = 0; i < m.constants().size(); i++) {
      ConstantDef a = orig.constants().get(i);
      ConstantDef b = m.constants().get(i);
      assertEquals(a.name(), b.name());
      assertArrayEquals(a.shape(), b.shape());
      if (a.dtype() == DType.FLOAT32) {
        assertArrayEquals(a.floats(), b.floats());
      } else {
        assertArrayEquals(a.longs(), b.longs());
      }
    }
    // Rewriting what was read gives the same bytes.
    assertArrayEquals(bytes, ModelWriter.from(m).toByteArray());
  }

  @Test
  void constantsAre64ByteAligned() {
    byte[] bytes = sample().toByteArray();
    ByteBuffer h = ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN);
    assertEquals(0, h.getLong(40) % 64);
  }

  @Test
  void loadsFromPathStreamAndBytesAndRuns(@TempDir Path dir) throws Exception {
    Path p = dir.resolve("m.bnf");
    sample().writeTo(p);
    float[] x = new float[2 * 3 * 4 * 4];
    for (int i = 0; i < x.length; i++) {
      x[i] = (float) Math.sin(i);
    }
    Tensor in = Tensor.of(x, 2, 3, 4, 4);
    float[] a;
    try (Model m = Model.load(p)) {
      a = m.run(Map.of("x", in)).get("y").floatData();
      assertArrayEquals(new long[] {2, 32}, m.run(Map.of("x", in)).get("y").shape());
    }
    try (Model m =
        Model.load(new ByteArrayInputStream(Files.readAllBytes(p)), "s", Options.defaults())) {
      assertArrayEquals(a, m.run(Map.of("x", in)).get("y").floatData());
    }
    try (Model m = Model.load(Files.readAllBytes(p), "b", Options.defaults())) {
      assertArrayEquals(a, m.run(Map.of("x", in)).get("y").floatData());
    }
  }

  // ---- hostile files ----

  private static void assertRejected(byte[] bytes, String expectInMessage) {
    ModelFormatException e =
        assertTimeoutPreemptively(
            Duration.ofSeconds(1),
            () ->
                assertThrows(
                    ModelFormatException.class, () -> ModelReader.read(bytes, "evil", LIMITS)));
    if (expectInMessage != null) {
      assertTrue(
          e.getMessage().contains(expectInMessage),
          () -> "message '" + e.getMessage() + "' should mention '" + expectInMessage + "'");
    }
  }

  @Test
  void truncatedAtEveryLengthIsRejected() {
    byte[] bytes = sample().toByteArray();
    for (int len = 0; len < bytes.length; len++) {
      byte[] cut = java.util.Arrays.copyOf(bytes, len);
      assertTimeoutPreemptively(
          Duration.ofSeconds(1),
          () ->
              assertThrows(ModelFormatException.class, () -> ModelReader.read(cut, "cut", LIMITS)));
    }
  }

  /**
   * Truncation where the header is patched to match, so the graph-section parser itself sees it.
   */
  @Test
  void truncatedGraphSectionAtEveryByteIsRejected() {
    byte[] bytes = sample().toByteArray();
    ByteBuffer h = ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN);
    int metaLen = (int) h.getLong(32);
    for (int len = 0; len < metaLen; len++) {
      byte[] meta = java.util.Arrays.copyOfRange(bytes, 64, 64 + len);
      byte[] f = assemble(meta, new byte[0]);
      assertRejected(f, null);
    }
  }

  @Test
  void badMagicAndVersion() {
    byte[] bytes = sample().toByteArray();
    byte[] magic = bytes.clone();
    magic[1] = 'X';
    assertRejected(magic, "magic");
    byte[] version = bytes.clone();
    version[8] = 3;
    assertRejected(version, "version 3.0");
    assertRejected(new byte[0], "too short");
    assertRejected("PK\u0003\u0004 this is a zip".getBytes(), "magic");
  }

  @Test
  void corruptedGraphSectionFailsTheChecksum() {
    byte[] bytes = sample().toByteArray();
    bytes[70] ^= 0x55;
    assertRejected(bytes, "checksum");
  }

  @Test
  void hugeDeclaredTensorIsRejectedBeforeAllocation() {
    Meta m = new Meta();
    m.header();
    m.u32(0).u32(0).u32(1);
    m.str("w").u8(1).u32(4);
    m.i64(1 << 20).i64(1 << 20).i64(1 << 20).i64(1 << 20);
    m.i64(0).i64(Long.MAX_VALUE);
    m.u32(0);
    assertRejected(assemble(m.bytes(), new byte[0]), "exceeds the cap");
  }

  @Test
  void overflowingShapeProductIsRejected() {
    Meta m = new Meta();
    m.header();
    m.u32(0).u32(0).u32(1);
    m.str("w").u8(1).u32(3);
    m.i64(Long.MAX_VALUE / 2).i64(4).i64(4);
    m.i64(0).i64(16);
    m.u32(0);
    assertRejected(assemble(m.bytes(), new byte[0]), "cap");
  }

  @Test
  void negativeDimensionIsRejected() {
    Meta m = new Meta();
    m.header();
    m.u32(0).u32(0).u32(1);
    m.str("w").u8(1).u32(1).i64(-4).i64(0).i64(0);
    m.u32(0);
    assertRejected(assemble(m.bytes(), new byte[0]), "negative dimension");
  }

  @Test
  void offsetPastEndIsRejected() {
    Meta m = new Meta();
    m.header();
    m.u32(0).u32(0).u32(1);
    m.str("w").u8(1).u32(1).i64(4).i64(1L << 40).i64(16);
    m.u32(0);
    assertRejected(assemble(m.bytes(), new byte[64]), "past the end");
  }

  @Test
  void overlappingConstantsAreRejected() {
    Meta m = new Meta();
    m.header();
    m.u32(0).u32(0).u32(2);
    m.str("a").u8(1).u32(1).i64(4).i64(0).i64(16);
    m.str("b").u8(1).u32(1).i64(4).i64(0).i64(16);
    m.u32(0);
    assertRejected(assemble(m.bytes(), new byte[64]), "overlap");
  }

  @Test
  void hugeCountsAreRejected() {
    Meta m = new Meta();
    m.header();
    m.u32(0xFFFFFFF0);
    assertRejected(assemble(m.bytes(), new byte[0]), "count");
    Meta n = new Meta();
    n.header();
    n.u32(0).u32(0).u32(0).u32(Integer.MAX_VALUE);
    assertRejected(assemble(n.bytes(), new byte[0]), "node count");
    Meta s = new Meta();
    s.u32(0x7FFFFFFF); // producer string length
    assertRejected(assemble(s.bytes(), new byte[0]), "string length");
  }

  @Test
  void danglingReferenceAndDuplicateNamesAreRejected() {
    Meta m = new Meta();
    m.header();
    m.u32(0).u32(0).u32(0).u32(1);
    m.str("n").str("Relu").u32(1).str("nowhere").u32(1).str("y").u32(0);
    assertRejected(assemble(m.bytes(), new byte[0]), "not defined before it");
    assertThrows(
        ModelFormatException.class,
        () ->
            new ModelWriter()
                .addInput("x", DType.FLOAT32, 1)
                .addConstant("x", new long[] {1}, new float[] {1})
                .build());
  }

  @Test
  void badDtypeAndAttributeTypeAreRejected() {
    Meta m = new Meta();
    m.header();
    m.u32(1).str("x").u8(42).u32(0);
    assertRejected(assemble(m.bytes(), new byte[0]), "data type code 42");
    Meta a = new Meta();
    a.header();
    a.u32(1).str("x").u8(1).u32(0).u32(0).u32(0).u32(1);
    a.str("n").str("Relu").u32(1).str("x").u32(1).str("y").u32(1).str("alpha").u8(9);
    assertRejected(assemble(a.bytes(), new byte[0]), "attribute type 9");
  }

  @Test
  void invalidUtf8IsRejected() {
    Meta m = new Meta();
    m.u32(2).u8(0xC3).u8(0x28);
    m.i64(0).u32(0).u32(0).u32(0).u32(0);
    assertRejected(assemble(m.bytes(), new byte[0]), "UTF-8");
  }

  @Test
  void fileLengthMismatchIsRejected() {
    byte[] bytes = sample().toByteArray();
    byte[] longer = java.util.Arrays.copyOf(bytes, bytes.length + 64);
    assertRejected(longer, "declares");
  }

  // ---- panel layouts (format 2) ----

  private static float[] sampleInput() {
    float[] x = new float[2 * 3 * 4 * 4];
    for (int i = 0; i < x.length; i++) {
      x[i] = (float) Math.sin(i);
    }
    return x;
  }

  private static float[] runSample(byte[] bytes) {
    try (Model m = Model.load(bytes, "sample", Options.defaults())) {
      return m.run(Map.of("x", Tensor.of(sampleInput(), 2, 3, 4, 4))).get("y").floatData();
    }
  }

  @Test
  void packedConstantsRoundTripAndRunTheSame() {
    PanelLayout layout = PanelLayout.rows(1, 4);
    byte[] bytes = sample().storeAs("w", layout).toByteArray();
    assertEquals(2, bytes[8], "major version");
    ModelFile m = ModelReader.read(bytes, "packed", LIMITS);
    ConstantDef orig = sample().build().constants().get(0);
    ConstantDef w = m.constants().get(0);
    assertEquals(layout, w.layout());
    float[] expect = new float[(int) layout.packedSize(orig.shape())];
    layout.pack(expect, orig.floats(), orig.shape());
    assertEquals(4 * 27, expect.length, "2 rows padded to one panel of 4");
    assertArrayEquals(expect, w.stored(), "stored as packed");
    assertArrayEquals(orig.floats(), w.floats(), "unpacked on request");
    assertArrayEquals(orig.shape(), w.shape());
    assertNull(m.constants().get(1).layout());
    assertArrayEquals(bytes, ModelWriter.from(m).toByteArray());
    assertArrayEquals(runSample(sample().toByteArray()), runSample(bytes));
    // storing it row-major again gives the plain file back
    assertArrayEquals(sample().toByteArray(), ModelWriter.from(m).storeAs("w", null).toByteArray());
  }

  @Test
  void version1FilesAreStillRead() {
    byte[] v1 = sample().version1().toByteArray();
    assertEquals(1, v1[8], "major version");
    ModelFile m = ModelReader.read(v1, "v1", LIMITS);
    assertArrayEquals(sample().build().constants().get(0).floats(), m.constants().get(0).floats());
    assertArrayEquals(runSample(sample().toByteArray()), runSample(v1));
    assertThrows(
        IllegalStateException.class,
        () -> sample().storeAs("w", PanelLayout.rows(1, 4)).version1().toByteArray());
  }

  @Test
  void storeAsRejectsUnknownAndMisfittingConstants() {
    assertThrows(
        IllegalArgumentException.class, () -> sample().storeAs("nope", PanelLayout.rows(1, 4)));
    assertThrows(
        IllegalArgumentException.class, () -> sample().storeAs("w", PanelLayout.rows(3, 4)));
    assertThrows(
        IllegalArgumentException.class, () -> sample().storeAs("shape", PanelLayout.rows(1, 4)));
  }

  /** A version-2 file with one constant "w" of the given layout fields, by hand from FORMAT.md. */
  private static byte[] packedFile(
      int dtype, long[] dims, int code, int groups, int width, long len, byte[] data) {
    Meta m = new Meta();
    m.header();
    m.u32(0).u32(0).u32(1);
    m.str("w").u8(dtype).u32(dims.length);
    for (long d : dims) {
      m.i64(d);
    }
    m.u8(code).u32(groups).u32(width);
    m.i64(0).i64(len);
    m.u32(0);
    return assemble(m.bytes(), data, 2);
  }

  @Test
  void handWrittenPanelsReadAsFormatMdSays() {
    // W (2, 3) in row panels of width 4: packed[kk * 4 + r] = W[r, kk], rows 2 and 3 zero
    ByteBuffer d = ByteBuffer.allocate(64).order(ByteOrder.LITTLE_ENDIAN);
    float[][] w = {{1, 2, 3}, {4, 5, 6}};
    for (int kk = 0; kk < 3; kk++) {
      d.putFloat(w[0][kk]).putFloat(w[1][kk]).putFloat(0).putFloat(0);
    }
    ModelFile m =
        ModelReader.read(packedFile(1, new long[] {2, 3}, 1, 1, 4, 48, d.array()), "hand", LIMITS);
    assertEquals(PanelLayout.rows(1, 4), m.constants().get(0).layout());
    assertArrayEquals(new float[] {1, 2, 3, 4, 5, 6}, m.constants().get(0).floats());
    // the same bytes as transposed panels of W' (3, 2): W'[kk, r] = packed[kk * 4 + r]
    m = ModelReader.read(packedFile(1, new long[] {3, 2}, 2, 1, 4, 48, d.array()), "hand", LIMITS);
    assertEquals(PanelLayout.transposedRows(4), m.constants().get(0).layout());
    assertArrayEquals(new float[] {1, 4, 2, 5, 3, 6}, m.constants().get(0).floats());
  }

  @Test
  void badLayoutFieldsAreRejected() {
    long[] dims = {2, 3};
    byte[] data = new byte[64];
    assertRejected(packedFile(1, dims, 3, 1, 4, 48, data), "unknown layout code 3");
    assertRejected(packedFile(1, dims, 0, 1, 0, 24, data), "row-major layout with groups 1");
    assertRejected(packedFile(1, dims, 1, 0, 4, 48, data), "bad panel layout");
    assertRejected(packedFile(1, dims, 1, 1, 0, 48, data), "bad panel layout");
    assertRejected(packedFile(1, dims, 1, 1, 257, 48, data), "bad panel layout");
    assertRejected(packedFile(1, dims, 1, -1, 4, 48, data), "bad panel layout");
    assertRejected(packedFile(1, dims, 2, 2, 4, 48, data), "bad panel layout");
    assertRejected(packedFile(7, dims, 1, 1, 4, 96, data), "FLOAT32");
    assertRejected(packedFile(1, dims, 1, 3, 4, 48, data), "not a multiple of 3");
    assertRejected(packedFile(1, new long[] {2, 3, 1}, 2, 1, 4, 48, data), "rank 2");
    assertRejected(packedFile(1, dims, 1, 1, 4, 24, data), "needs 48");
  }

  @Test
  void hugePaddedPanelsAreRejectedBeforeAllocation() {
    // 2^27 elements fit the cap, but one row of 2^27 padded to a panel of 256 is 256x that
    assertRejected(
        packedFile(1, new long[] {1L << 27, 1}, 2, 1, 256, 1L << 37, new byte[64]),
        "exceed the cap");
    assertRejected(
        packedFile(1, new long[] {1, 1L << 27}, 1, 1, 256, Long.MAX_VALUE, new byte[64]),
        "exceed the cap");
  }

  // ---- helpers that write the format from FORMAT.md directly ----

  /** Builds a complete version-1 file around a graph section and a data section. */
  static byte[] assemble(byte[] meta, byte[] data) {
    return assemble(meta, data, 1);
  }

  /** Builds a complete file around a graph section and a data section, with a valid CRC. */
  static byte[] assemble(byte[] meta, byte[] data, int major) {
    long dataOff = (64 + meta.length + 63) / 64 * 64;
    ByteBuffer b =
        ByteBuffer.allocate((int) (dataOff + data.length)).order(ByteOrder.LITTLE_ENDIAN);
    b.put(new byte[] {(byte) 0x89, 'B', 'N', 'F', 'O', 'L', 'D', '\n'});
    b.putShort((short) major).putShort((short) 0).putInt(0);
    b.putLong(dataOff + data.length).putLong(64).putLong(meta.length);
    b.putLong(dataOff).putLong(data.length);
    CRC32 crc = new CRC32();
    crc.update(meta);
    b.putInt((int) crc.getValue()).putInt(0);
    b.put(meta);
    b.position((int) dataOff);
    b.put(data);
    return b.array();
  }

  /** Little-endian graph-section builder for hand-made hostile files. */
  static final class Meta {
    private final List<Byte> out = new ArrayList<>();

    Meta header() {
      return str("evil").i64(13);
    }

    Meta u8(int v) {
      out.add((byte) v);
      return this;
    }

    Meta u32(int v) {
      for (int i = 0; i < 4; i++) {
        out.add((byte) (v >>> (8 * i)));
      }
      return this;
    }

    Meta i64(long v) {
      for (int i = 0; i < 8; i++) {
        out.add((byte) (v >>> (8 * i)));
      }
      return this;
    }

    Meta str(String s) {
      byte[] b = s.getBytes(java.nio.charset.StandardCharsets.UTF_8);
      u32(b.length);
      for (byte x : b) {
        out.add(x);
      }
      return this;
    }

    byte[] bytes() {
      byte[] b = new byte[out.size()];
      for (int i = 0; i < b.length; i++) {
        b[i] = out.get(i);
      }
      return b;
    }
  }
}
