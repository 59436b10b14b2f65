package dev.bnfold.runtime.format;

/** Constants of the file layout described in runtime/FORMAT.md. */
final class Format {
  private Format() {}

  /** {@code \x89 B N F O L D \n}. */
  static final byte[] MAGIC = {(byte) 0x89, 'B', 'N', 'F', 'O', 'L', 'D', '\n'};

  /** Written by {@link ModelWriter}; the reader also reads major version 1 (no layout field). */
  static final int MAJOR = 2;

  static final int MINOR = 0;

  /** Constant layout codes (version 2). */
  static final int LAYOUT_ROW_MAJOR = 0;

  static final int LAYOUT_ROW_PANELS = 1;
  static final int LAYOUT_TRANSPOSED_ROW_PANELS = 2;
  static final int HEADER_BYTES = 64;
  static final int ALIGN = 64;
  static final int MAX_STRING_BYTES = 1 << 20;
  static final int MAX_RANK = 16;
  static final int MAX_IO = 1 << 16;
  static final int MAX_ATTRIBUTES = 1 << 12;
  static final int MAX_NODE_IO = 1 << 12;

  static long align(long x) {
    return (x + ALIGN - 1) & ~(long) (ALIGN - 1);
  }
}
