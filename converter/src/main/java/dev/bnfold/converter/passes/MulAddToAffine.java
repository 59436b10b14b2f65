package dev.bnfold.converter.passes;

import dev.bnfold.converter.graph.Graph;
import dev.bnfold.converter.graph.Node;
import dev.bnfold.converter.graph.Tensor;
import java.util.ArrayList;
import java.util.List;

/**
 * Recognises a constant per-channel Mul then Add after a Conv (how TensorFlow exports BN) as a
 * per-channel affine map, so that {@link FoldAffineIntoProducer} absorbs it like a BN.
 *
 * <pre>
 * Before:  x -> Conv -> Mul(m) -> Add(a) -> y        (m, a constants of shape [C,1,..], [1,C,1,..] or [C] per channel)
 * After:   x -> Conv -> ChannelAffine(s = m, t = a) -> y   (named after the Mul)
 * </pre>
 *
 * <p>Preconditions: the Mul's other input is produced by a Conv or ConvTranspose; both constants
 * hold one value per channel of axis 1 (every other dimension 1); the Mul's output is read only by
 * the Add. An unfolded map is written back as the same Mul+Add by {@link LowerChannelAffine}.
 */
public final class MulAddToAffine implements Pass {
  static final String SOURCE = "Mul+Add";

  @Override
  public String name() {
    return "mul-add-to-affine";
  }

  @Override
  public boolean run(Graph graph, PassContext context) {
    boolean changed = false;
    for (Node mul : new ArrayList<>(graph.nodes())) {
      if (!mul.is("Mul")) {
        continue;
      }
      Node p = graph.producer(mul.input(0));
      if (p == null || !(p.is("Conv") || p.is("ConvTranspose"))) {
        continue;
      }
      int rank = GraphEdit.rank(graph, mul.input(0));
      double[] m = perChannel(graph.constant(mul.input(1)), rank);
      List<Node> next = graph.consumers(mul.output(0));
      if (m == null || next.size() != 1 || !graph.hasSingleUse(mul.output(0))) {
        continue;
      }
      Node add = next.get(0);
      int other = add.input(0).equals(mul.output(0)) ? 1 : 0;
      double[] t = add.is("Add") ? perChannel(graph.constant(add.input(other)), rank) : null;
      if (t == null || t.length != m.length) {
        continue;
      }
      if (mul.name().isEmpty()) {
        mul.setName(graph.freshName("Mul_" + mul.output(0))); // folds are tracked by name
      }
      if (context.isDisabled(mul.name())) {
        context.record(
            new FoldRecord(
                mul.name(), SOURCE, FoldOutcome.LEFT, null, context.disabledReason(mul.name())));
        continue;
      }
      Node affine =
          ChannelAffine.create(graph, mul.name(), mul.input(0), add.output(0), m, t, SOURCE);
      GraphEdit.replace(graph, List.of(mul, add), List.of(affine));
      context.record(
          new FoldRecord(
              mul.name(), SOURCE, FoldOutcome.TURNED_INTO_AFFINE, null, "kept as Mul+Add"));
      changed = true;
    }
    return changed;
  }

  /** The values of a constant that varies only along axis 1 of a rank-r value, or null. */
  static double[] perChannel(Tensor c, int rank) {
    if (c == null
        || rank < 2
        || c.rank() > rank
        || c.type() != dev.bnfold.converter.graph.DataType.FLOAT) {
      return null;
    }
    long[] d = c.dims();
    int channelAxis = d.length - (rank - 1); // axis 1 of the value, right-aligned
    if (channelAxis < 0) {
      return null;
    }
    for (int i = 0; i < d.length; i++) {
      if (i != channelAxis && d[i] != 1) {
        return null;
      }
    }
    return c.doubles();
  }
}
