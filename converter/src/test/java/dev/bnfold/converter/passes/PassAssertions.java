package dev.bnfold.converter.passes;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.bnfold.converter.graph.Graph;
import dev.bnfold.converter.graph.Node;
import dev.bnfold.converter.io.NdArray;
import dev.bnfold.converter.onnx.OnnxReader;
import dev.bnfold.converter.onnx.OnnxWriter;
import dev.bnfold.converter.testing.TestModels;
import dev.bnfold.converter.verify.Comparison;
import dev.bnfold.converter.verify.Tolerance;
import java.util.Map;

/** Shared steps of the pass tests: run the pipeline, find nodes, compare with ONNX Runtime. */
final class PassAssertions {
  private PassAssertions() {}

  /** The converted copy of {@code g} and the explain records. */
  record Converted(Graph graph, PassContext context) {
    FoldRecord record(String node) {
      FoldRecord r = context.recordOf(node);
      assertNotNull(r, "no explain record for " + node + ": " + context.records());
      return r;
    }
  }

  /** Runs the whole pass pipeline on a copy of {@code g}. */
  static Converted convert(Graph g) {
    return convert(g, new PassContext());
  }

  static Converted convert(Graph g, PassContext context) {
    Graph copy = copy(g);
    Passes.runAll(copy, context);
    return new Converted(copy, context);
  }

  static Graph copy(Graph g) {
    return new OnnxReader().read(OnnxWriter.toBytes(g), null);
  }

  /** The only node of {@code op} in {@code g}. */
  static Node only(Graph g, String op) {
    assertEquals(1, g.count(op), op + " nodes in " + g.nodes());
    return g.nodes().stream().filter(n -> n.is(op)).findFirst().orElseThrow();
  }

  /** The float values of input {@code i} of {@code n}, which must be a constant. */
  static float[] constantInput(Graph g, Node n, int i) {
    assertNotNull(g.constant(n.input(i)), n + " input " + i + " is not a constant");
    return g.constant(n.input(i)).floats();
  }

  /** Asserts that {@code converted} computes what {@code original} does, in ONNX Runtime. */
  static Comparison assertSameOutputs(Graph original, Graph converted) {
    Comparison worst = null;
    for (int seed = 0; seed < 3; seed++) {
      Map<String, NdArray> in = TestModels.randomInputs(original, seed, 2);
      Comparison c =
          Comparison.compare(
              TestModels.run(original, in), TestModels.run(converted, in), Tolerance.defaults());
      assertTrue(c.passed(), () -> c.outputs().toString());
      worst = c;
    }
    return worst;
  }

  /** s and t of a BN's parameters, in double. */
  static double[][] scaleShift(float[] gamma, float[] beta, float[] mean, float[] var, double eps) {
    double[] s = new double[gamma.length];
    double[] t = new double[gamma.length];
    for (int c = 0; c < s.length; c++) {
      s[c] = gamma[c] / Math.sqrt((double) var[c] + eps);
      t[c] = beta[c] - mean[c] * s[c];
    }
    return new double[][] {s, t};
  }

  static void assertClose(double expected, float actual, String what) {
    assertEquals(expected, actual, 1e-6 * Math.max(1, Math.abs(expected)), what);
  }
}
