package dev.bnfold.runtime.ops;

import dev.bnfold.runtime.ModelFormatException;
import dev.bnfold.runtime.UnsupportedModelException;
import dev.bnfold.runtime.format.Attribute;
import dev.bnfold.runtime.format.NodeDef;
import java.util.HashSet;
import java.util.Set;

/**
 * Typed access to a node's attributes with spec defaults. Records which attributes were read so
 * that {@link #rejectUnread()} can refuse the ones an op does not understand.
 */
public final class Attrs {
  private final NodeDef node;
  private final Set<String> read = new HashSet<>();

  /** Wraps the attributes of {@code node}. */
  public Attrs(NodeDef node) {
    this.node = node;
  }

  /** True if the attribute is present (and marks it read). */
  public boolean has(String name) {
    read.add(name);
    return node.attributes().containsKey(name);
  }

  private Attribute get(String name, Attribute.Type type) {
    read.add(name);
    Attribute a = node.attributes().get(name);
    if (a == null) {
      return null;
    }
    if (a.type() != type && !(type == Attribute.Type.FLOAT && a.type() == Attribute.Type.INT)) {
      throw new ModelFormatException(
          "node "
              + node.describe()
              + ": attribute '"
              + name
              + "' is "
              + a.type()
              + ", expected "
              + type);
    }
    return a;
  }

  /** An INT attribute or the default. */
  public long i(String name, long dflt) {
    Attribute a = get(name, Attribute.Type.INT);
    return a == null ? dflt : a.intValue();
  }

  /** A FLOAT attribute (an INT is accepted) or the default. */
  public float f(String name, float dflt) {
    Attribute a = get(name, Attribute.Type.FLOAT);
    return a == null ? dflt : a.type() == Attribute.Type.INT ? a.intValue() : a.floatValue();
  }

  /** An INTS attribute or the default (may be null). */
  public long[] ints(String name, long[] dflt) {
    Attribute a = get(name, Attribute.Type.INTS);
    return a == null ? dflt : a.ints();
  }

  /** A STRING attribute or the default. */
  public String s(String name, String dflt) {
    Attribute a = get(name, Attribute.Type.STRING);
    return a == null ? dflt : a.stringValue();
  }

  /** An exception naming the node, the attribute and why its value is not supported. */
  public UnsupportedModelException unsupported(String name, String reason) {
    return new UnsupportedModelException(
        "node " + node.describe() + ": attribute '" + name + "' " + reason);
  }

  /** An exception for a missing required attribute. */
  public ModelFormatException missing(String name) {
    return new ModelFormatException(
        "node " + node.describe() + ": required attribute '" + name + "' is missing");
  }

  /** Throws if the node has attributes the op did not read. */
  public void rejectUnread() {
    for (String name : node.attributes().keySet()) {
      if (!read.contains(name)) {
        throw new UnsupportedModelException(
            "node " + node.describe() + ": attribute '" + name + "' is not supported");
      }
    }
  }
}
