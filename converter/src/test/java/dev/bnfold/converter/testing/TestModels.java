package dev.bnfold.converter.testing;

import dev.bnfold.converter.graph.DataType;
import dev.bnfold.converter.graph.Dim;
import dev.bnfold.converter.graph.Graph;
import dev.bnfold.converter.graph.Node;
import dev.bnfold.converter.graph.Tensor;
import dev.bnfold.converter.graph.ValueInfo;
import dev.bnfold.converter.io.NdArray;
import dev.bnfold.converter.onnx.OnnxWriter;
import dev.bnfold.converter.verify.OrtRunner;
import dev.bnfold.onnx.Onnx.AttributeProto;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;

/**
 * A fluent builder of small test models with seeded random weights: Conv, ConvTranspose, Gemm,
 * MatMul, BN (variance > 0) and any other op, so that every golden model of the tests is rebuilt
 * from code.
 *
 * <pre>{@code
 * TestModels m = new TestModels(1);
 * String x = m.input("x", -1, 3, 8, 8);             // -1: symbolic batch "N"
 * String y = m.bn(m.conv(x, 3, 8, 3, true, TestModels.pads(1)), 8);
 * Graph g = m.output(y).build();
 * }</pre>
 */
public final class TestModels {
  private final Graph graph = new Graph(Graph.ModelInfo.defaults());
  private final SplittableRandom random;
  private int counter;

  /** A builder for an opset-13 model with weights drawn from {@code seed}. */
  public TestModels(long seed) {
    this(seed, 13);
  }

  public TestModels(long seed, long opset) {
    this.random = new SplittableRandom(seed);
    graph.opsets().put("", opset);
  }

  /** The graph under construction (for direct edits). */
  public Graph graph() {
    return graph;
  }

  /** Adds a float input; a dim of -1 is the symbolic batch "N". Returns its name. */
  public String input(String name, long... dims) {
    List<Dim> shape = new ArrayList<>();
    for (long d : dims) {
      shape.add(d < 0 ? Dim.symbol("N") : Dim.of(d));
    }
    graph.inputs().add(new ValueInfo(name, DataType.FLOAT, shape));
    return name;
  }

  /** Marks {@code value} as a float graph output of unspecified shape. */
  public TestModels output(String value) {
    graph.outputs().add(new ValueInfo(value, DataType.FLOAT, null));
    return this;
  }

  public Graph build() {
    graph.check();
    return graph;
  }

  /** The serialized model. */
  public byte[] bytes() {
    return OnnxWriter.toBytes(build());
  }

  /** A float constant with the given values. */
  public String constant(String base, long[] dims, float[] values) {
    return graph.addConstant(base, Tensor.ofFloats(dims, values));
  }

  /** A float constant of uniform values in [lo, hi). */
  public String random(String base, double lo, double hi, long... dims) {
    float[] v = new float[(int) Tensor.elementCount(dims)];
    for (int i = 0; i < v.length; i++) {
      v[i] = (float) (lo + (hi - lo) * random.nextDouble());
    }
    return constant(base, dims, v);
  }

  /** Adds a node and returns its (first) output. */
  public String node(String op, List<String> inputs, AttributeProto... attrs) {
    return node(op, fresh(op.toLowerCase()), inputs, 1, attrs).get(0);
  }

  /** Adds a named node with {@code outputs} outputs and returns their names. */
  public List<String> node(
      String op, String name, List<String> inputs, int outputs, AttributeProto... attrs) {
    List<String> outs = new ArrayList<>();
    for (int i = 0; i < outputs; i++) {
      outs.add(graph.freshName(name + "_out" + (i == 0 ? "" : i)));
    }
    graph.nodes().add(new Node(name, op, "", inputs, outs, Arrays.asList(attrs)));
    return outs;
  }

  private String fresh(String base) {
    return base + (++counter);
  }

  /** Conv with random W[cout, cin/g, k...] (rank from {@code kernel}) and optional bias. */
  public String conv(
      String x, int cin, int cout, long[] kernel, boolean bias, AttributeProto... attrs) {
    long group = 1;
    for (AttributeProto a : attrs) {
      if (a.getName().equals("group")) {
        group = a.getI();
      }
    }
    long[] wd = new long[2 + kernel.length];
    wd[0] = cout;
    wd[1] = cin / group;
    System.arraycopy(kernel, 0, wd, 2, kernel.length);
    String name = fresh("conv");
    List<String> in = new ArrayList<>(List.of(x, random(name + "_W", -0.5, 0.5, wd)));
    if (bias) {
      in.add(random(name + "_b", -0.5, 0.5, cout));
    }
    return node("Conv", name, in, 1, attrs).get(0);
  }

