package dev.bnfold.converter.io;

import dev.bnfold.converter.graph.DataType;
import dev.bnfold.runtime.BnfoldIOException;
import dev.bnfold.runtime.InvalidInputException;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Reads and writes NumPy {@code .npy} files (format versions 1.0 to 3.0) holding little-endian
 * float32, int32 or int64 arrays in C order. Anything else (Fortran order, big-endian, other
 * dtypes, object arrays) is refused with a message naming the file.
 */
public final class Npy {
  private static final byte[] MAGIC = {(byte) 0x93, 'N', 'U', 'M', 'P', 'Y'};
  private static final Pattern DESCR = Pattern.compile("'descr'\\s*:\\s*'([^']*)'");
  private static final Pattern FORTRAN = Pattern.compile("'fortran_order'\\s*:\\s*(True|False)");
  private static final Pattern SHAPE = Pattern.compile("'shape'\\s*:\\s*\\(([^)]*)\\)");

  private Npy() {}

  /** Reads an array from {@code file}. */
  public static NdArray read(Path file) {
    byte[] bytes;
    try {
      bytes = Files.readAllBytes(file);
    } catch (NoSuchFileException e) {
      throw new BnfoldIOException(file + ": no such file");
    } catch (IOException e) {
      throw new BnfoldIOException(file + ": cannot read: " + e.getMessage(), e);
    }
    return parse(bytes, file.toString());
  }

  /** Parses the bytes of a .npy file; {@code where} names it in messages. */
  public static NdArray parse(byte[] bytes, String where) {
    ByteBuffer b = ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN);
    if (bytes.length < 10) {
      throw bad(where, "too short to be a .npy file");
    }
    for (int i = 0; i < MAGIC.length; i++) {
      if (bytes[i] != MAGIC[i]) {
        throw bad(where, "not a .npy file (bad magic)");
      }
    }
    int major = bytes[6] & 0xFF;
    int headerLength;
    int headerStart;
    if (major == 1) {
      headerLength = b.getShort(8) & 0xFFFF;
      headerStart = 10;
    } else if (major == 2 || major == 3) {
      if (bytes.length < 12) {
        throw bad(where, "truncated header");
      }
      headerLength = b.getInt(8);
      headerStart = 12;
    } else {
      throw bad(where, "unsupported .npy format version " + major);
    }
    if (headerLength < 0 || headerStart + (long) headerLength > bytes.length) {
      throw bad(where, "truncated header");
    }
    String header =
        new String(
            bytes,
            headerStart,
            headerLength,
            major == 3 ? StandardCharsets.UTF_8 : StandardCharsets.ISO_8859_1);
    String descr = find(DESCR, header, where, "descr");
    if ("True".equals(find(FORTRAN, header, where, "fortran_order"))) {
      throw bad(where, "Fortran-order arrays are not supported; save with np.ascontiguousarray");
    }
    long[] shape = parseShape(find(SHAPE, header, where, "shape"), where);
    DataType type =
        switch (descr) {
          case "<f4" -> DataType.FLOAT;
          case "<i4" -> DataType.INT32;
          case "<i8" -> DataType.INT64;
          default ->
              throw bad(
                  where,
                  "dtype '"
                      + descr
                      + "' is not supported (use little-endian float32, int32 or int64)");
        };
    long count = 1;
    for (long d : shape) {
      count = Math.multiplyExact(count, d);
    }
    int dataStart = headerStart + headerLength;
    long needed = count * type.byteSize();
    if (bytes.length - dataStart != needed) {
      throw bad(
          where,
          "shape "
              + java.util.Arrays.toString(shape)
              + " needs "
              + needed
              + " data bytes, the file has "
              + (bytes.length - dataStart));
    }
    b.position(dataStart);
    return switch (type) {
      case FLOAT -> {
        float[] f = new float[(int) count];
        b.asFloatBuffer().get(f);
        yield NdArray.ofFloats(shape, f);
      }
      case INT32 -> {
        int[] v = new int[(int) count];
        b.asIntBuffer().get(v);
        yield NdArray.ofInts(shape, v);
      }
      default -> {
        long[] v = new long[(int) count];
        b.asLongBuffer().get(v);
        yield NdArray.ofLongs(shape, v);
      }
    };
  }

  /** Writes {@code array} to {@code file} atomically, as .npy version 1.0. */
  public static void write(Path file, NdArray array) {
    byte[] bytes = toBytes(array);
    AtomicFiles.write(file, out -> out.write(bytes));
  }

  /** The .npy encoding of {@code array}. */
  public static byte[] toBytes(NdArray array) {
    String descr =
        switch (array.type()) {
          case FLOAT -> "<f4";
          case INT32 -> "<i4";
          default -> "<i8";
        };
    long[] shape = array.shape();
    StringBuilder s = new StringBuilder("(");
    for (int i = 0; i < shape.length; i++) {
      s.append(shape[i]).append(shape.length == 1 ? "," : i + 1 < shape.length ? ", " : "");
    }
    s.append(')');
    String dict = "{'descr': '" + descr + "', 'fortran_order': False, 'shape': " + s + ", }";
    // Pad with spaces so that magic + version + length + header (ending in \n) is a multiple of 64.
    int total = 10 + dict.length() + 1;
    int padded = (total + 63) / 64 * 64;
    String header = dict + " ".repeat(padded - total) + "\n";
    int dataBytes = array.elementCount() * array.type().byteSize();
    ByteBuffer b =
        ByteBuffer.allocate(10 + header.length() + dataBytes).order(ByteOrder.LITTLE_ENDIAN);
    b.put(MAGIC).put((byte) 1).put((byte) 0).putShort((short) header.length());
    b.put(header.getBytes(StandardCharsets.ISO_8859_1));
    switch (array.type()) {
      case FLOAT -> b.asFloatBuffer().put(array.floats());
      case INT32 -> b.asIntBuffer().put((int[]) array.data());
      default -> b.asLongBuffer().put((long[]) array.data());
    }
    return b.array();
  }

  private static String find(Pattern p, String header, String where, String key) {
    Matcher m = p.matcher(header);
    if (!m.find()) {
      throw bad(where, "header has no '" + key + "'");
    }
    return m.group(1);
  }

  private static long[] parseShape(String text, String where) {
    List<Long> dims = new ArrayList<>();
    for (String part : text.split(",")) {
      String t = part.trim();
      if (t.isEmpty()) {
        continue;
      }
      t = t.endsWith("L") ? t.substring(0, t.length() - 1) : t;
      try {
        long d = Long.parseLong(t);
        if (d < 0) {
          throw bad(where, "negative dimension " + d);
        }
        dims.add(d);
      } catch (NumberFormatException e) {
        throw bad(where, "bad shape (" + text + ")");
      }
    }
    long count = 1;
    for (long d : dims) {
      if (d != 0 && count > Integer.MAX_VALUE / d) {
        throw bad(where, "shape (" + text + ") is too large");
      }
      count *= d;
    }
    return dims.stream().mapToLong(Long::longValue).toArray();
  }

  private static InvalidInputException bad(String where, String why) {
    return new InvalidInputException(where + ": " + why);
  }
}
