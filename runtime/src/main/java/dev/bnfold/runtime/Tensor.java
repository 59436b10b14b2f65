package dev.bnfold.runtime;

import java.util.Arrays;

/**
 * An immutable-by-convention dense tensor: element type, shape and row-major data. Factories check
 * that the data length equals the product of the shape. The array passed to a factory is used as is
 * (no copy) so that large inputs are cheap; do not modify it afterwards. Accessors return copies
 * except {@link #floatData()} and {@link #longData()}, which return the backing array for speed.
 */
public final class Tensor {
  private final DType dtype;
  private final long[] shape;
  private final float[] floats;
  private final long[] longs;

  private Tensor(DType dtype, long[] shape, float[] floats, long[] longs) {
    this.dtype = dtype;
    this.shape = shape;
    this.floats = floats;
    this.longs = longs;
  }

  /** A float32 tensor over {@code data} (not copied) with the given shape. */
  public static Tensor of(float[] data, long... shape) {
    long[] s = checkShape(shape, data == null ? -1 : data.length);
    return new Tensor(DType.FLOAT32, s, data, null);
  }

  /** An int64 tensor over {@code data} (not copied) with the given shape. */
  public static Tensor ofLongs(long[] data, long... shape) {
    long[] s = checkShape(shape, data == null ? -1 : data.length);
    return new Tensor(DType.INT64, s, null, data);
  }

  /** A float32 tensor of zeros. */
  public static Tensor zeros(long... shape) {
    if (shape == null) {
      throw new InvalidInputException("tensor shape is null");
    }
    long n = elementCount(shape);
    if (n > Integer.MAX_VALUE - 8) {
      throw new InvalidInputException("shape too large: " + Arrays.toString(shape));
    }
    return of(new float[(int) n], shape);
  }

  /** A float32 scalar (rank 0). */
  public static Tensor scalar(float value) {
    return of(new float[] {value});
  }

  private static long[] checkShape(long[] shape, int length) {
    if (length < 0) {
      throw new InvalidInputException("tensor data is null");
    }
    if (shape == null) {
      throw new InvalidInputException("tensor shape is null");
    }
    long n = elementCount(shape);
    if (n != length) {
      throw new InvalidInputException(
          "tensor shape "
              + Arrays.toString(shape)
              + " has "
              + n
              + " elements but the data has "
              + length);
    }
    return shape.clone();
  }

  static long elementCount(long[] shape) {
    long n = 1;
    for (long d : shape) {
      if (d < 0) {
        throw new InvalidInputException("negative dimension in shape " + Arrays.toString(shape));
      }
      try {
        n = Math.multiplyExact(n, d);
      } catch (ArithmeticException e) {
        throw new InvalidInputException("shape too large: " + Arrays.toString(shape));
      }
    }
    return n;
  }

  /** The element type. */
  public DType dtype() {
    return dtype;
  }

  /** A copy of the shape. */
  public long[] shape() {
    return shape.clone();
  }

  /** The rank (number of dimensions). */
  public int rank() {
    return shape.length;
  }

  /** The number of elements. */
  public int size() {
    return floats != null ? floats.length : longs.length;
  }

  /** The backing float array (row-major); throws if this is not a float32 tensor. */
  public float[] floatData() {
    if (floats == null) {
      throw new InvalidInputException("tensor is " + dtype + ", not FLOAT32");
    }
    return floats;
  }

  /** The backing long array (row-major); throws if this is not an int64 tensor. */
  public long[] longData() {
    if (longs == null) {
      throw new InvalidInputException("tensor is " + dtype + ", not INT64");
    }
    return longs;
  }

  @Override
  public String toString() {
    return "Tensor(" + dtype + ", " + Arrays.toString(shape) + ")";
  }
}
