package dev.bnfold.converter;

import static dev.bnfold.converter.testing.TestModels.group;
import static dev.bnfold.converter.testing.TestModels.pads;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.bnfold.converter.graph.Graph;
import dev.bnfold.converter.graph.Node;
import dev.bnfold.converter.onnx.OnnxWriter;
import dev.bnfold.converter.passes.FoldOutcome;
import dev.bnfold.converter.passes.FoldRecord;
import dev.bnfold.converter.testing.TestModels;
import dev.bnfold.converter.verify.Tolerance;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The Converter facade: explain table, statistics, report, verification and bisection. */
class ConverterTest {

  /**
   * One model with every tricky case: grouped ConvTranspose with Cin != Cout, a bias-free Conv, a
   * BN feeding two consumers, a BN before a padded Conv, a Gemm with alpha, beta and transB=1
   * followed by BN, and a BN before a Gemm.
   */
  static Graph everything() {
    TestModels m = new TestModels(100);
    String x = m.input("x", -1, 4, 6, 6);
    String ct = m.convTranspose(x, 4, 6, 3, true, group(2), Node.intsAttr("strides", 2, 2));
    String a = m.relu(m.bn(ct, 6, "bn_convT")); // [N,6,13,13]
    String b = m.bn(m.conv(a, 6, 8, 3, false, Node.intsAttr("strides", 2, 2)), 8, "bn_nobias");
    String r = m.relu(b); // [N,8,6,6]
    String shared = m.bn(r, 8, "bn_two_consumers");
    String c1 = m.conv(shared, 8, 8, 1, true);
    String c2 = m.conv(shared, 8, 8, 1, true);
    String sum = m.relu(m.node("Add", List.of(c1, c2)));
    String padded = m.conv(m.bn(sum, 8, "bn_before_padded"), 8, 4, 3, true, pads(1));
    String gap = m.node("GlobalAveragePool", List.of(m.relu(padded)));
    String flat = m.node("Flatten", List.of(gap));
    String g1 = m.gemm(flat, 4, 16, true, 0.7f, 1.3f, new long[] {16});
    String h = m.relu(m.bn(g1, 16, "bn_after_gemm"));
    String g2 = m.gemm(m.bn(h, 16, "bn_before_gemm"), 16, 10, true, 1.2f, 0.8f, new long[] {10});
    return m.output(g2).build();
  }

  @Test
  void handBuiltModelWithEveryCaseConvertsAndVerifies() {
    Graph g = everything();
    ConversionResult r = Converter.convert(g, Converter.Options.defaults().withThreads(1));
    Map<String, FoldRecord> byNode =
        r.explain().stream().collect(Collectors.toMap(FoldRecord::node, x -> x));
    assertEquals(
        Set.of(
            "bn_convT",
            "bn_nobias",
            "bn_two_consumers",
            "bn_before_padded",
            "bn_after_gemm",
            "bn_before_gemm"),
        byNode.keySet());
    assertEquals(FoldOutcome.FOLDED_INTO_PRODUCER, byNode.get("bn_convT").outcome());
    assertEquals(FoldOutcome.FOLDED_INTO_PRODUCER, byNode.get("bn_nobias").outcome());
    assertEquals(FoldOutcome.TURNED_INTO_AFFINE, byNode.get("bn_two_consumers").outcome());
    assertEquals(FoldOutcome.FOLDED_INTO_CONSUMER, byNode.get("bn_before_padded").outcome());
    assertEquals(FoldOutcome.FOLDED_INTO_PRODUCER, byNode.get("bn_after_gemm").outcome());
    assertEquals(FoldOutcome.FOLDED_INTO_CONSUMER, byNode.get("bn_before_gemm").outcome());
    assertEquals(6, r.before().batchNorms());
    assertEquals(0, r.after().batchNorms());
    assertTrue(r.after().flops() < r.before().flops());
    assertTrue(r.after().nodes() < r.before().nodes());
    assertNotNull(r.verification());
    assertTrue(r.verification().passed(), r.explainTable());
    assertEquals(3, r.verification().samples());
    assertEquals(6, g.count("BatchNormalization"), "the input graph is not modified");
    String table = r.explainTable();
    assertTrue(table.contains("bn_two_consumers") && table.contains("turned-into-affine"), table);
    assertTrue(table.contains("verification: passed"), table);
  }

