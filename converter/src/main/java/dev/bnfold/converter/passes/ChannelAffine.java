package dev.bnfold.converter.passes;

import dev.bnfold.converter.graph.DataType;
import dev.bnfold.converter.graph.Graph;
import dev.bnfold.converter.graph.Node;
import dev.bnfold.converter.graph.Tensor;
import java.util.List;

/**
 * The converter's internal per-channel affine op, {@code y[n,c,...] = s_c * x[n,c,...] + t_c}: what
 * {@link BatchNormToAffine} turns every BN into, what {@link FoldAffineIntoProducer} and {@link
 * FoldAffineIntoConsumer} absorb, and what {@link LowerChannelAffine} writes back as ONNX Mul+Add.
 *
 * <p>Node: domain {@value #DOMAIN}, op {@value #OP}, inputs {@code (x, s, t)} where s and t are
 * float64 initializers of shape [C], so that the scale and shift keep the precision they were
 * computed in until the one final rounding to float. The node keeps the name of the BN it came
 * from, which is how folds are disabled and explained by BN name. The channel axis is always 1.
 */
public final class ChannelAffine {
  /** Domain of the internal node; never written to a file. */
  public static final String DOMAIN = "dev.bnfold.internal";

  /** Op type of the internal node. */
  public static final String OP = "ChannelAffine";

  private final Node node;
  private final double[] scale;
  private final double[] shift;
  private final String source;

  private ChannelAffine(Node node, double[] scale, double[] shift, String source) {
    this.node = node;
    this.scale = scale;
    this.shift = shift;
    this.source = source;
  }

  /** Whether {@code n} is an internal ChannelAffine node. */
  public static boolean is(Node n) {
    return n.domain().equals(DOMAIN) && n.opType().equals(OP);
  }

  /** Reads the affine map of a ChannelAffine node of {@code graph}. */
  public static ChannelAffine of(Graph graph, Node n) {
    return new ChannelAffine(
        n,
        graph.constant(n.input(1)).doubles(),
        graph.constant(n.input(2)).doubles(),
        n.attrString("source", "BatchNormalization"));
  }

  /**
   * Builds the node and adds s and t as float64 constants.
   *
   * @param source the op the affine map came from, for the explain table
   */
  public static Node create(
      Graph graph,
      String name,
      String input,
      String output,
      double[] s,
      double[] t,
      String source) {
    long[] dims = {s.length};
    String sName = graph.addConstant(name + "_affine_scale", doubles(dims, s));
    String tName = graph.addConstant(name + "_affine_shift", doubles(dims, t));
    return new Node(
        name,
        OP,
        DOMAIN,
        List.of(input, sName, tName),
        List.of(output),
        List.of(Node.stringAttr("source", source)));
  }

  /** A float64 tensor. */
  static Tensor doubles(long[] dims, double[] values) {
    java.nio.ByteBuffer b =
        java.nio.ByteBuffer.allocate(values.length * 8).order(java.nio.ByteOrder.LITTLE_ENDIAN);
    b.asDoubleBuffer().put(values);
    return Tensor.ofRaw(DataType.DOUBLE, dims, b.array());
  }

  /** The internal node. */
  public Node node() {
    return node;
  }

  /** The BN (or Mul) node name this map came from. */
  public String name() {
    return node.name();
  }

  /** The value the map reads (x). */
  public String input() {
    return node.input(0);
  }

  /** The value the map writes (y). */
  public String output() {
    return node.output(0);
  }

  /** Number of channels C. */
  public int channels() {
    return scale.length;
  }

  /** s_c, in double (a shared array: do not modify). */
  public double[] scale() {
    return scale;
  }

  /** t_c, in double (a shared array: do not modify). */
  public double[] shift() {
    return shift;
  }

  /** The op the map came from: "BatchNormalization" or "Mul+Add". */
  public String source() {
    return source;
  }
}
