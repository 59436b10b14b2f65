package dev.bnfold.converter.graph;

/**
 * One dimension of a tensor shape: a known size, a named symbol (e.g. the batch size {@code N}), or
 * unknown.
 *
 * @param value the size, or -1 when not known statically
 * @param symbol the symbolic name, or null
 */
public record Dim(long value, String symbol) {

  /** A dimension of known size. */
  public static Dim of(long value) {
    return new Dim(value, null);
  }

  /** A symbolic dimension such as a dynamic batch axis. */
  public static Dim symbol(String name) {
    return new Dim(-1, name);
  }

  /** A dimension about which nothing is known. */
  public static Dim unknown() {
    return new Dim(-1, null);
  }

  /** Whether the size is known. */
  public boolean isKnown() {
    return value >= 0;
  }

  @Override
  public String toString() {
    if (isKnown()) {
      return Long.toString(value);
    }
    return symbol != null ? symbol : "?";
  }
}
