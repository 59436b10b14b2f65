package dev.bnfold.runtime.ops;

import dev.bnfold.runtime.format.NodeDef;
import dev.bnfold.runtime.kernels.Kernels;

/** Element-wise unary ops (Relu, Clip, Sigmoid, ...): {@code y = f(x)}, any shape. */
final class UnaryOp extends Op {
  /** Floats per piece when a large op is split across workers. */
  private static final int BLOCK = 8192;

  private final Activation act;
  private final boolean clipInputs;

  UnaryOp(NodeDef node, Activation act) {
    this(node, act, false);
  }

  private UnaryOp(NodeDef node, Activation act, boolean clipInputs) {
    super(node);
    this.act = act;
    this.clipInputs = clipInputs;
  }

  @Override
  public boolean loadTimeInput(int index) {
    return clipInputs && index > 0;
  }

  static Op relu(NodeDef n, Attrs a, OpContext c) {
    return make(n, Activation.Kind.RELU, 0, 0);
  }

  static Op leakyRelu(NodeDef n, Attrs a, OpContext c) {
    return make(n, Activation.Kind.LEAKY_RELU, a.f("alpha", 0.01f), 0);
  }

  static Op elu(NodeDef n, Attrs a, OpContext c) {
    return make(n, Activation.Kind.ELU, a.f("alpha", 1f), 0);
  }

  static Op hardSigmoid(NodeDef n, Attrs a, OpContext c) {
    return make(n, Activation.Kind.HARD_SIGMOID, a.f("alpha", 0.2f), a.f("beta", 0.5f));
  }

  /** HardSwish: {@code x * max(0, min(1, x/6 + 1/2))}. */
  static Op hardSwish(NodeDef n, Attrs a, OpContext c) {
    return make(n, Activation.Kind.HARD_SWISH, 1f / 6, 0.5f);
  }

  /**
   * An activation found by a graph rewrite (for example Mul(x, Sigmoid(x)) as SiLU): one input, one
   * output, {@code node} naming it in messages and profiles.
   */
  static Op fused(NodeDef node, Activation act) {
    return new UnaryOp(node, act);
  }

  static Op simple(NodeDef n, Activation.Kind kind) {
    return make(n, kind, 0, 0);
  }

  /** Clip: min/max as attributes (opset < 11) or optional scalar constant inputs (opset >= 11). */
  static Op clip(NodeDef n, Attrs a, OpContext c) {
    float lo = a.f("min", Float.NEGATIVE_INFINITY);
    float hi = a.f("max", Float.POSITIVE_INFINITY);
    UnaryOp probe = new UnaryOp(n, null);
    probe.arity(1, 3, 1);
    if (probe.hasInput(1)) {
      lo = probe.constantScalar(c, 1, "min");
    }
    if (probe.hasInput(2)) {
      hi = probe.constantScalar(c, 2, "max");
    }
    return new UnaryOp(n, new Activation(Activation.Kind.CLIP, lo, hi), true);
  }

  private static Op make(NodeDef n, Activation.Kind kind, float p, float q) {
    UnaryOp op = new UnaryOp(n, new Activation(kind, p, q));
    op.arity(1, 1, 1);
    return op;
  }

  @Override
  public Activation asActivation() {
    return act;
  }

  @Override
  public int[][] inferShapes(int[][] in) {
    return new int[][] {in[0]};
  }

  @Override
  public Step bind(Binding b) {
    int x = b.inIds[0];
    int y = b.outIds[0];
    int n = Shapes.size(b.in[0]);
    Activation a = act.withKernels(Kernels.elementwiseFor(b.gemm));
    int blocks = (n + BLOCK - 1) / BLOCK;
    Parallel.FrameBody body =
        (f, w, b0, b1) -> {
          int from = b0 * BLOCK;
          int len = Math.min(n, b1 * BLOCK) - from;
          a.apply(f.buf[y], f.off[y] + from, f.buf[x], f.off[x] + from, len);
        };
    return f -> {
      if (f.parallel.threads() == 1 || blocks < 4) {
        a.apply(f.buf[y], f.off[y], f.buf[x], f.off[x], n);
      } else {
        f.parallel.forRange(f, blocks, body);
      }
    };
  }
}
