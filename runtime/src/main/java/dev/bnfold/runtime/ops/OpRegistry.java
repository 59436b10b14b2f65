package dev.bnfold.runtime.ops;

import dev.bnfold.runtime.UnsupportedModelException;
import dev.bnfold.runtime.format.NodeDef;
import dev.bnfold.runtime.kernels.GemmMicroKernel;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

/**
 * Op type name to a small parse function that applies the spec defaults and rejects what is not
 * supported, naming the node, the attribute and the reason.
 */
public final class OpRegistry {
  /** Parses one node into an op. */
  @FunctionalInterface
  interface Factory {
    Op create(NodeDef node, Attrs attrs, OpContext ctx, GemmMicroKernel gemm);
  }

  private static final Map<String, Factory> OPS = new TreeMap<>();

  static {
    OPS.put("Conv", (n, a, c, g) -> ConvOp.create(n, a, c, g));
    OPS.put("ConvTranspose", (n, a, c, g) -> ConvTransposeOp.create(n, a, c));
    OPS.put("Gemm", (n, a, c, g) -> GemmOp.create(n, a, c, g));
    OPS.put("MatMul", (n, a, c, g) -> MatMulOp.create(n, a, c, g));
    OPS.put("Add", (n, a, c, g) -> new BinaryOp(n, BinaryOp.Kind.ADD));
    OPS.put("Sub", (n, a, c, g) -> new BinaryOp(n, BinaryOp.Kind.SUB));
    OPS.put("Mul", (n, a, c, g) -> new BinaryOp(n, BinaryOp.Kind.MUL));
    OPS.put("Div", (n, a, c, g) -> new BinaryOp(n, BinaryOp.Kind.DIV));
    OPS.put("Pow", (n, a, c, g) -> new BinaryOp(n, BinaryOp.Kind.POW));
    OPS.put("Max", (n, a, c, g) -> new BinaryOp(n, BinaryOp.Kind.MAX));
    OPS.put("Min", (n, a, c, g) -> new BinaryOp(n, BinaryOp.Kind.MIN));
    OPS.put("PRelu", (n, a, c, g) -> new BinaryOp(n, BinaryOp.Kind.PRELU));
    OPS.put("Relu", (n, a, c, g) -> UnaryOp.relu(n, a, c));
    OPS.put("LeakyRelu", (n, a, c, g) -> UnaryOp.leakyRelu(n, a, c));
    OPS.put("Elu", (n, a, c, g) -> UnaryOp.elu(n, a, c));
    OPS.put("Clip", (n, a, c, g) -> UnaryOp.clip(n, a, c));
    OPS.put("HardSigmoid", (n, a, c, g) -> UnaryOp.hardSigmoid(n, a, c));
    OPS.put("HardSwish", (n, a, c, g) -> UnaryOp.hardSwish(n, a, c));
    OPS.put("Sigmoid", (n, a, c, g) -> UnaryOp.simple(n, Activation.Kind.SIGMOID));
    OPS.put("Tanh", (n, a, c, g) -> UnaryOp.simple(n, Activation.Kind.TANH));
    OPS.put("Abs", (n, a, c, g) -> UnaryOp.simple(n, Activation.Kind.ABS));
    OPS.put("Neg", (n, a, c, g) -> UnaryOp.simple(n, Activation.Kind.NEG));
    OPS.put("Exp", (n, a, c, g) -> UnaryOp.simple(n, Activation.Kind.EXP));
    OPS.put("Sqrt", (n, a, c, g) -> UnaryOp.simple(n, Activation.Kind.SQRT));
    OPS.put("Softplus", (n, a, c, g) -> UnaryOp.simple(n, Activation.Kind.SOFTPLUS));
    OPS.put("Reciprocal", (n, a, c, g) -> UnaryOp.simple(n, Activation.Kind.RECIPROCAL));
    OPS.put("Softmax", (n, a, c, g) -> new SoftmaxOp(n, a, c, false));
    OPS.put("LogSoftmax", (n, a, c, g) -> new SoftmaxOp(n, a, c, true));
    OPS.put("MaxPool", (n, a, c, g) -> new PoolOp(n, a, true));
    OPS.put("AveragePool", (n, a, c, g) -> new PoolOp(n, a, false));
    OPS.put("GlobalAveragePool", (n, a, c, g) -> ReduceOp.global(n, ReduceOp.Kind.MEAN));
    OPS.put("GlobalMaxPool", (n, a, c, g) -> ReduceOp.global(n, ReduceOp.Kind.MAX));
    OPS.put("ReduceMean", (n, a, c, g) -> ReduceOp.reduce(n, a, c, ReduceOp.Kind.MEAN));
    OPS.put("ReduceSum", (n, a, c, g) -> ReduceOp.reduce(n, a, c, ReduceOp.Kind.SUM));
    OPS.put("ReduceMax", (n, a, c, g) -> ReduceOp.reduce(n, a, c, ReduceOp.Kind.MAX));
    OPS.put("Identity", (n, a, c, g) -> ViewOp.identity(n, a, c));
    OPS.put("Dropout", (n, a, c, g) -> ViewOp.dropout(n, a, c));
    OPS.put("Flatten", (n, a, c, g) -> ViewOp.flatten(n, a, c));
    OPS.put("Reshape", (n, a, c, g) -> ViewOp.reshape(n, a, c));
    OPS.put("Squeeze", (n, a, c, g) -> ViewOp.squeeze(n, a, c, false));
    OPS.put("Unsqueeze", (n, a, c, g) -> ViewOp.squeeze(n, a, c, true));
    OPS.put("Transpose", (n, a, c, g) -> new LayoutOps.Transpose(n, a));
    OPS.put("Concat", (n, a, c, g) -> new LayoutOps.Concat(n, a));
    OPS.put("Split", (n, a, c, g) -> new LayoutOps.Split(n, a, c));
    OPS.put("Slice", (n, a, c, g) -> new LayoutOps.Slice(n, a, c));
    OPS.put("Pad", (n, a, c, g) -> new LayoutOps.Pad(n, a, c));
    OPS.put("ChannelAffine", (n, a, c, g) -> AffineOps.channelAffine(n, a, c));
    OPS.put("BatchNormalization", (n, a, c, g) -> AffineOps.batchNorm(n, a, c));
  }

  private OpRegistry() {}

  /** The supported op type names, sorted. */
  public static Set<String> supportedOps() {
    return java.util.Collections.unmodifiableSet(OPS.keySet());
  }

  /**
   * An op that applies {@code act} to its one input, for graph rewrites that find an activation
   * spread over several nodes (Mul(x, Sigmoid(x)) as SiLU); {@code node} names it in messages.
   */
  public static Op activation(NodeDef node, Activation act) {
    return UnaryOp.fused(node, act);
  }

  /**
   * Parses a node.
   *
   * @throws UnsupportedModelException if the op type, an attribute or an input is not supported
   * @throws dev.bnfold.runtime.ModelFormatException if the node violates the op's spec
   */
  public static Op parse(NodeDef node, OpContext ctx, GemmMicroKernel gemm) {
    Factory f = OPS.get(node.opType());
    if (f == null) {
      throw new UnsupportedModelException(
          "node " + node.describe() + ": op type '" + node.opType() + "' is not supported");
    }
    Attrs attrs = new Attrs(node);
    Op op = f.create(node, attrs, ctx, gemm);
    attrs.rejectUnread();
    return op;
  }
}
