package dev.bnfold.converter.passes;

import dev.bnfold.converter.graph.Graph;
import dev.bnfold.converter.graph.Node;
import dev.bnfold.converter.graph.Tensor;
import java.util.ArrayList;
import java.util.List;

/**
 * Absorbs a per-channel affine map (a BN, see {@link BatchNormToAffine}) into the linear layer that
 * produces its input.
 *
 * <pre>
 * Before:  x -> Conv(W, b) -> ChannelAffine(s, t) -> y
 * After:   x -> Conv(W', b') -> y
 * </pre>
 *
 * <p>Producers and formulas (o = output channel; b = 0 when absent):
 *
 * <ul>
 *   <li>Conv, any group and 1-D/2-D/3-D, W[Cout, Cin/g, k...]: {@code W'[o,...] = s_o·W[o,...]},
 *       {@code b'_o = s_o·b_o + t_o}.
 *   <li>ConvTranspose, W[Cin, Cout/g, k...]: input channel i, column j feeds output channel {@code
 *       o = ⌊i/(Cin/g)⌋·(Cout/g) + j}; {@code W'[i,j,...] = s_o·W[i,j,...]}; bias as for Conv.
 *   <li>Gemm {@code Y = α·A·B + β·C}: column n of B (row n when transB=1) times s_n; {@code C'_n =
 *       s_n·C_n + t_n/β} (C absent or β = 0: C' = t and β = 1).
 *   <li>MatMul with a constant 2-D B and a rank-2 output, optionally followed by Add of a constant
 *       [N] bias: emitted as Gemm with B' = B·diag(s) and C' = s·bias + t.
 * </ul>
 *
 * <p>Preconditions: the fold of this BN is not disabled; the producer's output is read only by the
 * affine map and is not a graph output ({@link Graph#hasSingleUse}); weights and biases are float
 * constants; the channel count matches. New weights are written under fresh names (a shared
 * initializer is never edited), computed in double and rounded once.
 */
public final class FoldAffineIntoProducer implements Pass {

  @Override
  public String name() {
    return "fold-affine-into-producer";
  }

  @Override
  public boolean run(Graph graph, PassContext context) {
    boolean changed = false;
    for (Node n : new ArrayList<>(graph.nodes())) {
      if (!ChannelAffine.is(n) || GraphEdit.indexOf(graph.nodes(), n) < 0) {
        continue;
      }
      ChannelAffine a = ChannelAffine.of(graph, n);
      Fold fold = match(graph, a);
      if (fold.applies()) {
        fold.patch().accept(graph);
        context.record(
            new FoldRecord(
                a.name(),
                a.source(),
                FoldOutcome.FOLDED_INTO_PRODUCER,
                fold.target(),
                fold.detail()));
        changed = true;
      } else if (fold.reason() != null) {
        context.record(
            new FoldRecord(
                a.name(), a.source(), FoldOutcome.TURNED_INTO_AFFINE, null, fold.reason()));
      }
    }
    return changed;
  }

  /** Matches and checks the fold of {@code a} into its producer. */
  static Fold match(Graph graph, ChannelAffine a) {
    Node p = graph.producer(a.input());
    if (p == null) {
      return Fold.no("its input '" + a.input() + "' is a graph input, not a linear layer's output");
    }
    if (!(p.is("Conv") || p.is("ConvTranspose") || p.is("Gemm") || p.is("MatMul") || p.is("Add"))) {
      return Fold.no("its producer " + p.describe() + " is not a linear layer");
    }
    if (!graph.hasSingleUse(a.input())) {
      return Fold.no(
          "the output of its producer "
              + p.describe()
              + " is also read elsewhere"
              + (graph.isGraphOutput(a.input()) ? " (it is a graph output)" : ""));
    }
    if (p.is("Conv")) {
      return conv(graph, p, a);
    }
    if (p.is("ConvTranspose")) {
      return convTranspose(graph, p, a);
    }
    if (p.is("Gemm")) {
      return gemm(graph, p, a);
    }
    if (p.is("MatMul")) {
      return matMul(graph, p, null, a);
    }
    return matMulAdd(graph, p, a);
  }

  private static Fold conv(Graph graph, Node conv, ChannelAffine a) {
    Tensor w = GraphEdit.floatConstant(graph, conv.input(1));
    if (w == null) {
      return Fold.no(conv.describe() + " has non-constant weights");
    }
    int cout = (int) w.dim(0);
    if (cout != a.channels()) {
      return Fold.no(conv.describe() + " has " + cout + " output channels, the BN " + a.channels());
    }
    double[] bias = bias(graph, conv, 2, cout);
    if (bias == null) {
      return Fold.no(conv.describe() + " has a non-constant bias or one not of shape [Cout]");
    }
    // W[Cout, Cin/g, k...]: axis 0 is the absolute output channel for every group count.
    double[] wd = w.doubles();
    int inner = wd.length / cout;
    double[] s = a.scale();
    for (int o = 0; o < cout; o++) {
      for (int r = 0; r < inner; r++) {
        wd[o * inner + r] *= s[o];
      }
    }
    return withWeightAndBias(
        conv, w.dims(), wd, affineBias(bias, a), a, "weights and bias rescaled");
  }

