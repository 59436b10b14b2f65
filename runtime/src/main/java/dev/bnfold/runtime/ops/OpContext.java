package dev.bnfold.runtime.ops;

import dev.bnfold.runtime.kernels.PanelLayout;

/** What an op factory may know about the graph at load time. */
public interface OpContext {
  /** The default-domain opset of the source model (0 if unknown: assume the newest). */
  long opset();

  /** The float data of a constant value, or null if the value is not a float constant. */
  float[] constantFloats(String value);

  /**
   * The float data of a constant value in {@code layout}, or null if the value is not a float
   * constant: the data as the file stores it when the file holds that layout (no copy), else packed
   * from the row-major data. An op that takes a constant this way promises not to read the value's
   * frame buffer at run time unless it also asks for {@link #constantFloats}: when every use of a
   * constant took it packed and none asked for it row-major, no row-major copy is kept.
   *
   * @throws IllegalArgumentException if the layout does not fit the constant's shape
   */
  float[] constantPacked(String value, PanelLayout layout);

  /** The int64 data of a constant value, or null if the value is not an int64 constant. */
  long[] constantLongs(String value);

  /** The shape of a constant value, or null if the value is not a constant. */
  int[] constantShape(String value);
}
