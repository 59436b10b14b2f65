package dev.bnfold.runtime.ops;

import dev.bnfold.runtime.ModelFormatException;
import dev.bnfold.runtime.UnsupportedModelException;
import dev.bnfold.runtime.format.NodeDef;

/**
 * A parsed node: attributes resolved with spec defaults, load-time constants (shape vectors, axes)
 * read. Immutable; {@link #bind} specialises it for concrete shapes.
 */
public abstract class Op {
  /** The node this op was parsed from. */
  protected final NodeDef node;

  /** Creates an op for {@code node}. */
  protected Op(NodeDef node) {
    this.node = node;
  }

  /** The node this op was parsed from. */
  public final NodeDef node() {
    return node;
  }

  /**
   * True if input {@code index} was consumed at load time (an int64 constant such as a Reshape
   * shape) and is not read at run time.
   */
  public boolean loadTimeInput(int index) {
    return false;
  }

  /**
   * Output shapes for the given input shapes (null entries for absent optional inputs).
   *
   * @throws IllegalArgumentException if the shapes do not fit the op
   */
  public abstract int[][] inferShapes(int[][] in);

  /** Specialises the op for concrete shapes and buffers. */
  public abstract Step bind(Binding b);

  /**
   * True if output 0 has the same elements in the same order as input 0 (Reshape, Flatten,
   * Identity...), so it can share input 0's buffer.
   */
  public boolean isView() {
    return false;
  }

  /** This op as an element-wise activation that a producer could apply in its epilogue, or null. */
  public Activation asActivation() {
    return null;
  }

  /**
   * Asks the op to apply {@code act} to its output; returns false if it cannot (then the activation
   * stays a separate node).
   */
  public boolean fuse(Activation act) {
    return false;
  }

  /**
   * Asks the op to take one more input, appended after its own (after absent optional ones), and
   * add it to its output before its fused activation: a residual connection {@code Conv -> Add}
   * folded into the Conv. The appended input may broadcast against the output. Returns false if the
   * op cannot (then the Add stays a separate node).
   */
  public boolean fuseResidual() {
    return false;
  }

  /**
   * True if the op can run in the channel-blocked layout of {@code kernels} for these shapes (see
   * {@link dev.bnfold.runtime.kernels.BlockedKernels}): then input 0, a fused residual addend and
   * output 0 may each be blocked or plain ({@link Binding#runBlocked}).
   */
  public boolean blockable(
      int[][] in, int[][] out, dev.bnfold.runtime.kernels.BlockedKernels kernels) {
    return false;
  }

  /**
   * For an op that {@link #blockable runs blocked}: true if input {@code input} (of shapes {@code
   * in}) may arrive in the blocked layout; the others always arrive plain.
   */
  public boolean acceptsBlocked(int input, int[][] in) {
    return input == 0;
  }

  /** The activation fused into this op, or null. */
  public Activation fused() {
    return null;
  }

  /** Shape error helper: {@code IllegalArgumentException} with the message. */
  protected static IllegalArgumentException shapeError(String message) {
    return new IllegalArgumentException(message);
  }

  /** Number of inputs present (non-empty names). */
  protected int inputCount() {
    int n = node.inputs().size();
    while (n > 0 && node.inputs().get(n - 1).isEmpty()) {
      n--;
    }
    return n;
  }

  /** True if input {@code i} is present. */
  protected boolean hasInput(int i) {
    return i < node.inputs().size() && !node.inputs().get(i).isEmpty();
  }

  /** Fails unless the node has between min and max inputs and between 1 and maxOut outputs. */
  protected void arity(int min, int max, int maxOut) {
    int n = inputCount();
    if (n < min || node.inputs().size() > max) {
      throw new ModelFormatException(
          "node "
              + node.describe()
              + " has "
              + node.inputs().size()
              + " inputs, expected "
              + (min == max ? min : min + ".." + max));
    }
    for (int i = 0; i < min; i++) {
      if (!hasInput(i)) {
        throw new ModelFormatException("node " + node.describe() + ": input " + i + " is required");
      }
    }
    if (node.outputs().isEmpty() || node.outputs().get(0).isEmpty()) {
      throw new ModelFormatException("node " + node.describe() + " has no output");
    }
    for (int i = maxOut; i < node.outputs().size(); i++) {
      if (!node.outputs().get(i).isEmpty()) {
        throw new UnsupportedModelException(
            "node "
                + node.describe()
                + ": output "
                + i
                + " ('"
                + node.outputs().get(i)
                + "') is not supported");
      }
    }
  }

  /** The int64 constant feeding input {@code i}, or fails as unsupported. */
  protected long[] constantLongs(OpContext ctx, int i, String what) {
    long[] v = ctx.constantLongs(node.inputs().get(i));
    if (v == null) {
      throw new UnsupportedModelException(
          "node "
              + node.describe()
              + ": input "
              + i
              + " ("
              + what
              + ") must be an int64 constant; '"
              + node.inputs().get(i)
              + "' is computed at run time");
    }
    return v;
  }

  /** The float constant feeding input {@code i} (scalar expected), or fails as unsupported. */
  protected float constantScalar(OpContext ctx, int i, String what) {
    float[] v = ctx.constantFloats(node.inputs().get(i));
    if (v == null || v.length != 1) {
      throw new UnsupportedModelException(
          "node "
              + node.describe()
              + ": input "
              + i
              + " ("
              + what
              + ") must be a float scalar constant");
    }
    return v[0];
  }
}
