package dev.bnfold.runtime.ops;

import dev.bnfold.runtime.kernels.ElementwiseKernel;
import dev.bnfold.runtime.kernels.Epilogue;
import dev.bnfold.runtime.kernels.Kernels;

/**
 * An element-wise function {@code float -> float}: the standalone unary ops, and the epilogue that
 * Conv, Gemm and MatMul apply when an activation is fused into them. Runs over arrays go through an
 * {@link ElementwiseKernel} (the plain-Java one unless {@link #withKernels} chose another), so the
 * common activations are vectorised where the Vector API is present.
 */
public final class Activation {
  /** The supported functions. */
  public enum Kind {
    /** max(x, 0). */
    RELU,
    /** min(max(x, a), b). */
    CLIP,
    /** x &lt; 0 ? a*x : x. */
    LEAKY_RELU,
    /** 1 / (1 + exp(-x)). */
    SIGMOID,
    /** max(0, min(1, a*x + b)). */
    HARD_SIGMOID,
    /**
     * x * max(0, min(1, a*x + b)): the HardSwish op (a = 1/6, b = 1/2), and Mul(x, HardSigmoid(x))
     * fused.
     */
    HARD_SWISH,
    /** x * sigmoid(x) (SiLU, Swish): Mul(x, Sigmoid(x)) fused. */
    SILU,
    /** tanh(x). */
    TANH,
    /** x &lt; 0 ? a*(exp(x) - 1) : x. */
    ELU,
    /** |x|. */
    ABS,
    /** -x. */
    NEG,
    /** exp(x). */
    EXP,
    /** sqrt(x). */
    SQRT,
    /** ln(1 + exp(x)). */
    SOFTPLUS,
    /** 1 / x. */
    RECIPROCAL
  }

  private final Kind kind;
  private final float a;
  private final float b;
  private final ElementwiseKernel kernels;

  /**
   * Creates an activation with up to two parameters (see {@link Kind}), run by the plain-Java
   * kernels.
   */
  public Activation(Kind kind, float a, float b) {
    this(kind, a, b, Kernels.scalarElementwise());
  }

  private Activation(Kind kind, float a, float b, ElementwiseKernel kernels) {
    this.kind = kind;
    this.a = a;
    this.b = b;
    this.kernels = kernels;
  }

  /** The same function run over arrays by {@code k}. */
  public Activation withKernels(ElementwiseKernel k) {
    return new Activation(kind, a, b, k);
  }

  /** The first parameter (see {@link Kind}). */
  public float a() {
    return a;
  }

  /** The second parameter (see {@link Kind}). */
  public float b() {
    return b;
  }

  /** The function. */
  public Kind kind() {
    return kind;
  }

  /**
   * This function as a kernel epilogue: ReLU and Clip (with min &lt;= max) as {@link
   * Epilogue#clamp}, which the GEMM path applies to each register tile as it is stored; anything
   * else as {@link #apply(float[], int, int)}.
   */
  public Epilogue asEpilogue() {
    if (kind == Kind.RELU) {
      return Epilogue.clamp(0f, Float.POSITIVE_INFINITY, kernels);
    }
    if (kind == Kind.CLIP && a <= b) {
      return Epilogue.clamp(a, b, kernels);
    }
    return this::apply;
  }

  /** Applies the function to one value. */
  public float apply(float x) {
    switch (kind) {
      case RELU:
        return x > 0 ? x : x == x ? 0f : x;
      case CLIP:
        return x < a ? a : x > b ? b : x;
      case LEAKY_RELU:
        return x < 0 ? a * x : x;
      case SIGMOID:
        return (float) (1.0 / (1.0 + Math.exp(-x)));
      case HARD_SIGMOID:
        return Math.max(0f, Math.min(1f, a * x + b));
      case HARD_SWISH:
        return x * Math.max(0f, Math.min(1f, a * x + b));
      case SILU:
        return x * (float) (1.0 / (1.0 + Math.exp(-x)));
      case TANH:
        return (float) Math.tanh(x);
      case ELU:
        return x < 0 ? (float) (a * (Math.exp(x) - 1)) : x;
      case ABS:
        return Math.abs(x);
      case NEG:
        return -x;
      case EXP:
        return (float) Math.exp(x);
      case SQRT:
        return (float) Math.sqrt(x);
      case SOFTPLUS:
        return (float) Math.log1p(Math.exp(x));
      default:
        return 1f / x;
    }
  }

  /** In place over {@code y[off .. off+n)}. */
  public void apply(float[] y, int off, int n) {
    apply(y, off, y, off, n);
  }

  /** {@code dst[dOff+i] = f(src[sOff+i])} for i in [0, n). */
  public void apply(float[] dst, int dOff, float[] src, int sOff, int n) {
    switch (kind) {
      case RELU:
        kernels.clamp(dst, dOff, src, sOff, n, 0f, Float.POSITIVE_INFINITY);
        return;
      case CLIP:
        if (a <= b) {
          kernels.clamp(dst, dOff, src, sOff, n, a, b);
          return;
        }
        for (int i = 0; i < n; i++) {
          float x = src[sOff + i];
          dst[dOff + i] = x < a ? a : x > b ? b : x;
        }
        return;
      case SIGMOID:
        kernels.sigmoid(dst, dOff, src, sOff, n);
        return;
      case SILU:
        kernels.silu(dst, dOff, src, sOff, n);
        return;
      case TANH:
        kernels.tanh(dst, dOff, src, sOff, n);
        return;
      case HARD_SIGMOID:
        kernels.hardSigmoid(dst, dOff, src, sOff, n, a, b);
        return;
      case HARD_SWISH:
        kernels.hardSwish(dst, dOff, src, sOff, n, a, b);
        return;
      default:
        for (int i = 0; i < n; i++) {
          dst[dOff + i] = apply(src[sOff + i]);
        }
    }
  }

  @Override
  public String toString() {
    return kind
        + (kind == Kind.CLIP || kind == Kind.HARD_SIGMOID || kind == Kind.HARD_SWISH
            ? "(" + a + "," + b + ")"
            : "");
  }
}