  /** 2-D Conv with a k x k kernel. */
  public String conv(String x, int cin, int cout, int k, boolean bias, AttributeProto... attrs) {
    return conv(x, cin, cout, new long[] {k, k}, bias, attrs);
  }

  /** ConvTranspose with random W[cin, cout/g, k, k]. */
  public String convTranspose(
      String x, int cin, int cout, int k, boolean bias, AttributeProto... attrs) {
    long group = 1;
    for (AttributeProto a : attrs) {
      if (a.getName().equals("group")) {
        group = a.getI();
      }
    }
    String name = fresh("convT");
    List<String> in =
        new ArrayList<>(List.of(x, random(name + "_W", -0.5, 0.5, cin, cout / group, k, k)));
    if (bias) {
      in.add(random(name + "_b", -0.5, 0.5, cout));
    }
    return node("ConvTranspose", name, in, 1, attrs).get(0);
  }

  /** BN over {@code c} channels with random γ, β, μ and σ² > 0; named bn1, bn2, ... */
  public String bn(String x, int c, AttributeProto... attrs) {
    return bn(x, c, fresh("bn"), attrs);
  }

  /** A named BN with random statistics. */
  public String bn(String x, int c, String name, AttributeProto... attrs) {
    List<String> in =
        List.of(
            x,
            random(name + "_gamma", 0.5, 1.5, c),
            random(name + "_beta", -0.5, 0.5, c),
            random(name + "_mean", -0.5, 0.5, c),
            random(name + "_var", 0.2, 2.0, c));
    return node("BatchNormalization", name, in, 1, attrs).get(0);
  }

  /** A BN with the given parameter values. */
  public String bn(String x, String name, float[] gamma, float[] beta, float[] mean, float[] var) {
    long[] d = {gamma.length};
    List<String> in =
        List.of(
            x,
            constant(name + "_gamma", d, gamma),
            constant(name + "_beta", d, beta),
            constant(name + "_mean", d, mean),
            constant(name + "_var", d, var));
    return node("BatchNormalization", name, in, 1).get(0);
  }

  /**
   * Gemm of a [M,k] input with random B ([k,n], or [n,k] when transB) and C of shape {@code cDims}
   * (null: no C).
   */
  public String gemm(
      String a, int k, int n, boolean transB, float alpha, float beta, long[] cDims) {
    String name = fresh("gemm");
    List<String> in =
        new ArrayList<>(
            List.of(
                a, random(name + "_B", -0.5, 0.5, transB ? new long[] {n, k} : new long[] {k, n})));
    if (cDims != null) {
      in.add(random(name + "_C", -0.5, 0.5, cDims));
    }
    return node(
            "Gemm",
            name,
            in,
            1,
            Node.intAttr("transB", transB ? 1 : 0),
            Node.floatAttr("alpha", alpha),
            Node.floatAttr("beta", beta))
        .get(0);
  }

  /** MatMul with a random constant B[k, n]. */
  public String matMul(String a, int k, int n) {
    String name = fresh("matmul");
    return node("MatMul", name, List.of(a, random(name + "_B", -0.5, 0.5, k, n)), 1).get(0);
  }

  public String relu(String x) {
    return node("Relu", List.of(x));
  }

  /** {@code pads} attribute with the same padding on every side of a 2-D conv. */
  public static AttributeProto pads(long p) {
    return Node.intsAttr("pads", p, p, p, p);
  }

  public static AttributeProto group(long g) {
    return Node.intAttr("group", g);
  }

  /** Seeded standard-normal inputs for every graph input (symbolic dims = {@code batch}). */
  public static Map<String, NdArray> randomInputs(Graph g, long seed, int batch) {
    SplittableRandom r = new SplittableRandom(seed);
    Map<String, NdArray> out = new java.util.LinkedHashMap<>();
    for (ValueInfo v : g.inputs()) {
      long[] shape = v.shape().stream().mapToLong(d -> d.isKnown() ? d.value() : batch).toArray();
      float[] f = new float[(int) Tensor.elementCount(shape)];
      for (int i = 0; i < f.length; i++) {
        f[i] = (float) (r.nextDouble() * 2 - 1);
      }
      out.put(v.name(), NdArray.ofFloats(shape, f));
    }
    return out;
  }

  /** Runs {@code g} in ONNX Runtime without graph optimizations. */
  public static Map<String, NdArray> run(Graph g, Map<String, NdArray> inputs) {
    try (OrtRunner ort = new OrtRunner(OnnxWriter.toBytes(g), false, 1)) {
      return ort.run(inputs);
    }
  }
}
