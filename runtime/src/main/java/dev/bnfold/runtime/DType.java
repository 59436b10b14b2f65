package dev.bnfold.runtime;

/** Element type of a tensor. The numeric codes are the ones stored in the model file. */
public enum DType {
  /** 32-bit IEEE float. */
  FLOAT32(1, 4),
  /** 64-bit signed integer (shapes, axes, indices). */
  INT64(7, 8);

  private final int code;
  private final int byteSize;

  DType(int code, int byteSize) {
    this.code = code;
    this.byteSize = byteSize;
  }

  /** The code of this type in the model file (equal to ONNX's TensorProto.DataType). */
  public int code() {
    return code;
  }

  /** Bytes per element. */
  public int byteSize() {
    return byteSize;
  }

  /** The type with the given file code, or null if there is none. */
  public static DType fromCode(int code) {
    for (DType t : values()) {
      if (t.code == code) {
        return t;
      }
    }
    return null;
  }
}
