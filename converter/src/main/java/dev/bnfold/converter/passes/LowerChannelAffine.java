package dev.bnfold.converter.passes;

import dev.bnfold.converter.graph.Graph;
import dev.bnfold.converter.graph.Node;
import dev.bnfold.converter.graph.Tensor;
import java.util.ArrayList;
import java.util.List;

/**
 * Writes every remaining internal ChannelAffine back as standard ONNX.
 *
 * <pre>
 * Before:  x -> ChannelAffine(s, t) -> y                       (node 'bn1')
 * After:   x -> Mul(s[C,1,...]) -> Add(t[C,1,...]) -> y         (nodes 'bn1/scale', 'bn1/shift')
 * </pre>
 *
 * <p>s and t are rounded once from double to float and shaped [C, 1, ..., 1] (rank of x minus 1) so
 * that they broadcast over axis 1. The node names are derived from the BN's name so that the
 * runtime format can recognise the pair as one channel-affine op.
 *
 * <p>Precondition: the rank of x is known (guaranteed by {@link BatchNormToAffine}).
 */
public final class LowerChannelAffine implements Pass {

  @Override
  public String name() {
    return "lower-channel-affine";
  }

  @Override
  public boolean run(Graph graph, PassContext context) {
    boolean changed = false;
    for (Node n : new ArrayList<>(graph.nodes())) {
      if (!ChannelAffine.is(n)) {
        continue;
      }
      ChannelAffine a = ChannelAffine.of(graph, n);
      int rank = GraphEdit.rank(graph, a.input());
      long[] dims = GraphEdit.channelShape(a.channels(), rank < 0 ? 2 : rank);
      Tensor s = GraphEdit.floats(dims, a.scale());
      Tensor t = GraphEdit.floats(dims, a.shift());
      String sName = graph.addConstant(a.name() + "_scale", s);
      String tName = graph.addConstant(a.name() + "_shift", t);
      String scaled = graph.freshName(a.name() + "_scaled");
      Node mul =
          new Node(
              graph.freshName(a.name() + "/scale"),
              "Mul",
              List.of(a.input(), sName),
              List.of(scaled));
      Node add =
          new Node(
              graph.freshName(a.name() + "/shift"),
              "Add",
              List.of(scaled, tName),
              List.of(a.output()));
      GraphEdit.replace(graph, List.of(n), List.of(mul, add));
      changed = true;
    }
    return changed;
  }
}
