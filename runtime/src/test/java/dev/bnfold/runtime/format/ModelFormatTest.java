package dev.bnfold.runtime.format;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.bnfold.runtime.DType;
import dev.bnfold.runtime.Model;
import dev.bnfold.runtime.ModelFormatException;
import dev.bnfold.runtime.Options;
import dev.bnfold.runtime.Tensor;
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

  // ---- helpers that write the format from FORMAT.md directly ----

  /** Builds a complete file around a graph section and a data section, with a valid CRC. */
  static byte[] assemble(byte[] meta, byte[] data) {
    long dataOff = (64 + meta.length + 63) / 64 * 64;
    ByteBuffer b =
        ByteBuffer.allocate((int) (dataOff + data.length)).order(ByteOrder.LITTLE_ENDIAN);
    b.put(new byte[] {(byte) 0x89, 'B', 'N', 'F', 'O', 'L', 'D', '\n'});
    b.putShort((short) 1).putShort((short) 0).putInt(0);
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
