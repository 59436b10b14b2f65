package dev.bnfold.runtime.format;

import dev.bnfold.runtime.DType;
import dev.bnfold.runtime.kernels.PanelLayout;
import java.util.Arrays;
import java.util.Objects;

/**
 * A constant tensor (weights, biases, shape vectors) of a model file: name, type, shape and data.
 * The data is a {@code float[]} for FLOAT32 or a {@code long[]} for INT64; it is shared, not
 * copied, and must not be modified.
 *
 * <p>A FLOAT32 constant may be stored in a {@link PanelLayout} (the panels a GEMM micro-kernel
 * reads) instead of row-major order: {@link #stored} is then the packed data, and {@link #floats}
 * unpacks it into row-major order once, on first use.
 */
public final class ConstantDef {
  private final String name;
  private final DType dtype;
  private final long[] shape;
  private final PanelLayout layout; // null: row-major
  private final float[] stored; // FLOAT32 data as stored (row-major or in layout)
  private final long[] longs;
  private volatile float[] rowMajor; // stored when layout is null, else unpacked on demand

  private ConstantDef(
      String name, DType dtype, long[] shape, PanelLayout layout, float[] stored, long[] longs) {
    this.name = name;
    this.dtype = dtype;
    this.shape = shape;
    this.layout = layout;
    this.stored = stored;
    this.longs = longs;
    this.rowMajor = layout == null ? stored : null;
    long n = count(shape);
    String misfit = layout == null ? null : layout.misfit(shape);
    if (misfit != null) {
      throw new IllegalArgumentException("constant '" + name + "': " + misfit);
    }
    long expect = layout == null ? n : layout.packedSize(shape);
    int len = stored != null ? stored.length : longs.length;
    if (expect != len) {
      throw new IllegalArgumentException(
          "constant '"
              + name
              + "': shape "
              + Arrays.toString(shape)
              + (layout == null ? "" : " in " + layout)
              + " has "
              + expect
              + " elements, data has "
              + len);
    }
  }

  /** A FLOAT32 constant in row-major order. */
  public static ConstantDef ofFloats(String name, long[] shape, float[] data) {
    return new ConstantDef(name, DType.FLOAT32, shape.clone(), null, data, null);
  }

  /**
   * A FLOAT32 constant stored in {@code layout}: {@code packed} has {@link
   * PanelLayout#packedSize(long[])} floats.
   *
   * @throws IllegalArgumentException if the layout does not fit the shape or the data size
   */
  public static ConstantDef ofPacked(
      String name, long[] shape, PanelLayout layout, float[] packed) {
    return new ConstantDef(name, DType.FLOAT32, shape.clone(), layout, packed, null);
  }

  /** An INT64 constant. */
  public static ConstantDef ofLongs(String name, long[] shape, long[] data) {
    return new ConstantDef(name, DType.INT64, shape.clone(), null, null, data);
  }

  /**
   * This FLOAT32 constant stored in {@code layout} (null = row-major): itself if it already is,
   * else a repacked copy.
   */
  public ConstantDef storedAs(PanelLayout layout) {
    if (dtype != DType.FLOAT32) {
      throw new IllegalArgumentException("constant '" + name + "' is not FLOAT32");
    }
    if (Objects.equals(layout, this.layout)) {
      return this;
    }
    if (layout == null) {
      return ofFloats(name, shape, floats());
    }
    String misfit = layout.misfit(shape);
    if (misfit != null) {
      throw new IllegalArgumentException("constant '" + name + "': " + misfit);
    }
    float[] packed = new float[Math.toIntExact(layout.packedSize(shape))];
    layout.pack(packed, floats(), shape);
    return ofPacked(name, shape, layout, packed);
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
    return (int) count(shape);
  }

  /**
   * The float data in row-major order (shared); null unless FLOAT32. For a constant stored in a
   * panel layout, the first call unpacks it.
   */
  public float[] floats() {
    float[] f = rowMajor;
    if (f == null && stored != null) {
      f = new float[size()];
      layout.unpack(f, stored, shape);
      rowMajor = f;
    }
    return f;
  }

  /** The layout the float data is stored in, or null for row-major (and for INT64). */
  public PanelLayout layout() {
    return layout;
  }

  /** The float data as stored (shared): in {@link #layout()}, or row-major; null unless FLOAT32. */
  public float[] stored() {
    return stored;
  }

  /** The long data (shared); null unless INT64. */
  public long[] longs() {
    return longs;
  }

  /** The size of the data as stored in bytes (packed panels include their zero padding). */
  public long byteSize() {
    return (long) (stored != null ? stored.length : longs.length) * dtype.byteSize();
  }
}
