package dev.bnfold.converter.passes;

import dev.bnfold.converter.graph.Graph;
import dev.bnfold.converter.graph.Node;
import dev.bnfold.converter.graph.Tensor;
import java.util.ArrayList;
import java.util.List;

/**
 * Absorbs a per-channel affine map into the linear layer that reads its output, where that is
 * exact.
 *
 * <pre>
 * Before:  x -> ChannelAffine(s, t) -> [Flatten] -> Gemm(W, b) -> y
 * After:   x -> [Flatten] -> Gemm(W', b') -> y
 *
 * Before:  x -> ChannelAffine(s, t) -> Conv(W, b, pads = 0) -> y
 * After:   x -> Conv(W', b') -> y
 *
 * Before:  x -> ChannelAffine(s, t) -> Conv(W, b, pads > 0) -> y
 * After:   x -> Add(t/s) -> Conv(W', b) -> y            (scale-only fold, every s_c != 0)
 *    or:   x -> Conv(W') -> Add(B[Cout, H', W']) -> y     (bias map; some s_c = 0, static shapes)
 * </pre>
 *
 * <p>Formulas, with k the input feature and n the output feature:
 *
 * <ul>
 *   <li>Gemm/MatMul (W as [K, N] after transB): {@code W'[k,n] = s_k·W[k,n]}, {@code b'_n = b_n +
 *       (α/β)·Σ_k t_k·W[k,n]}. Through Flatten of [N,C,H,W] each channel's s,t repeats H·W times:
 *       feature k reads channel {@code ⌊k/(H·W)⌋}.
 *   <li>Conv without padding: {@code W'[o,i,...] = s_c·W[o,i,...]}, {@code b'_o = b_o + Σ_{i,k}
 *       W[o,i,k]·t_c} with c the absolute input channel {@code ⌊o/(Cout/g)⌋·(Cin/g) + i}.
 *   <li>Conv with padding pads the BN's <em>output</em> with zeros, so folding t into the bias
 *       would be wrong at the borders. Only s is folded: {@code W' = W·s_c} and an Add of {@code
 *       t_c/s_c} stays before the conv, because {@code s·x + t = s·(x + t/s)}.
 * </ul>
 *
 * <p>Preconditions: the fold is not disabled; the affine's output is read only by this consumer and
 * is not a graph output; weights and biases are float constants; Gemm has transA=0; MatMul and Gemm
 * read a rank-2 value (so axis 1 is the feature axis); Flatten has axis 1 and static C,H,W.
 */
public final class FoldAffineIntoConsumer implements Pass {

