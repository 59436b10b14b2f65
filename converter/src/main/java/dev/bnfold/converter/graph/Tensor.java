package dev.bnfold.converter.graph;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Arrays;

/**
 * An immutable constant tensor (an initializer or a Constant node's value). Data is kept as ONNX
 * keeps raw_data: little-endian bytes in C order, so every element type round-trips exactly. Passes
 * never change a tensor: they build a new one and put it under a new name.
 */
public final class Tensor {
  private final DataType type;
  private final long[] dims;
  private final byte[] data; // little-endian, C order, elementCount * type.byteSize() bytes

  private Tensor(DataType type, long[] dims, byte[] data) {
    this.type = type;
    this.dims = dims;
    this.data = data;
  }

  /**
   * Wraps raw little-endian bytes. The array is owned by the tensor afterwards.
   *
   * @throws IllegalArgumentException if the byte count does not match the shape
   */
  public static Tensor ofRaw(DataType type, long[] dims, byte[] littleEndian) {
    long count = elementCount(dims);
    if (type.byteSize() == 0 || count * type.byteSize() != littleEndian.length) {
      throw new IllegalArgumentException(
          "tensor of type "
              + type.onnxName()
              + " and shape "
              + Arrays.toString(dims)
              + " needs "
              + count * type.byteSize()
              + " bytes, got "
              + littleEndian.length);
    }
    return new Tensor(type, dims.clone(), littleEndian);
  }

  /** A float32 tensor holding a copy of {@code values}. */
  public static Tensor ofFloats(long[] dims, float[] values) {
    checkCount(dims, values.length);
    ByteBuffer b = buffer(values.length * 4L);
    b.asFloatBuffer().put(values);
    return new Tensor(DataType.FLOAT, dims.clone(), b.array());
  }

  /** An int64 tensor holding a copy of {@code values}. */
  public static Tensor ofLongs(long[] dims, long[] values) {
    checkCount(dims, values.length);
    ByteBuffer b = buffer(values.length * 8L);
    b.asLongBuffer().put(values);
    return new Tensor(DataType.INT64, dims.clone(), b.array());
  }

  /** An int32 tensor holding a copy of {@code values}. */
  public static Tensor ofInts(long[] dims, int[] values) {
    checkCount(dims, values.length);
    ByteBuffer b = buffer(values.length * 4L);
    b.asIntBuffer().put(values);
    return new Tensor(DataType.INT32, dims.clone(), b.array());
  }

  /** Element type. */
  public DataType type() {
    return type;
  }

  /** A copy of the dimensions. */
  public long[] dims() {
    return dims.clone();
  }

  /** Number of dimensions. */
  public int rank() {
    return dims.length;
  }

  /** Size of dimension {@code i}. */
  public long dim(int i) {
    return dims[i];
  }

  /** Number of elements (1 for a scalar). */
  public long elementCount() {
    return elementCount(dims);
  }

  /** The raw little-endian bytes (a copy). */
  public byte[] rawBytes() {
    return data.clone();
  }

  /** Size of the data in bytes. */
  public int byteCount() {
    return data.length;
  }

  /** Read-only little-endian view of the data, without copying. */
  public ByteBuffer rawView() {
    return ByteBuffer.wrap(data).asReadOnlyBuffer().order(ByteOrder.LITTLE_ENDIAN);
  }

  /** The elements of a float32 or float64 tensor as floats. */
  public float[] floats() {
    ByteBuffer b = ByteBuffer.wrap(data).order(ByteOrder.LITTLE_ENDIAN);
    float[] out = new float[Math.toIntExact(elementCount())];
    switch (type) {
      case FLOAT -> b.asFloatBuffer().get(out);
      case DOUBLE -> {
        for (int i = 0; i < out.length; i++) {
          out[i] = (float) b.getDouble(i * 8);
        }
      }
      default -> throw new IllegalStateException("not a floating-point tensor: " + type.onnxName());
    }
    return out;
  }

  /** The elements of a float32 or float64 tensor as doubles. */
  public double[] doubles() {
    ByteBuffer b = ByteBuffer.wrap(data).order(ByteOrder.LITTLE_ENDIAN);
    double[] out = new double[Math.toIntExact(elementCount())];
    for (int i = 0; i < out.length; i++) {
      out[i] = type == DataType.DOUBLE ? b.getDouble(i * 8) : floatAt(b, i, type);
    }
    return out;
  }

  /** The elements of an integer tensor (int8..int64, uint8..uint32, bool) as longs. */
  public long[] longs() {
    ByteBuffer b = ByteBuffer.wrap(data).order(ByteOrder.LITTLE_ENDIAN);
    long[] out = new long[Math.toIntExact(elementCount())];
    for (int i = 0; i < out.length; i++) {
      out[i] =
          switch (type) {
            case INT64, UINT64 -> b.getLong(i * 8);
            case INT32 -> b.getInt(i * 4);
            case UINT32 -> b.getInt(i * 4) & 0xFFFFFFFFL;
            case INT16 -> b.getShort(i * 2);
            case UINT16 -> b.getShort(i * 2) & 0xFFFF;
            case INT8 -> b.get(i);
            case UINT8, BOOL -> b.get(i) & 0xFF;
            default -> throw new IllegalStateException("not an integer tensor: " + type.onnxName());
          };
    }
    return out;
  }

  private static float floatAt(ByteBuffer b, int i, DataType type) {
    if (type != DataType.FLOAT) {
      throw new IllegalStateException("not a floating-point tensor: " + type.onnxName());
    }
    return b.getFloat(i * 4);
  }

  /** Product of the dimensions; 1 for a scalar. */
  public static long elementCount(long[] dims) {
    long n = 1;
    for (long d : dims) {
      if (d < 0) {
        throw new IllegalArgumentException("negative dimension in " + Arrays.toString(dims));
      }
      n = Math.multiplyExact(n, d);
    }
    return n;
  }

  private static void checkCount(long[] dims, int count) {
    if (elementCount(dims) != count) {
      throw new IllegalArgumentException(
          "shape " + Arrays.toString(dims) + " does not hold " + count + " elements");
    }
  }

  private static ByteBuffer buffer(long bytes) {
    return ByteBuffer.allocate(Math.toIntExact(bytes)).order(ByteOrder.LITTLE_ENDIAN);
  }

  @Override
  public String toString() {
    return type.onnxName() + Arrays.toString(dims);
  }
}
