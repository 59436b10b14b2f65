package dev.bnfold.runtime.ops;

/** What an op factory may know about the graph at load time. */
public interface OpContext {
  /** The default-domain opset of the source model (0 if unknown: assume the newest). */
  long opset();

  /** The float data of a constant value, or null if the value is not a float constant. */
  float[] constantFloats(String value);

  /** The int64 data of a constant value, or null if the value is not an int64 constant. */
  long[] constantLongs(String value);

  /** The shape of a constant value, or null if the value is not a constant. */
  int[] constantShape(String value);
}