  @Override
  public String name() {
    return "fold-affine-into-consumer";
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
      FoldRecord before = context.recordOf(a.name());
      if (fold.applies()) {
        fold.patch().accept(graph);
        context.record(
            new FoldRecord(
                a.name(),
                a.source(),
                FoldOutcome.FOLDED_INTO_CONSUMER,
                fold.target(),
                fold.detail()));
        changed = true;
      } else {
        String why = before == null ? fold.reason() : before.reason() + "; " + fold.reason();
        context.record(
            new FoldRecord(a.name(), a.source(), FoldOutcome.TURNED_INTO_AFFINE, null, why));
      }
    }
    return changed;
  }

  static Fold match(Graph graph, ChannelAffine a) {
    String y = a.output();
    List<Node> readers = graph.consumers(y);
    if (readers.size() != 1 || !graph.hasSingleUse(y)) {
      return Fold.no(
          "its output is read by "
              + readers.size()
              + " nodes"
              + (graph.isGraphOutput(y) ? " and is a graph output" : ""));
    }
    Node c = readers.get(0);
    if (!c.input(0).equals(y)) {
      return Fold.no("its consumer " + c.describe() + " reads it as a weight, not as data");
    }
    if (c.is("Gemm") || c.is("MatMul")) {
      if (GraphEdit.rank(graph, y) != 2) {
        return Fold.no("its consumer " + c.describe() + " reads a value of rank other than 2");
      }
      return gemm(graph, c, null, a, 1);
    }
    if (c.is("Flatten")) {
      return flatten(graph, c, a);
    }
    if (c.is("Conv")) {
      return conv(graph, c, a);
    }
    return Fold.no("its consumer " + c.describe() + " is not Gemm, MatMul, Flatten+Gemm or Conv");
  }

  private static Fold flatten(Graph graph, Node flatten, ChannelAffine a) {
    ValueDims d = ValueDims.of(graph, a.input());
    if (flatten.attrInt("axis", 1) != 1 || d == null) {
      return Fold.no(
          "its consumer " + flatten.describe() + " is not a Flatten(axis=1) of known C,H,W");
    }
    List<Node> next = graph.consumers(flatten.output(0));
    if (next.size() != 1
        || !graph.hasSingleUse(flatten.output(0))
        || !(next.get(0).is("Gemm") || next.get(0).is("MatMul"))
        || !next.get(0).input(0).equals(flatten.output(0))) {
      return Fold.no("the Flatten after it does not feed exactly one Gemm/MatMul");
    }
    return gemm(graph, next.get(0), flatten, a, (int) d.perChannel);
  }

  /** Per-channel element count of a value [N, C, spatial...] with static C and spatial dims. */
  private record ValueDims(long perChannel) {
    static ValueDims of(Graph graph, String value) {
      var info = graph.info(value);
      if (info == null || info.shape() == null || info.shape().size() < 2) {
        return null;
      }
      long per = 1;
      for (int i = 1; i < info.shape().size(); i++) {
        if (!info.shape().get(i).isKnown()) {
          return null;
        }
        if (i > 1) {
          per *= info.shape().get(i).value();
        }
      }
      return new ValueDims(per);
    }
  }

  /**
   * Folds into Gemm or MatMul {@code mm}; feature k reads channel k / repeat. {@code flatten} (or
   * null) is rewired to read the affine's input.
   */
  private static Fold gemm(Graph graph, Node mm, Node flatten, ChannelAffine a, int repeat) {
    boolean isGemm = mm.is("Gemm");
    if (isGemm && mm.attrInt("transA", 0) != 0) {
      return Fold.no("its consumer " + mm.describe() + " has transA=1");
    }
    Tensor w = GraphEdit.floatConstant(graph, mm.input(1));
    if (w == null || w.rank() != 2) {
      return Fold.no("its consumer " + mm.describe() + " has no constant 2-D weight");
    }
    boolean transB = isGemm && mm.attrInt("transB", 0) != 0;
    int k = (int) (transB ? w.dim(1) : w.dim(0));
    int n = (int) (transB ? w.dim(0) : w.dim(1));
    if (k != a.channels() * repeat) {
      return Fold.no("its consumer " + mm.describe() + " has " + k + " input features");
    }
    double alpha = isGemm ? mm.attrFloat("alpha", 1f) : 1;
    double beta = isGemm ? mm.attrFloat("beta", 1f) : 1;
    Tensor c = isGemm && mm.hasInput(2) ? GraphEdit.floatConstant(graph, mm.input(2)) : null;
    if (isGemm
        && mm.hasInput(2)
        && (c == null || !(c.elementCount() == n || c.elementCount() == 1))) {
      return Fold.no(
          "its consumer " + mm.describe() + " has a C that is not a constant [N] or scalar");
    }
    double[] wd = w.doubles();
    double[] shiftSum = new double[n]; // Σ_k t_k·W[k,n]
    for (int kk = 0; kk < k; kk++) {
      int ch = kk / repeat;
      double s = a.scale()[ch];
      double t = a.shift()[ch];
      for (int j = 0; j < n; j++) {
        int idx = transB ? j * k + kk : kk * n + j;
        shiftSum[j] += t * wd[idx];
        wd[idx] *= s;
      }
    }
    double[] bias = new double[n];
    double newBeta;
    if (c == null || beta == 0) {
      for (int j = 0; j < n; j++) {
        bias[j] = alpha * shiftSum[j];
      }
      newBeta = 1;
    } else {
      double[] cd = c.doubles();
      for (int j = 0; j < n; j++) {
        bias[j] = cd[cd.length == 1 ? 0 : j] + alpha / beta * shiftSum[j];
      }
      newBeta = beta;
    }
    Tensor wt = GraphEdit.floats(w.dims(), wd);
    Tensor bt = GraphEdit.floats(new long[] {n}, bias);
    String data = flatten == null ? a.input() : flatten.output(0);
    return Fold.of(
        Fold.label(mm),
        (flatten == null ? "" : "through Flatten; ") + "weights and bias adjusted",
        g -> {
          String wName = g.addConstant(mm.input(1) + "_folded", wt);
          String bName = g.addConstant(Fold.base(mm) + "_bias_folded", bt);
          Node folded =
              new Node(
                  mm.name(),
                  "Gemm",
                  "",
                  List.of(data, wName, bName),
                  mm.outputs(),
                  isGemm ? new ArrayList<>(mm.attributes().values()) : List.of());
          folded.setAttribute(Node.floatAttr("beta", (float) newBeta));
          if (flatten != null) {
            flatten.inputs().set(0, a.input());
          }
          GraphEdit.replace(g, List.of(a.node(), mm), List.of(folded));
        });
  }

  private static Fold conv(Graph graph, Node conv, ChannelAffine a) {
    Tensor w = GraphEdit.floatConstant(graph, conv.input(1));
    if (w == null) {
      return Fold.no("its consumer " + conv.describe() + " has non-constant weights");
    }
    int group = (int) conv.attrInt("group", 1);
    int cout = (int) w.dim(0);
    int cinPerGroup = (int) w.dim(1);
    if (cinPerGroup * group != a.channels() || cout % group != 0) {
      return Fold.no(
          "its consumer " + conv.describe() + " does not read " + a.channels() + " channels");
    }
    double[] bias = FoldAffineIntoProducer.bias(graph, conv, 2, cout);
    if (bias == null) {
      return Fold.no("its consumer " + conv.describe() + " has a non-constant bias");
    }
    String autoPad = conv.attrString("auto_pad", "NOTSET");
    boolean padded = autoPad.startsWith("SAME");
    for (long p : conv.attrInts("pads", new long[0])) {
      padded |= p != 0;
    }
    if (autoPad.equals("VALID")) {
      padded = false;
    }
    double[] wd = w.doubles();
    int inner = wd.length / (cout * cinPerGroup);
    int coutPerGroup = cout / group;
    double[] s = a.scale();
    double[] t = a.shift();
    double[] b = bias.clone();
    for (int o = 0; o < cout; o++) {
      for (int i = 0; i < cinPerGroup; i++) {
        int ch = (o / coutPerGroup) * cinPerGroup + i;
        int base = (o * cinPerGroup + i) * inner;
        for (int r = 0; r < inner; r++) {
          b[o] += wd[base + r] * t[ch];
          wd[base + r] *= s[ch];
        }
      }
    }
    Tensor wt = GraphEdit.floats(w.dims(), wd);
    if (!padded) {
      Tensor bt = GraphEdit.floats(new long[] {cout}, b);
      return Fold.of(
          Fold.label(conv),
          "weights and bias adjusted (no padding, exact)",
          g -> {
            String wName = g.addConstant(conv.input(1) + "_folded", wt);
            String bName = g.addConstant(Fold.base(conv) + "_bias_folded", bt);
            GraphEdit.replace(
                g, List.of(a.node(), conv), List.of(rewired(conv, a.input(), wName, bName)));
          });
    }
    int rank = GraphEdit.rank(graph, a.input());
    double[] shiftOverScale = new double[a.channels()];
    for (int ch = 0; ch < shiftOverScale.length; ch++) {
      if (s[ch] == 0) {
        return biasMap(graph, conv, a, w, wt);
      }
      shiftOverScale[ch] = t[ch] / s[ch];
    }
    if (rank < 0) {
      return Fold.no("its consumer " + conv.describe() + " pads its input of unknown rank");
    }
    Tensor shiftT = GraphEdit.floats(GraphEdit.channelShape(a.channels(), rank), shiftOverScale);
    return Fold.of(
        Fold.label(conv),
        "scale folded into the padded conv's weights; shift kept as an Add before it",
        g -> {
          String wName = g.addConstant(conv.input(1) + "_folded", wt);
          String tName = g.addConstant(a.name() + "_shift_over_scale", shiftT);
          String shifted = g.freshName(a.name() + "_shifted");
          Node add =
              new Node(
                  g.freshName(a.name() + "/shift"),
                  "Add",
                  List.of(a.input(), tName),
                  List.of(shifted));
          GraphEdit.replace(
              g,
              List.of(a.node(), conv),
              List.of(add, rewired(conv, shifted, wName, conv.input(2))));
        });
  }

  /**
   * The exact fold for a padded conv when the scale-only one is impossible (some s_c = 0): W' = W·s
   * and a per-position bias map {@code B[o,p] = b_o + Σ_{in-bounds taps k} Σ_i W[o,i,k]·t_c} added
   * after the conv. Needs static spatial dims and explicit pads (no auto_pad).
   */
  private static Fold biasMap(Graph graph, Node conv, ChannelAffine a, Tensor w, Tensor wScaled) {
    var in = graph.info(a.input());
    var out = graph.info(conv.output(0));
    int spatial = w.rank() - 2;
    if (in == null
        || out == null
        || in.shape() == null
        || out.shape() == null
        || !conv.attrString("auto_pad", "NOTSET").equals("NOTSET")) {
      return Fold.no(
          "its consumer " + conv.describe() + " pads its input and a channel has scale 0");
    }
    long[] inDims = in.dims();
    long[] outDims = out.dims();
    for (int d = 2; d < inDims.length; d++) {
      if (inDims[d] < 0 || outDims[d] < 0) {
        return Fold.no(
            "its consumer " + conv.describe() + " pads its input of non-static size, a scale is 0");
      }
    }
    int group = (int) conv.attrInt("group", 1);
    int cout = (int) w.dim(0);
    int cinPerGroup = (int) w.dim(1);
    int coutPerGroup = cout / group;
    long[] kernel = java.util.Arrays.copyOfRange(w.dims(), 2, w.rank());
    long[] strides = conv.attrInts("strides", ones(spatial));
    long[] dil = conv.attrInts("dilations", ones(spatial));
    long[] pads = conv.attrInts("pads", new long[2 * spatial]);
    int taps = (int) Tensor.elementCount(kernel);
    int positions =
        (int) Tensor.elementCount(java.util.Arrays.copyOfRange(outDims, 2, outDims.length));
    double[] wd = w.doubles();
    double[] bias = FoldAffineIntoProducer.bias(graph, conv, 2, cout);
    // u[o,k] = Σ_i W[o,i,k]·t_c: what tap k adds to output channel o when it is in bounds.
    double[] u = new double[cout * taps];
    for (int o = 0; o < cout; o++) {
      for (int i = 0; i < cinPerGroup; i++) {
        double tc = a.shift()[(o / coutPerGroup) * cinPerGroup + i];
        for (int k = 0; k < taps; k++) {
          u[o * taps + k] += wd[(o * cinPerGroup + i) * taps + k] * tc;
        }
      }
    }
    double[] map = new double[cout * positions]; // [Cout, out spatial...]
    int[] pos = new int[spatial];
    int[] tap = new int[spatial];
    for (int p = 0; p < positions; p++) {
      unravel(p, outDims, 2, pos);
      for (int k = 0; k < taps; k++) {
        unravel(k, kernel, 0, tap);
        boolean inside = true;
        for (int d = 0; d < spatial && inside; d++) {
          long coord = pos[d] * strides[d] - pads[d] + tap[d] * dil[d];
          inside = coord >= 0 && coord < inDims[d + 2];
        }
        if (inside) {
          for (int o = 0; o < cout; o++) {
            map[o * positions + p] += u[o * taps + k];
          }
        }
      }
    }
    for (int o = 0; o < cout; o++) {
      for (int p = 0; p < positions; p++) {
        map[o * positions + p] += bias[o];
      }
    }
    long[] mapDims = java.util.Arrays.copyOfRange(outDims, 1, outDims.length);
    Tensor mapT = GraphEdit.floats(mapDims, map);
    return Fold.of(
        Fold.label(conv),
        "scale folded into the padded conv's weights; shift as a per-position bias map after it",
        g -> {
          String wName = g.addConstant(conv.input(1) + "_folded", wScaled);
          String mName = g.addConstant(Fold.base(conv) + "_bias_map", mapT);
          String raw = g.freshName(Fold.base(conv) + "_unbiased");
          Node folded =
              new Node(
                  conv.name(),
                  "Conv",
                  "",
                  List.of(a.input(), wName),
                  List.of(raw),
                  new ArrayList<>(conv.attributes().values()));
          Node add =
              new Node(
                  g.freshName(a.name() + "/bias_map"), "Add", List.of(raw, mName), conv.outputs());
          GraphEdit.replace(g, List.of(a.node(), conv), List.of(folded, add));
        });
  }

  /** Coordinates of flat index {@code flat} over {@code dims[from...]}, C order. */
  private static void unravel(int flat, long[] dims, int from, int[] out) {
    for (int d = out.length - 1; d >= 0; d--) {
      int size = (int) dims[from + d];
      out[d] = flat % size;
      flat /= size;
    }
  }

  private static long[] ones(int n) {
    long[] v = new long[n];
    java.util.Arrays.fill(v, 1);
    return v;
  }

  private static Node rewired(Node conv, String data, String w, String b) {
    List<String> in = b.isEmpty() ? List.of(data, w) : List.of(data, w, b);
    return new Node(
        conv.name(), "Conv", "", in, conv.outputs(), new ArrayList<>(conv.attributes().values()));
  }
}