  private static Fold convTranspose(Graph graph, Node ct, ChannelAffine a) {
    Tensor w = GraphEdit.floatConstant(graph, ct.input(1));
    if (w == null) {
      return Fold.no(ct.describe() + " has non-constant weights");
    }
    int group = (int) ct.attrInt("group", 1);
    int cin = (int) w.dim(0);
    int coutPerGroup = (int) w.dim(1);
    int cout = coutPerGroup * group;
    if (cout != a.channels() || cin % group != 0) {
      return Fold.no(ct.describe() + " has " + cout + " output channels, the BN " + a.channels());
    }
    double[] bias = bias(graph, ct, 2, cout);
    if (bias == null) {
      return Fold.no(ct.describe() + " has a non-constant bias or one not of shape [Cout]");
    }
    // W[Cin, Cout/g, k...]: input channel i, column j feeds output channel
    // o = (i / (Cin/g)) * (Cout/g) + j.
    double[] wd = w.doubles();
    int inner = wd.length / (cin * coutPerGroup);
    int cinPerGroup = cin / group;
    double[] s = a.scale();
    for (int i = 0; i < cin; i++) {
      for (int j = 0; j < coutPerGroup; j++) {
        double so = s[(i / cinPerGroup) * coutPerGroup + j];
        int base = (i * coutPerGroup + j) * inner;
        for (int r = 0; r < inner; r++) {
          wd[base + r] *= so;
        }
      }
    }
    return withWeightAndBias(ct, w.dims(), wd, affineBias(bias, a), a, "weights and bias rescaled");
  }

  /** b'_o = s_o·b_o + t_o. */
  private static double[] affineBias(double[] bias, ChannelAffine a) {
    double[] out = new double[bias.length];
    for (int o = 0; o < out.length; o++) {
      out[o] = a.scale()[o] * bias[o] + a.shift()[o];
    }
    return out;
  }

  /** The bias input {@code i} of {@code n} as [c] doubles (zeros when absent), or null. */
  static double[] bias(Graph graph, Node n, int i, int c) {
    if (!n.hasInput(i)) {
      return new double[c];
    }
    Tensor b = GraphEdit.floatConstant(graph, n.input(i));
    return b == null || b.elementCount() != c ? null : b.doubles();
  }

  /**
   * A copy of {@code conv} (Conv or ConvTranspose) with new W and b, writing the affine's output.
   */
  private static Fold withWeightAndBias(
      Node conv, long[] wDims, double[] w, double[] b, ChannelAffine a, String detail) {
    Tensor wt = GraphEdit.floats(wDims, w);
    Tensor bt = GraphEdit.floats(new long[] {b.length}, b);
    return Fold.of(
        Fold.label(conv),
        detail,
        g -> {
          String wName = g.addConstant(conv.input(1) + "_folded", wt);
          String bName = g.addConstant(Fold.base(conv) + "_bias_folded", bt);
          Node folded =
              new Node(
                  conv.name(),
                  conv.opType(),
                  "",
                  List.of(conv.input(0), wName, bName),
                  List.of(a.output()),
                  new ArrayList<>(conv.attributes().values()));
          GraphEdit.replace(g, List.of(conv, a.node()), List.of(folded));
        });
  }

