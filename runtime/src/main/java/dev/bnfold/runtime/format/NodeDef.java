package dev.bnfold.runtime.format;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * One node of a model file: name, op type (an ONNX op name or {@code ChannelAffine}), input value
 * names (an empty string marks an absent optional input), output value names and attributes.
 */
public final class NodeDef {
  private final String name;
  private final String opType;
  private final List<String> inputs;
  private final List<String> outputs;
  private final Map<String, Attribute> attributes;

  /** Creates a node; lists are copied, attribute names must be unique. */
  public NodeDef(
      String name,
      String opType,
      List<String> inputs,
      List<String> outputs,
      List<Attribute> attributes) {
    this.name = name;
    this.opType = opType;
    this.inputs = List.copyOf(inputs);
    this.outputs = List.copyOf(outputs);
    Map<String, Attribute> m = new LinkedHashMap<>();
    for (Attribute a : attributes) {
      if (m.put(a.name(), a) != null) {
        throw new IllegalArgumentException(
            "node '" + name + "' (" + opType + "): duplicate attribute '" + a.name() + "'");
      }
    }
    this.attributes = Collections.unmodifiableMap(m);
  }

  /** The node name from the source model (may be empty). */
  public String name() {
    return name;
  }

  /** The op type, e.g. {@code Conv}. */
  public String opType() {
    return opType;
  }

  /** Input value names; "" marks an absent optional input. */
  public List<String> inputs() {
    return inputs;
  }

  /** Output value names. */
  public List<String> outputs() {
    return outputs;
  }

  /** Attributes by name, in file order. */
  public Map<String, Attribute> attributes() {
    return attributes;
  }

  /** A short description for messages: {@code 'name' (Op)}. */
  public String describe() {
    return "'" + name + "' (" + opType + ")";
  }

  @Override
  public String toString() {
    return opType + " " + name + " " + inputs + " -> " + outputs + " " + attributes.values();
  }
}
