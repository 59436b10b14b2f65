package dev.bnfold.runtime;

import java.util.Arrays;
import java.util.Objects;

/**
 * Name, element type and declared shape of a graph input or output. A dimension is either fixed
 * ({@code shape()[i] >= 0}) or not ({@code shape()[i] == -1}); a non-fixed dimension may carry a
 * symbolic name such as {@code "N"} in {@link #dimNames()}. An unknown rank is a null shape.
 */
public final class ValueInfo {
  private final String name;
  private final DType dtype;
  private final long[] shape;
  private final String[] dimNames;

  private ValueInfo(String name, DType dtype, long[] shape, String[] dimNames) {
    this.name = name;
    this.dtype = dtype;
    this.shape = shape;
    this.dimNames = dimNames;
  }

  /**
   * Creates a value description.
   *
   * @param name value name
   * @param dtype element type
   * @param shape dimensions, -1 for a symbolic or unknown one; null for an unknown rank
   * @param dimNames null, or one entry per dimension: the symbol of a -1 dimension, else null
   */
  public static ValueInfo of(String name, DType dtype, long[] shape, String[] dimNames) {
    Objects.requireNonNull(name, "name");
    Objects.requireNonNull(dtype, "dtype");
    if (shape == null) {
      return new ValueInfo(name, dtype, null, null);
    }
    String[] names = dimNames == null ? new String[shape.length] : dimNames.clone();
    if (names.length != shape.length) {
      throw new IllegalArgumentException(
          "value '" + name + "': " + names.length + " dim names for rank " + shape.length);
    }
    for (int i = 0; i < shape.length; i++) {
      if (shape[i] < -1) {
        throw new IllegalArgumentException("value '" + name + "': negative dimension " + shape[i]);
      }
      if (shape[i] >= 0) {
        names[i] = null;
      }
    }
    return new ValueInfo(name, dtype, shape.clone(), names);
  }

  /** Creates a value description with fixed dimensions. */
  public static ValueInfo of(String name, DType dtype, long... shape) {
    return of(name, dtype, shape, null);
  }

  /** The value name, as in the source model. */
  public String name() {
    return name;
  }

  /** The element type. */
  public DType dtype() {
    return dtype;
  }

  /** A copy of the declared shape (-1 = not fixed), or null if the rank is unknown. */
  public long[] shape() {
    return shape == null ? null : shape.clone();
  }

  /** A copy of the per-dimension symbols (null entries for fixed or anonymous dims), or null. */
  public String[] dimNames() {
    return dimNames == null ? null : dimNames.clone();
  }

  /** True if the rank is known. */
  public boolean hasShape() {
    return shape != null;
  }

  @Override
  public String toString() {
    if (shape == null) {
      return name + ": " + dtype + "[?]";
    }
    StringBuilder sb = new StringBuilder(name).append(": ").append(dtype).append('[');
    for (int i = 0; i < shape.length; i++) {
      if (i > 0) {
        sb.append(',');
      }
      sb.append(shape[i] >= 0 ? Long.toString(shape[i]) : dimNames[i] != null ? dimNames[i] : "?");
    }
    return sb.append(']').toString();
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof ValueInfo
        && ((ValueInfo) o).name.equals(name)
        && ((ValueInfo) o).dtype == dtype
        && Arrays.equals(((ValueInfo) o).shape, shape)
        && Arrays.equals(((ValueInfo) o).dimNames, dimNames);
  }

  @Override
  public int hashCode() {
    return Objects.hash(name, dtype, Arrays.hashCode(shape));
  }
}
