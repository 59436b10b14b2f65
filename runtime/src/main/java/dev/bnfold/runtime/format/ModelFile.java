package dev.bnfold.runtime.format;

import dev.bnfold.runtime.ModelFormatException;
import dev.bnfold.runtime.ValueInfo;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * The content of a bnfold model file, as read by {@link ModelReader} or assembled by {@link
 * ModelWriter}: graph inputs and outputs, constants, and nodes in topological order. See {@code
 * runtime/FORMAT.md} for the byte layout.
 */
public final class ModelFile {
  private final String producer;
  private final long opset;
  private final List<ValueInfo> inputs;
  private final List<ValueInfo> outputs;
  private final List<ConstantDef> constants;
  private final List<NodeDef> nodes;

  /**
   * Creates a model and checks its structure: unique value names, every node input defined by a
   * graph input, a constant or an earlier node, every graph output defined.
   *
   * @throws ModelFormatException if the structure is inconsistent
   */
  public ModelFile(
      String producer,
      long opset,
      List<ValueInfo> inputs,
      List<ValueInfo> outputs,
      List<ConstantDef> constants,
      List<NodeDef> nodes) {
    this.producer = producer;
    this.opset = opset;
    this.inputs = List.copyOf(inputs);
    this.outputs = List.copyOf(outputs);
    this.constants = List.copyOf(constants);
    this.nodes = List.copyOf(nodes);
    validate();
  }

  private void validate() {
    Set<String> defined = new HashSet<>();
    for (ValueInfo v : inputs) {
      define(defined, v.name(), "graph input");
    }
    for (ConstantDef c : constants) {
      define(defined, c.name(), "constant");
    }
    Set<String> nodeNames = new HashSet<>();
    for (int n = 0; n < nodes.size(); n++) {
      NodeDef node = nodes.get(n);
      if (node.opType().isEmpty()) {
        throw new ModelFormatException(
            "node #" + n + " '" + node.name() + "' has an empty op type");
      }
      if (!node.name().isEmpty() && !nodeNames.add(node.name())) {
        throw new ModelFormatException("duplicate node name '" + node.name() + "'");
      }
      for (String in : node.inputs()) {
        if (!in.isEmpty() && !defined.contains(in)) {
          throw new ModelFormatException(
              "node "
                  + node.describe()
                  + " reads '"
                  + in
                  + "', which is not defined before it (nodes must be in topological order)");
        }
      }
      for (String out : node.outputs()) {
        if (!out.isEmpty()) {
          define(defined, out, "output of node " + node.describe());
        }
      }
    }
    Set<String> outs = new HashSet<>();
    for (ValueInfo v : outputs) {
      if (!defined.contains(v.name())) {
        throw new ModelFormatException("graph output '" + v.name() + "' is never produced");
      }
      if (!outs.add(v.name())) {
        throw new ModelFormatException("graph output '" + v.name() + "' is listed twice");
      }
    }
  }

  private static void define(Set<String> defined, String name, String what) {
    if (name.isEmpty()) {
      throw new ModelFormatException("empty value name for " + what);
    }
    if (!defined.add(name)) {
      throw new ModelFormatException(
          "value '" + name + "' is defined twice (again as " + what + ")");
    }
  }

  /** Free-form producer string, e.g. {@code bnfold-converter 0.1.0}. */
  public String producer() {
    return producer;
  }

  /** The default-domain ONNX opset of the source model (informational). */
  public long opset() {
    return opset;
  }

  /** Graph inputs, in order. */
  public List<ValueInfo> inputs() {
    return inputs;
  }

  /** Graph outputs, in order. */
  public List<ValueInfo> outputs() {
    return outputs;
  }

  /** Constant tensors. */
  public List<ConstantDef> constants() {
    return constants;
  }

  /** Nodes in topological order. */
  public List<NodeDef> nodes() {
    return nodes;
  }
}
