package dev.bnfold.runtime;

import dev.bnfold.runtime.format.Attribute;
import dev.bnfold.runtime.format.ModelWriter;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** Builds and runs a one-node model: runtime inputs, constants, attributes, one or more outputs. */
final class OpCase {
  private final String op;
  private final ModelWriter w = new ModelWriter().producer("test");
  private final List<String> inputs = new ArrayList<>();
  private final List<Attribute> attrs = new ArrayList<>();
  private final Map<String, Tensor> feeds = new LinkedHashMap<>();
  private List<String> outputs = List.of("y");
  private Options options = Options.defaults();

  private OpCase(String op) {
    this.op = op;
    w.opset(18);
  }

  static OpCase of(String op) {
    return new OpCase(op);
  }

  OpCase opset(long opset) {
    w.opset(opset);
    return this;
  }

  /** A runtime input. */
  OpCase input(Tensor t) {
    String name = "in" + inputs.size();
    w.addInput(name, DType.FLOAT32, t.shape());
    feeds.put(name, t);
    inputs.add(name);
    return this;
  }

  /** A float constant input. */
  OpCase constant(Tensor t) {
    String name = "c" + inputs.size();
    w.addConstant(name, t.shape(), t.floatData());
    inputs.add(name);
    return this;
  }

  /** An int64 constant input. */
  OpCase longs(long... v) {
    String name = "c" + inputs.size();
    w.addConstant(name, new long[] {v.length}, v);
    inputs.add(name);
    return this;
  }

  /** An absent optional input. */
  OpCase absent() {
    inputs.add("");
    return this;
  }

  OpCase attr(Attribute a) {
    attrs.add(a);
    return this;
  }

  OpCase outputs(String... names) {
    outputs = List.of(names);
    return this;
  }

  OpCase options(Options o) {
    options = o;
    return this;
  }

  Map<String, Tensor> runAll() {
    w.addNode(op, "node0", inputs, outputs, attrs);
    for (String o : outputs) {
      w.addOutput(o, DType.FLOAT32);
    }
    try (Model m = Model.fromFile(w.build(), op + "-case", options)) {
      return m.run(feeds);
    }
  }

  Tensor run() {
    return runAll().get(outputs.get(0));
  }

  static Tensor t(float[] data, long... shape) {
    return Tensor.of(data, shape);
  }

  static float[] range(int n) {
    float[] a = new float[n];
    for (int i = 0; i < n; i++) {
      a[i] = i + 1;
    }
    return a;
  }

  static float[] random(java.util.Random r, int n) {
    float[] a = new float[n];
    for (int i = 0; i < n; i++) {
      a[i] = r.nextFloat() * 2 - 1;
    }
    return a;
  }
}
