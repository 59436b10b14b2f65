package dev.bnfold.runtime.format;

import java.util.Arrays;
import java.util.Objects;

/**
 * A typed node attribute: int, float, ints, floats or string, as in ONNX. Values are copied in and
 * out, so an attribute is immutable.
 */
public final class Attribute {
  /** The attribute kinds, with their codes in the model file. */
  public enum Type {
    /** One int64. */
    INT(1),
    /** One float32. */
    FLOAT(2),
    /** A list of int64. */
    INTS(3),
    /** A list of float32. */
    FLOATS(4),
    /** A UTF-8 string. */
    STRING(5);

    private final int code;

    Type(int code) {
      this.code = code;
    }

    /** The code of this kind in the model file. */
    public int code() {
      return code;
    }

    /** The kind with the given file code, or null. */
    public static Type fromCode(int code) {
      for (Type t : values()) {
        if (t.code == code) {
          return t;
        }
      }
      return null;
    }
  }

  private final String name;
  private final Type type;
  private final long i;
  private final float f;
  private final long[] ints;
  private final float[] floats;
  private final String s;

  private Attribute(
      String name, Type type, long i, float f, long[] ints, float[] floats, String s) {
    this.name = Objects.requireNonNull(name, "attribute name");
    this.type = type;
    this.i = i;
    this.f = f;
    this.ints = ints;
    this.floats = floats;
    this.s = s;
  }

  /** An INT attribute. */
  public static Attribute of(String name, long value) {
    return new Attribute(name, Type.INT, value, 0, null, null, null);
  }

  /** A FLOAT attribute. */
  public static Attribute of(String name, float value) {
    return new Attribute(name, Type.FLOAT, 0, value, null, null, null);
  }

  /** An INTS attribute (copied). */
  public static Attribute ofInts(String name, long... values) {
    return new Attribute(name, Type.INTS, 0, 0, values.clone(), null, null);
  }

  /** A FLOATS attribute (copied). */
  public static Attribute ofFloats(String name, float... values) {
    return new Attribute(name, Type.FLOATS, 0, 0, null, values.clone(), null);
  }

  /** A STRING attribute. */
  public static Attribute of(String name, String value) {
    return new Attribute(name, Type.STRING, 0, 0, null, null, Objects.requireNonNull(value));
  }

  /** The attribute name. */
  public String name() {
    return name;
  }

  /** The attribute kind. */
  public Type type() {
    return type;
  }

  /** The INT value; throws if this is another kind. */
  public long intValue() {
    check(Type.INT);
    return i;
  }

  /** The FLOAT value; throws if this is another kind. */
  public float floatValue() {
    check(Type.FLOAT);
    return f;
  }

  /** A copy of the INTS value; throws if this is another kind. */
  public long[] ints() {
    check(Type.INTS);
    return ints.clone();
  }

  /** A copy of the FLOATS value; throws if this is another kind. */
  public float[] floats() {
    check(Type.FLOATS);
    return floats.clone();
  }

  /** The STRING value; throws if this is another kind. */
  public String stringValue() {
    check(Type.STRING);
    return s;
  }

  private void check(Type t) {
    if (type != t) {
      throw new IllegalStateException("attribute '" + name + "' is " + type + ", not " + t);
    }
  }

  @Override
  public String toString() {
    switch (type) {
      case INT:
        return name + "=" + i;
      case FLOAT:
        return name + "=" + f;
      case INTS:
        return name + "=" + Arrays.toString(ints);
      case FLOATS:
        return name + "=" + Arrays.toString(floats);
      default:
        return name + "=\"" + s + "\"";
    }
  }

  @Override
  public boolean equals(Object o) {
    if (!(o instanceof Attribute)) {
      return false;
    }
    Attribute a = (Attribute) o;
    return a.name.equals(name)
        && a.type == type
        && a.i == i
        && Float.compare(a.f, f) == 0
        && Arrays.equals(a.ints, ints)
        && Arrays.equals(a.floats, floats)
        && Objects.equals(a.s, s);
  }

  @Override
  public int hashCode() {
    return Objects.hash(name, type, i, f, Arrays.hashCode(ints), Arrays.hashCode(floats), s);
  }
}
