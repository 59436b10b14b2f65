package dev.bnfold.converter.io;

import dev.bnfold.converter.graph.DataType;
import dev.bnfold.runtime.InvalidInputException;
import java.util.Arrays;

/**
 * A dense array in C order: the exchange type of the CLI's {@code .npy} files and of verification
 * against ONNX Runtime. A shape that does not fit the data is an {@link InvalidInputException}.
 *
 * @param type FLOAT, INT32 or INT64
 * @param shape the dimensions
 * @param data a {@code float[]}, {@code int[]} or {@code long[]} matching {@code type}
 */
public record NdArray(DataType type, long[] shape, Object data) {

  public NdArray {
    shape = shape.clone();
    long count = 1;
    for (long d : shape) {
      if (d < 0) {
        throw new InvalidInputException("negative dimension in " + Arrays.toString(shape));
      }
      if (d != 0 && count > Integer.MAX_VALUE / d) {
        throw new InvalidInputException("shape " + Arrays.toString(shape) + " is too large");
      }
      count *= d;
    }
    int length =
        switch (type) {
          case FLOAT -> ((float[]) data).length;
          case INT32 -> ((int[]) data).length;
          case INT64 -> ((long[]) data).length;
          default -> throw new InvalidInputException("unsupported array type " + type.onnxName());
        };
    if (length != count) {
      throw new InvalidInputException(
          "shape " + Arrays.toString(shape) + " needs " + count + " elements, got " + length);
    }
  }

  public static NdArray ofFloats(long[] shape, float[] data) {
    return new NdArray(DataType.FLOAT, shape, data);
  }

  public static NdArray ofLongs(long[] shape, long[] data) {
    return new NdArray(DataType.INT64, shape, data);
  }

  public static NdArray ofInts(long[] shape, int[] data) {
    return new NdArray(DataType.INT32, shape, data);
  }

  @Override
  public long[] shape() {
    return shape.clone();
  }

  /** The float data (not a copy). */
  public float[] floats() {
    if (type != DataType.FLOAT) {
      throw new IllegalStateException("array holds " + type.onnxName() + ", not float");
    }
    return (float[]) data;
  }

  /** The elements of an integer array as longs (a copy for int32). */
  public long[] longs() {
    return switch (type) {
      case INT64 -> (long[]) data;
      case INT32 -> Arrays.stream((int[]) data).asLongStream().toArray();
      default ->
          throw new IllegalStateException("array holds " + type.onnxName() + ", not integers");
    };
  }

  public int elementCount() {
    return switch (type) {
      case FLOAT -> ((float[]) data).length;
      case INT32 -> ((int[]) data).length;
      default -> ((long[]) data).length;
    };
  }

  @Override
  public String toString() {
    return type.onnxName() + Arrays.toString(shape);
  }

  @Override
  public boolean equals(Object o) {
    if (!(o instanceof NdArray other) || type != other.type || !Arrays.equals(shape, other.shape)) {
      return false;
    }
    return switch (type) {
      case FLOAT -> Arrays.equals((float[]) data, (float[]) other.data);
      case INT32 -> Arrays.equals((int[]) data, (int[]) other.data);
      default -> Arrays.equals((long[]) data, (long[]) other.data);
    };
  }

  @Override
  public int hashCode() {
    return Arrays.hashCode(shape) * 31 + type.hashCode();
  }
}
