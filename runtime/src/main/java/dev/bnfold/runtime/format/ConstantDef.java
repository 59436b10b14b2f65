package dev.bnfold.runtime.format;

import dev.bnfold.runtime.DType;
import java.util.Arrays;

/**
 * A constant tensor (weights, biases, shape vectors) of a model file: name, type, shape and data.
 * The data is a {@code float[]} for FLOAT32 or a {@code long[]} for INT64; it is shared, not
 * copied, and must not be modified.
 */
public final class ConstantDef {
  private final String name;
  private final DType dtype;
  private final long[] shape;
  private final float[] floats;
  private final long[] longs;

  private ConstantDef(String name, DType dtype, long[] shape, float[] floats, long[] longs) {
    this.name = name;
    this.dtype = dtype;
    this.shape = shape;
    this.floats = floats;
    this.longs = longs;
    long n = count(shape);
    int len = floats != null ? floats.length : longs.length;
    if (n != len) {
      throw new IllegalArgumentException(
          "constant '"
              + name
              + "': shape "
              + Arrays.toString(shape)
              + " has "
              + n
              + " elements, data has "
              + len);
    }
  }

  /** A FLOAT32 constant. */
  public static ConstantDef ofFloats(String name, long[] shape, float[] data) {
    return new ConstantDef(name, DType.FLOAT32, shape.clone(), data, null);
  }

  /** An INT64 constant. */
  public static ConstantDef ofLongs(String name, long[] shape, long[] data) {
    return new ConstantDef(name, DType.INT64, shape.clone(), null, data);
  }

  static long count(long[] shape) {
    long n = 1;
    for (long d : shape) {
      if (d < 0) {
        throw new IllegalArgumentException("negative dimension in " + Arrays.toString(shape));
      }
      n = Math.multiplyExact(n, d);
    }
    return n;
  }

  /** The constant's name. */
  public String name() {
    return name;
  }

  /** The element type. */
  public DType dtype() {
    return dtype;
  }

  /** A copy of the shape. */
  public long[] shape() {
    return shape.clone();
  }

  /** The number of elements. */
  public int size() {
    return floats != null ? floats.length : longs.length;
  }

  /** The float data (shared); null unless FLOAT32. */
  public float[] floats() {
    return floats;
  }

  /** The long data (shared); null unless INT64. */
  public long[] longs() {
    return longs;
  }

  /** The size of the data in bytes. */
  public long byteSize() {
    return (long) size() * dtype.byteSize();
  }
}