  @Test
  void reportIsWrittenAsJson(@TempDir Path dir) throws Exception {
    ConversionResult r =
        Converter.convert(everything(), Converter.Options.defaults().withSamples(1));
    Path file = dir.resolve("report.json");
    r.writeJson(file);
    JsonNode json = new ObjectMapper().readTree(Files.readString(file));
    assertEquals(6, json.get("explain").size());
    assertEquals("folded-into-producer", json.get("explain").get(0).get("outcome").asText());
    assertEquals(6, json.get("before").get("batchNorms").asInt());
    assertEquals(0, json.get("after").get("batchNorms").asInt());
    assertTrue(json.get("verification").get("passed").asBoolean());
    assertTrue(json.get("verification").get("outputs").get(0).has("maxAbsError"));
  }

  @Test
  void verificationOffSkipsOrt() {
    ConversionResult r =
        Converter.convert(everything(), Converter.Options.defaults().withVerify(false));
    assertEquals(null, r.verification());
    assertFalse(r.explainTable().contains("verification"));
  }

  @Test
  void disabledFoldIsLeftAndReported() {
    ConversionResult r =
        Converter.convert(
            everything(),
            Converter.Options.defaults().withVerify(false).withDisabledFolds(Set.of("bn_nobias")));
    FoldRecord rec = r.record("bn_nobias");
    assertEquals(FoldOutcome.LEFT, rec.outcome());
    assertEquals(1, r.after().batchNorms());
  }

  @Test
  void bisectionUndoesExactlyTheFoldsThatBreakTheTolerance() {
    // Tolerance 0: only bit-exact folds survive. bn_exact is the identity (s = 1, t = 0, eps = 0),
    // so folding it changes nothing; folding bn_inexact rounds differently, so it is undone.
    TestModels m = new TestModels(101);
    String x = m.input("x", 1, 3, 5, 5);
    String a =
        m.bn(
            m.conv(x, 3, 3, 1, true),
            "bn_exact",
            new float[] {1, 1, 1},
            new float[] {0, 0, 0},
            new float[] {0, 0, 0},
            new float[] {1, 1, 1});
    Graph g0 = m.graph();
    g0.nodes().get(1).setAttribute(Node.floatAttr("epsilon", 0f));
    String b = m.bn(m.conv(m.relu(a), 3, 4, 3, true), 4, "bn_inexact");
    Graph g = m.output(b).build();

    ConversionResult r =
        Converter.convert(
            g, Converter.Options.defaults().withTolerance(new Tolerance(0, 0)).withSamples(2));
    assertTrue(r.verification().passed(), r.explainTable());
    assertEquals(List.of("bn_inexact"), r.verification().undone(), r.explainTable());
    FoldRecord inexact = r.record("bn_inexact");
    assertEquals(FoldOutcome.LEFT, inexact.outcome());
    assertTrue(inexact.reason().startsWith("numerics"), inexact.reason());
    FoldRecord exact = r.record("bn_exact");
    assertEquals(FoldOutcome.FOLDED_INTO_PRODUCER, exact.outcome());
    assertEquals(1, r.after().batchNorms());
  }

  @Test
  void convertingResnetSizedModelIsFast() {
    // A stand-in for resnet18 when the sample is absent: 20 Conv+BN pairs of 64..256 channels.
    TestModels m = new TestModels(102);
    String x = m.input("x", -1, 64, 8, 8);
    for (int i = 0; i < 20; i++) {
      x = m.relu(m.bn(m.conv(x, 64, 64, 3, false, pads(1)), 64));
    }
    Graph g = m.output(x).build();
    long t0 = System.nanoTime();
    ConversionResult r = Converter.convert(g, Converter.Options.defaults().withVerify(false));
    OnnxWriter.toBytes(r.graph());
    double ms = (System.nanoTime() - t0) / 1e6;
    assertEquals(0, r.after().batchNorms());
    assertTrue(ms < 2000, "conversion took " + ms + " ms");
  }
}
