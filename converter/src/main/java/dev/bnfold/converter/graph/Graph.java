package dev.bnfold.converter.graph;

import dev.bnfold.onnx.Onnx.StringStringEntryProto;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Deque;
import java.util.HashMap;
import java.util.HashSet;
import java.util.IdentityHashMap;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The in-memory model that passes rewrite: nodes in topological order, constant initializers, graph
 * inputs and outputs, known value shapes, and the model-level fields needed to write a valid ONNX
 * file again.
 *
 * <p>Passes change the graph through the mutable lists and maps it exposes, then call {@link
 * #removeUnused()} and, in tests, {@link #check()}.
 */
public final class Graph {
  private final List<Node> nodes = new ArrayList<>();
  private final Map<String, Tensor> initializers = new LinkedHashMap<>();
  private final List<ValueInfo> inputs = new ArrayList<>();
  private final List<ValueInfo> outputs = new ArrayList<>();
  private final Map<String, ValueInfo> valueInfo = new LinkedHashMap<>();
  private final Map<String, Long> opsets = new LinkedHashMap<>();
  private final ModelInfo model;
  private String name = "main";
  private int nameCounter;

  /** Model-level fields of the ONNX file, carried through unchanged. */
  public record ModelInfo(
      long irVersion,
      String producerName,
      String producerVersion,
      String domain,
      long modelVersion,
      String docString,
      List<StringStringEntryProto> metadataProps) {

    /** The fields bnfold writes into models it creates from scratch. */
    public static ModelInfo defaults() {
      return new ModelInfo(8, "bnfold", "", "", 0, "", List.of());
    }
  }

  public Graph(ModelInfo model) {
    this.model = model;
  }

  public ModelInfo modelInfo() {
    return model;
  }

  public String name() {
    return name;
  }

  public void setName(String name) {
    this.name = name;
  }

  /** Nodes in topological order (mutable). */
  public List<Node> nodes() {
    return nodes;
  }

  /** Constant tensors by value name (mutable). */
  public Map<String, Tensor> initializers() {
    return initializers;
  }

  /** Graph inputs that are not initializers (mutable). */
  public List<ValueInfo> inputs() {
    return inputs;
  }

  /** Graph outputs (mutable). */
  public List<ValueInfo> outputs() {
    return outputs;
  }

  /** Known type and shape of intermediate values, by name (mutable). */
  public Map<String, ValueInfo> valueInfo() {
    return valueInfo;
  }

  /** Operator set versions by domain ("" is the default ONNX domain) (mutable). */
  public Map<String, Long> opsets() {
    return opsets;
  }

  /** The version of the default ONNX operator set this model imports. */
  public long onnxOpset() {
    return opsets.getOrDefault("", 1L);
  }

  /** Whether {@code value} is a constant initializer that is not also a graph input. */
  public boolean isConstant(String value) {
    return initializers.containsKey(value)
        && inputs.stream().noneMatch(i -> i.name().equals(value));
  }

  /** The constant tensor named {@code value}, or null if it is not a constant. */
  public Tensor constant(String value) {
    return isConstant(value) ? initializers.get(value) : null;
  }

  public boolean isGraphOutput(String value) {
    return outputs.stream().anyMatch(o -> o.name().equals(value));
  }

  /** The node that produces {@code value}, or null for inputs, initializers and unknown names. */
  public Node producer(String value) {
    for (Node n : nodes) {
      if (n.outputs().contains(value)) {
        return n;
      }
    }
    return null;
  }

  /** The nodes that read {@code value}, each listed once, in graph order. */
  public List<Node> consumers(String value) {
    List<Node> out = new ArrayList<>();
    for (Node n : nodes) {
      if (n.inputs().contains(value)) {
        out.add(n);
      }
    }
    return out;
  }

  /**
   * Whether {@code value} is read by exactly one node, once, and is not a graph output: the
   * condition for rewriting its producer without changing what anyone else sees.
   */
  public boolean hasSingleUse(String value) {
    if (isGraphOutput(value)) {
      return false;
    }
    int uses = 0;
    for (Node n : nodes) {
      for (String in : n.inputs()) {
        if (in.equals(value)) {
          uses++;
        }
      }
    }
    return uses == 1;
  }

  /** Known type and shape of any value: input, output, initializer or intermediate; or null. */
  public ValueInfo info(String value) {
    Tensor t = initializers.get(value);
    if (t != null) {
      List<Dim> dims = new ArrayList<>();
      for (long d : t.dims()) {
        dims.add(Dim.of(d));
      }
      return new ValueInfo(value, t.type(), dims);
    }
    for (ValueInfo v : inputs) {
      if (v.name().equals(value)) {
        return v;
      }
    }
    ValueInfo v = valueInfo.get(value);
    if (v != null) {
      return v;
    }
    for (ValueInfo o : outputs) {
      if (o.name().equals(value)) {
        return o;
      }
    }
    return null;
  }

  /** Static dims of {@code value}, or null when its shape is not fully known. */
  public long[] staticDims(String value) {
    ValueInfo v = info(value);
    return v != null && v.hasStaticShape() ? v.dims() : null;
  }

  /** A value or node name that is not used anywhere in the graph yet, derived from {@code base}. */
  public String freshName(String base) {
    Set<String> used = new HashSet<>(initializers.keySet());
    for (Node n : nodes) {
      used.add(n.name());
      used.addAll(n.inputs());
      used.addAll(n.outputs());
    }
    inputs.forEach(v -> used.add(v.name()));
    outputs.forEach(v -> used.add(v.name()));
    String candidate = base;
    while (used.contains(candidate)) {
      candidate = base + "_" + (++nameCounter);
    }
    return candidate;
  }

  /** Adds a new constant under a fresh name derived from {@code base} and returns the name. */
  public String addConstant(String base, Tensor t) {
    String n = freshName(base);
    initializers.put(n, t);
    return n;
  }

  /**
   * Renames every read of {@code from} to {@code to}, in nodes and graph outputs. Used when a node
   * is removed and its consumers should read its input instead.
   */
  public void replaceUses(String from, String to) {
    for (Node n : nodes) {
      n.inputs().replaceAll(in -> in.equals(from) ? to : in);
    }
  }

  /**
   * Removes nodes whose outputs nobody reads (and that are not graph outputs) and initializers
   * nobody reads, repeatedly until nothing changes. Returns how many nodes were removed.
   */
  public int removeUnused() {
    int removed = 0;
    boolean changed = true;
    while (changed) {
      changed = false;
      Set<String> read = new HashSet<>();
      for (Node n : nodes) {
        read.addAll(n.inputs());
      }
      outputs.forEach(o -> read.add(o.name()));
      for (int i = nodes.size() - 1; i >= 0; i--) {
        Node n = nodes.get(i);
        if (n.outputs().stream().noneMatch(read::contains)) {
          nodes.remove(i);
          removed++;
          changed = true;
        }
      }
      if (!changed) {
        initializers.keySet().removeIf(k -> !read.contains(k));
        valueInfo.keySet().removeIf(k -> !read.contains(k) && producer(k) == null);
      }
    }
    return removed;
  }

  /**
   * Reorders nodes topologically (stable: keeps file order where it is valid).
   *
   * @throws IllegalStateException naming a node on a cycle or reading an undefined value
   */
  public void sortTopologically() {
    Map<String, Node> producers = new HashMap<>();
    for (Node n : nodes) {
      for (String o : n.outputs()) {
        if (!o.isEmpty() && producers.put(o, n) != null) {
          throw new IllegalStateException("value '" + o + "' is produced by two nodes");
        }
      }
    }
    Set<String> available = new HashSet<>(initializers.keySet());
    inputs.forEach(v -> available.add(v.name()));
    available.add("");
    Map<Node, Integer> waiting = new LinkedHashMap<>();
    Map<String, List<Node>> readers = new HashMap<>();
    Deque<Node> ready = new ArrayDeque<>();
    for (Node n : nodes) {
      int missing = 0;
      for (String in : new LinkedHashSet<>(n.inputs())) {
        if (!available.contains(in)) {
          if (!producers.containsKey(in)) {
            throw new IllegalStateException(
                n.describe() + " reads '" + in + "', which no node, input or initializer defines");
          }
          missing++;
          readers.computeIfAbsent(in, k -> new ArrayList<>()).add(n);
        }
      }
      waiting.put(n, missing);
      if (missing == 0) {
        ready.add(n);
      }
    }
    List<Node> order = new ArrayList<>(nodes.size());
    while (!ready.isEmpty()) {
      Node n = ready.poll();
      order.add(n);
      for (String o : n.outputs()) {
        for (Node r : readers.getOrDefault(o, List.of())) {
          int left = waiting.merge(r, -1, Integer::sum);
          if (left == 0) {
            ready.add(r);
          }
        }
      }
    }
    if (order.size() != nodes.size()) {
      Set<Node> sorted = Collections.newSetFromMap(new IdentityHashMap<>());
      sorted.addAll(order);
      Node stuck = nodes.stream().filter(n -> !sorted.contains(n)).findFirst().orElseThrow();
      throw new IllegalStateException("the graph has a cycle through " + stuck.describe());
    }
    nodes.clear();
    nodes.addAll(order);
  }

  /**
   * Checks that the graph is consistent: every value read is defined before it is read, no value is
   * defined twice, every graph output is defined.
   *
   * @throws IllegalStateException describing the first problem
   */
  public void check() {
    Set<String> defined = new HashSet<>(initializers.keySet());
    inputs.forEach(v -> defined.add(v.name()));
    for (Node n : nodes) {
      for (String in : n.inputs()) {
        if (!in.isEmpty() && !defined.contains(in)) {
          throw new IllegalStateException(n.describe() + " reads undefined value '" + in + "'");
        }
      }
      for (String o : n.outputs()) {
        if (!o.isEmpty() && !defined.add(o)) {
          throw new IllegalStateException(n.describe() + " redefines value '" + o + "'");
        }
      }
    }
    for (ValueInfo o : outputs) {
      if (!defined.contains(o.name())) {
        throw new IllegalStateException("graph output '" + o.name() + "' is not computed");
      }
    }
  }

  /** Number of nodes with the given ONNX op type. */
  public long count(String opType) {
    return nodes.stream().filter(n -> n.is(opType)).count();
  }
}
