package dev.bnfold.converter.conformance;

import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.bnfold.runtime.ops.OpRegistry;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import org.junit.jupiter.api.Test;

/**
 * Keeps {@code onnx-node-tests.txt} honest against the node test data: no silent omissions, no
 * supported op without a conformance test, no stale names. That the allowlisted tests pass is
 * {@link OnnxNodeConformanceTest}.
 */
class OnnxNodeAllowlistTest {
  /** Ops the runtime supports that are bnfold's own, with no ONNX node tests. */
  static final Set<String> INTERNAL_OPS = Set.of("ChannelAffine");

  /** Ops the converter folds into constants (on constant inputs or static shapes). */
  static final Set<String> FOLDED_OPS = Set.of("Constant", "Shape");

  private static Path dir;
  private static NodeTestList list;
  private static Map<String, Set<String>> opsByTest;

  /** Loads the list and the op types of every test once; skips (fails on CI) without the data. */
  private static synchronized void load() {
    Path d = NodeTestData.requireDir();
    if (dir != null) {
      return;
    }
    Map<String, Set<String>> ops = new LinkedHashMap<>();
    for (String t : NodeTestData.testNames(d)) {
      ops.put(t, NodeTestData.opTypes(d.resolve(t)));
    }
    list = NodeTestList.load();
    opsByTest = ops;
    dir = d;
  }

  private static Set<String> supportedOps() {
    Set<String> ops = new TreeSet<>(OpRegistry.supportedOps());
    ops.removeAll(INTERNAL_OPS);
    return ops;
  }

  /** Rule 1: every supported op that has node tests has at least one allowlisted test. */
  @Test
  void everySupportedOpWithNodeTestsIsCovered() {
    load();
    Set<String> covered = new HashSet<>();
    for (String t : list.runNames()) {
      covered.addAll(opsByTest.getOrDefault(t, Set.of()));
    }
    List<String> missing = new ArrayList<>();
    for (String op : supportedOps()) {
      boolean hasTests = opsByTest.values().stream().anyMatch(ops -> ops.contains(op));
      if (hasTests && !covered.contains(op)) {
        missing.add(op);
      }
    }
    assertTrue(
        missing.isEmpty(),
        "supported ops with node tests but none in [run] of onnx-node-tests.txt: " + missing);
  }

  /** Rule 2: every test that uses only supported (or folded) ops is either run or excluded. */
  @Test
  void everyTestOfSupportedOpsIsListed() {
    load();
    Set<String> allowed = new HashSet<>(supportedOps());
    allowed.addAll(FOLDED_OPS);
    List<String> unlisted = new ArrayList<>();
    opsByTest.forEach(
        (t, ops) -> {
          if (allowed.containsAll(ops)
              && !list.runNames().contains(t)
              && !list.excluded().containsKey(t)) {
            unlisted.add(t + " " + ops);
          }
        });
    assertTrue(
        unlisted.isEmpty(),
        unlisted.size()
            + " node test(s) use only supported ops but are neither in [run] nor in [excluded]"
            + " (with a reason) of onnx-node-tests.txt:\n  "
            + String.join("\n  ", unlisted));
  }

  /** The file names only tests that exist, each in one section. */
  @Test
  void listedTestsExistAndAreInOneSection() {
    load();
    List<String> problems = new ArrayList<>();
    for (String t : list.runNames()) {
      if (!opsByTest.containsKey(t)) {
        problems.add(t + ": in [run] but not in " + dir);
      }
      if (list.excluded().containsKey(t)) {
        problems.add(t + ": both in [run] and in [excluded]");
      }
    }
    for (String t : list.excluded().keySet()) {
      if (!opsByTest.containsKey(t)) {
        problems.add(t + ": in [excluded] but not in " + dir);
      }
    }
    assertTrue(problems.isEmpty(), String.join("\n", problems));
  }
}