  private static Fold gemm(Graph graph, Node gemm, ChannelAffine a) {
    Tensor b = GraphEdit.floatConstant(graph, gemm.input(1));
    if (b == null || b.rank() != 2) {
      return Fold.no(gemm.describe() + " has a non-constant B");
    }
    boolean transB = gemm.attrInt("transB", 0) != 0;
    int n = (int) (transB ? b.dim(0) : b.dim(1));
    if (n != a.channels()) {
      return Fold.no(gemm.describe() + " has " + n + " output columns, the BN " + a.channels());
    }
    double beta = gemm.attrFloat("beta", 1f);
    Tensor c = gemm.hasInput(2) ? GraphEdit.floatConstant(graph, gemm.input(2)) : null;
    if (gemm.hasInput(2) && c == null) {
      return Fold.no(gemm.describe() + " has a non-constant C");
    }
    double[] bd = scaleColumns(b.doubles(), (int) b.dim(0), (int) b.dim(1), a.scale(), transB);
    // C' = s·C + t/β, with C broadcast to [rows, N] (rows = 1 unless C is [M, N]).
    long[] cDims;
    double[] cd;
    double newBeta;
    if (c == null || beta == 0) {
      cDims = new long[] {n};
      cd = a.shift().clone();
      newBeta = 1;
    } else {
      long[] dims = c.dims();
      long last = dims.length == 0 ? 1 : dims[dims.length - 1];
      long rows = dims.length == 2 ? dims[0] : 1;
      if (dims.length > 2 || (last != 1 && last != n)) {
        return Fold.no(gemm.describe() + " has C of shape " + c + ", not broadcastable to [M, N]");
      }
      double[] src = c.doubles();
      cDims = rows == 1 && dims.length < 2 ? new long[] {n} : new long[] {rows, n};
      cd = new double[(int) rows * n];
      for (int r = 0; r < rows; r++) {
        for (int j = 0; j < n; j++) {
          double cv = src[(int) (r * last + (last == 1 ? 0 : j))];
          cd[r * n + j] = a.scale()[j] * cv + a.shift()[j] / beta;
        }
      }
      newBeta = beta;
    }
    Tensor bt = GraphEdit.floats(b.dims(), bd);
    Tensor ct = GraphEdit.floats(cDims, cd);
    return Fold.of(
        Fold.label(gemm),
        "B columns and C rescaled",
        g -> {
          String bName = g.addConstant(gemm.input(1) + "_folded", bt);
          String cName = g.addConstant(Fold.base(gemm) + "_C_folded", ct);
          Node folded =
              new Node(
                  gemm.name(),
                  "Gemm",
                  "",
                  List.of(gemm.input(0), bName, cName),
                  List.of(a.output()),
                  new ArrayList<>(gemm.attributes().values()));
          folded.setAttribute(Node.floatAttr("beta", (float) newBeta));
          GraphEdit.replace(g, List.of(gemm, a.node()), List.of(folded));
        });
  }

  /** B[K,N] (or [N,K] when transposed) with output column n multiplied by s_n. */
  static double[] scaleColumns(double[] b, int rows, int cols, double[] s, boolean transposed) {
    double[] out = b.clone();
    for (int r = 0; r < rows; r++) {
      for (int j = 0; j < cols; j++) {
        out[r * cols + j] *= transposed ? s[r] : s[j];
      }
    }
    return out;
  }

  private static Fold matMulAdd(Graph graph, Node add, ChannelAffine a) {
    for (int side = 0; side < 2; side++) {
      Node mm = graph.producer(add.input(side));
      Tensor bias = GraphEdit.floatConstant(graph, add.input(1 - side));
      if (mm != null && mm.is("MatMul") && bias != null) {
        if (!graph.hasSingleUse(add.input(side))) {
          return Fold.no("the output of " + mm.describe() + " is also read elsewhere");
        }
        if (bias.elementCount() != a.channels() || bias.dim(bias.rank() - 1) != a.channels()) {
          return Fold.no(add.describe() + " adds a constant of shape " + bias + ", not [N]");
        }
        return matMul(graph, mm, add, a);
      }
    }
    return Fold.no("its producer " + add.describe() + " is not MatMul + constant bias");
  }

  /** MatMul(A, B) [+ bias] -> affine, emitted as Gemm(A, B', C') for a rank-2 A. */
  private static Fold matMul(Graph graph, Node mm, Node add, ChannelAffine a) {
    Tensor b = GraphEdit.floatConstant(graph, mm.input(1));
    if (b == null || b.rank() != 2) {
      return Fold.no(mm.describe() + " has no constant 2-D B");
    }
    if (GraphEdit.rank(graph, mm.input(0)) != 2) {
      return Fold.no(mm.describe() + " has an input of rank other than 2 (channel axis is not N)");
    }
    int n = (int) b.dim(1);
    if (n != a.channels()) {
      return Fold.no(mm.describe() + " has " + n + " output columns, the BN " + a.channels());
    }
    double[] bias =
        add == null
            ? new double[n]
            : graph.constant(add.input(graph.constant(add.input(1)) != null ? 1 : 0)).doubles();
    double[] bd = scaleColumns(b.doubles(), (int) b.dim(0), n, a.scale(), false);
    Tensor bt = GraphEdit.floats(b.dims(), bd);
    Tensor ct = GraphEdit.floats(new long[] {n}, affineBias(bias, a));
    List<Node> removed = add == null ? List.of(mm, a.node()) : List.of(mm, add, a.node());
    return Fold.of(
        Fold.label(mm),
        "emitted as Gemm with rescaled B and bias",
        g -> {
          String bName = g.addConstant(mm.input(1) + "_folded", bt);
          String cName = g.addConstant(Fold.base(mm) + "_bias_folded", ct);
          Node gemm =
              new Node(mm.name(), "Gemm", List.of(mm.input(0), bName, cName), List.of(a.output()));
          GraphEdit.replace(g, removed, List.of(gemm));
        });
  }
}
