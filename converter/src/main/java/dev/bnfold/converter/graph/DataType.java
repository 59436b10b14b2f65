package dev.bnfold.converter.graph;

/** Element types of ONNX tensors, with their TensorProto.DataType codes and sizes in bytes. */
public enum DataType {
  UNDEFINED(0, 0),
  FLOAT(1, 4),
  UINT8(2, 1),
  INT8(3, 1),
  UINT16(4, 2),
  INT16(5, 2),
  INT32(6, 4),
  INT64(7, 8),
  STRING(8, 0),
  BOOL(9, 1),
  FLOAT16(10, 2),
  DOUBLE(11, 8),
  UINT32(12, 4),
  UINT64(13, 8),
  COMPLEX64(14, 8),
  COMPLEX128(15, 16),
  BFLOAT16(16, 2);

  private final int onnxCode;
  private final int byteSize;

  DataType(int onnxCode, int byteSize) {
    this.onnxCode = onnxCode;
    this.byteSize = byteSize;
  }

  /** The TensorProto.DataType code. */
  public int onnxCode() {
    return onnxCode;
  }

  /** Bytes per element; 0 for STRING and UNDEFINED, which have no fixed size. */
  public int byteSize() {
    return byteSize;
  }

  /** The type with this ONNX code, or null if bnfold does not know it. */
  public static DataType fromOnnx(int code) {
    for (DataType t : values()) {
      if (t.onnxCode == code) {
        return t;
      }
    }
    return null;
  }

  /** Lower-case ONNX spelling, e.g. {@code float}, {@code int64}. */
  public String onnxName() {
    return name().toLowerCase(java.util.Locale.ROOT);
  }
}
