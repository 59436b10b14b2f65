package dev.bnfold.converter.passes;

import dev.bnfold.converter.graph.Graph;
import dev.bnfold.converter.graph.Node;
import dev.bnfold.converter.graph.Tensor;
import dev.bnfold.runtime.ModelFormatException;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * Turns every inference-mode BatchNormalization into the internal per-channel affine op.
 *
 * <pre>
 * Before:  x -> BatchNormalization(γ, β, μ, σ², ε) -> y
 * After:   x -> ChannelAffine(s, t) -> y          (same node name)
 * </pre>
 *
 * <p>Formula, in double: {@code s_c = γ_c / sqrt(σ²_c + ε)}, {@code t_c = β_c − μ_c·s_c}; ε is 1e-5
 * when the attribute is absent.
 *
 * <p>Preconditions (otherwise the BN is left and the reason recorded): the node's fold is not
 * disabled; training_mode is 0 and only the first output is used; not the per-element statistics of
 * opset &lt; 9 {@code spatial=0} (unless the input has no spatial extent, as in [N, C]); γ, β, μ
 * and σ² are float constant initializers of shape [C] (not graph inputs); the rank of x is known.
 *
 * <p>Errors (a {@link ModelFormatException} naming the node): NaN or infinite statistics, a
 * negative variance, or a scale that overflows float because σ²+ε is too small.
 */
public final class BatchNormToAffine implements Pass {
  static final String BN = "BatchNormalization";

  @Override
  public String name() {
    return "batchnorm-to-affine";
  }

  @Override
  public boolean run(Graph graph, PassContext context) {
    nameUnnamed(graph);
    boolean changed = false;
    for (Node bn : new ArrayList<>(graph.nodes())) {
      if (!bn.is(BN)) {
        continue;
      }
      String why = whyNot(graph, bn, context);
      if (why != null) {
        context.record(new FoldRecord(bn.name(), BN, FoldOutcome.LEFT, null, why));
        continue;
      }
      double[][] st = scaleShift(graph, bn);
      Node affine =
          ChannelAffine.create(graph, bn.name(), bn.input(0), bn.output(0), st[0], st[1], BN);
      GraphEdit.replace(graph, List.of(bn), List.of(affine));
      context.record(
          new FoldRecord(
              bn.name(),
              BN,
              FoldOutcome.TURNED_INTO_AFFINE,
              null,
              "no linear neighbour to fold into"));
      changed = true;
    }
    return changed;
  }

  /** Gives every BN a unique, non-empty name: folds are disabled and explained by name. */
  private static void nameUnnamed(Graph graph) {
    Set<String> seen = new HashSet<>();
    for (Node n : graph.nodes()) {
      if (n.is(BN) && (n.name().isEmpty() || !seen.add(n.name()))) {
        n.setName(
            graph.freshName(n.name().isEmpty() ? "BatchNormalization_" + n.output(0) : n.name()));
        seen.add(n.name());
      }
    }
  }

  /** Why {@code bn} cannot become an affine map, or null if it can. */
  static String whyNot(Graph graph, Node bn, PassContext context) {
    if (context.isDisabled(bn.name())) {
      return context.disabledReason(bn.name());
    }
    if (bn.attrInt("training_mode", 0) != 0) {
      return "training_mode=1: the statistics are computed from the batch";
    }
    for (int i = 1; i < bn.outputs().size(); i++) {
      if (!bn.output(i).isEmpty()) {
        return "training outputs (running mean/var) are requested";
      }
    }
    if (graph.onnxOpset() < 9 && bn.attrInt("spatial", 1) == 0 && !perChannelAnyway(graph, bn)) {
      return "spatial=0: per-element statistics are not folded";
    }
    String[] roles = {"scale", "B", "mean", "var"};
    long c = -1;
    for (int i = 1; i <= 4; i++) {
      String p = bn.input(i);
      Tensor t = GraphEdit.floatConstant(graph, p);
      if (t == null) {
        return "parameter "
            + roles[i - 1]
            + " '"
            + p
            + "' is not a float constant initializer"
            + (graph.initializers().containsKey(p) ? " (it is overridden by a graph input)" : "");
      }
      if (t.rank() != 1 || (c >= 0 && t.dim(0) != c)) {
        return "parameter " + roles[i - 1] + " '" + p + "' has shape " + t + ", expected [C]";
      }
      c = t.dim(0);
    }
    int rank = GraphEdit.rank(graph, bn.input(0));
    if (rank < 2) {
      return rank < 0 ? "the rank of the input is unknown" : "the input has rank " + rank;
    }
    var info = graph.info(bn.input(0));
    long[] dims = info == null ? null : info.dims();
    if (dims != null && dims[1] >= 0 && dims[1] != c) {
      return "the input has " + dims[1] + " channels but the parameters " + c;
    }
    return null;
  }

  /**
   * Whether a spatial=0 BN is per-channel all the same: every dimension after the channel axis of
   * its input is 1 (e.g. BatchNorm1d on [N, C]), so per-element statistics are per-channel ones.
   */
  private static boolean perChannelAnyway(Graph graph, Node bn) {
    var info = graph.info(bn.input(0));
    if (info == null || info.shape() == null || info.shape().size() < 2) {
      return false;
    }
    for (int i = 2; i < info.shape().size(); i++) {
      if (!info.shape().get(i).isKnown() || info.shape().get(i).value() != 1) {
        return false;
      }
    }
    return true;
  }

  /**
   * {s, t} of {@code bn} in double.
   *
   * @throws ModelFormatException for NaN/Inf statistics, negative variance or an overflowing scale
   */
  static double[][] scaleShift(Graph graph, Node bn) {
    double[] gamma = graph.constant(bn.input(1)).doubles();
    double[] beta = graph.constant(bn.input(2)).doubles();
    double[] mean = graph.constant(bn.input(3)).doubles();
    double[] var = graph.constant(bn.input(4)).doubles();
    double eps = bn.hasAttribute("epsilon") ? bn.attrFloat("epsilon", 1e-5f) : 1e-5;
    checkFinite(bn, "scale", gamma);
    checkFinite(bn, "B", beta);
    checkFinite(bn, "mean", mean);
    checkFinite(bn, "var", var);
    if (!Double.isFinite(eps) || eps < 0) {
      throw new ModelFormatException(
          bn.describe() + ": epsilon " + eps + " is not a finite value >= 0");
    }
    int c = gamma.length;
    double[] s = new double[c];
    double[] t = new double[c];
    for (int i = 0; i < c; i++) {
      if (var[i] < 0) {
        throw new ModelFormatException(
            bn.describe() + ": variance of channel " + i + " is negative (" + var[i] + ")");
      }
      s[i] = gamma[i] / Math.sqrt(var[i] + eps);
      t[i] = beta[i] - mean[i] * s[i];
      if (!(Math.abs(s[i]) <= Float.MAX_VALUE) || !(Math.abs(t[i]) <= Float.MAX_VALUE)) {
        throw new ModelFormatException(
            bn.describe()
                + ": channel "
                + i
                + " has variance+epsilon "
                + (var[i] + eps)
                + ", so its scale "
                + s[i]
                + " overflows float");
      }
    }
    return new double[][] {s, t};
  }

  private static void checkFinite(Node bn, String role, double[] v) {
    for (int i = 0; i < v.length; i++) {
      if (!Double.isFinite(v[i])) {
        throw new ModelFormatException(
            bn.describe() + ": " + role + " of channel " + i + " is " + v[i] + " (not finite)");
      }
    }
  }
}
