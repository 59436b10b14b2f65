package dev.bnfold.converter.graph;

import com.google.protobuf.ByteString;
import dev.bnfold.onnx.Onnx.AttributeProto;
import dev.bnfold.onnx.Onnx.AttributeProto.AttributeType;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * One operator application. Inputs and outputs are value names; an empty string stands for an
 * omitted optional input, as in ONNX. Attributes are kept as ONNX AttributeProtos so that anything
 * bnfold does not interpret (subgraphs, sparse tensors) survives a round trip unchanged.
 */
public final class Node {
  private String name;
  private final String opType;
  private final String domain;
  private final List<String> inputs;
  private final List<String> outputs;
  private final Map<String, AttributeProto> attributes;

  /** Creates a node in the default ONNX domain. */
  public Node(String name, String opType, List<String> inputs, List<String> outputs) {
    this(name, opType, "", inputs, outputs, List.of());
  }

  /** Creates a node. {@code domain} is "" (or "ai.onnx") for the default ONNX domain. */
  public Node(
      String name,
      String opType,
      String domain,
      List<String> inputs,
      List<String> outputs,
      List<AttributeProto> attributes) {
    this.name = name == null ? "" : name;
    this.opType = opType;
    this.domain = domain == null || domain.equals("ai.onnx") ? "" : domain;
    this.inputs = new ArrayList<>(inputs);
    this.outputs = new ArrayList<>(outputs);
    this.attributes = new LinkedHashMap<>();
    for (AttributeProto a : attributes) {
      this.attributes.put(a.getName(), a);
    }
  }

  public String name() {
    return name;
  }

  public void setName(String name) {
    this.name = name;
  }

  public String opType() {
    return opType;
  }

  /** "" for the default ONNX domain. */
  public String domain() {
    return domain;
  }

  /** Whether this is the ONNX operator {@code op} of the default domain. */
  public boolean is(String op) {
    return domain.isEmpty() && opType.equals(op);
  }

  /** The mutable list of input value names. */
  public List<String> inputs() {
    return inputs;
  }

  /** The mutable list of output value names. */
  public List<String> outputs() {
    return outputs;
  }

  /** Input {@code i}, or "" when it is absent. */
  public String input(int i) {
    return i < inputs.size() ? inputs.get(i) : "";
  }

  /** Whether optional input {@code i} is given. */
  public boolean hasInput(int i) {
    return !input(i).isEmpty();
  }

  public String output(int i) {
    return outputs.get(i);
  }

  /** Attributes by name, in file order (read-only). */
  public Map<String, AttributeProto> attributes() {
    return Collections.unmodifiableMap(attributes);
  }

  public boolean hasAttribute(String attr) {
    return attributes.containsKey(attr);
  }

  public AttributeProto attribute(String attr) {
    return attributes.get(attr);
  }

  public long attrInt(String attr, long defaultValue) {
    AttributeProto a = attributes.get(attr);
    return a == null ? defaultValue : a.getI();
  }

  public float attrFloat(String attr, float defaultValue) {
    AttributeProto a = attributes.get(attr);
    return a == null ? defaultValue : a.getF();
  }

  public String attrString(String attr, String defaultValue) {
    AttributeProto a = attributes.get(attr);
    return a == null ? defaultValue : a.getS().toStringUtf8();
  }

  /** The ints of an INTS attribute, or {@code defaultValue} (may be null) when absent. */
  public long[] attrInts(String attr, long[] defaultValue) {
    AttributeProto a = attributes.get(attr);
    return a == null ? defaultValue : a.getIntsList().stream().mapToLong(Long::longValue).toArray();
  }

  /** The floats of a FLOATS attribute, or {@code defaultValue} (may be null) when absent. */
  public float[] attrFloats(String attr, float[] defaultValue) {
    AttributeProto a = attributes.get(attr);
    if (a == null) {
      return defaultValue;
    }
    float[] out = new float[a.getFloatsCount()];
    for (int i = 0; i < out.length; i++) {
      out[i] = a.getFloats(i);
    }
    return out;
  }

  public void setAttribute(AttributeProto a) {
    attributes.put(a.getName(), a);
  }

  public void removeAttribute(String attr) {
    attributes.remove(attr);
  }

  /** An INT attribute. */
  public static AttributeProto intAttr(String name, long value) {
    return AttributeProto.newBuilder().setName(name).setType(AttributeType.INT).setI(value).build();
  }

  /** A FLOAT attribute. */
  public static AttributeProto floatAttr(String name, float value) {
    return AttributeProto.newBuilder()
        .setName(name)
        .setType(AttributeType.FLOAT)
        .setF(value)
        .build();
  }

  /** An INTS attribute. */
  public static AttributeProto intsAttr(String name, long... values) {
    AttributeProto.Builder b =
        AttributeProto.newBuilder().setName(name).setType(AttributeType.INTS);
    for (long v : values) {
      b.addInts(v);
    }
    return b.build();
  }

  /** A STRING attribute. */
  public static AttributeProto stringAttr(String name, String value) {
    return AttributeProto.newBuilder()
        .setName(name)
        .setType(AttributeType.STRING)
        .setS(ByteString.copyFromUtf8(value))
        .build();
  }

  /** A short description for messages: {@code Conv 'conv1'}. */
  public String describe() {
    String op = domain.isEmpty() ? opType : domain + "." + opType;
    if (!name.isEmpty()) {
      return op + " '" + name + "'";
    }
    return outputs.isEmpty()
        ? op + " (unnamed)"
        : op + " (unnamed, output '" + outputs.get(0) + "')";
  }

  @Override
  public String toString() {
    return describe() + " " + inputs + " -> " + outputs;
  }
}
