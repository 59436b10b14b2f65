package dev.bnfold.converter.conformance;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.fail;

import dev.bnfold.converter.Converter;
import dev.bnfold.converter.export.RuntimeExporter;
import dev.bnfold.converter.graph.DataType;
import dev.bnfold.converter.graph.Graph;
import dev.bnfold.converter.graph.Tensor;
import dev.bnfold.converter.graph.ValueInfo;
import dev.bnfold.converter.onnx.OnnxReader;
import dev.bnfold.runtime.Model;
import dev.bnfold.runtime.Options;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.TestFactory;

/**
 * Runs every allowlisted official ONNX backend node test ({@code onnx-node-tests.txt}) through
 * bnfold's whole path: {@link OnnxReader} -> {@link Converter} (no verification) -> {@link
 * RuntimeExporter} -> {@link Model}, with the default kernels and with {@code scalarOnly}, and
 * compares every output with the expected one: same shape, and {@code |actual - expected| <= atol +
 * rtol * |expected|} with rtol = 1e-4, atol = 1e-5 (NaN only where NaN is expected).
 *
 * <p>INT64 graph inputs (shapes, axes, starts, pads, splits) are frozen into initializers from the
 * test's data before conversion: the runtime takes int64 values only as load-time constants, which
 * is how exported models hold them. So are the float inputs an entry names with {@code const=}
 * (weights, BN statistics, Clip bounds): as constants they take the paths real models take (BN
 * folding, packed weights and the Vector API GEMM), as run-time inputs the reference loops.
 */
class OnnxNodeConformanceTest {
  static final double RTOL = 1e-4;
  static final double ATOL = 1e-5;

  private static final AtomicInteger RUNS = new AtomicInteger();
  private static final Set<String> STARTED = ConcurrentHashMap.newKeySet();
  private static final Set<String> FAILED = ConcurrentHashMap.newKeySet();
  private static final Set<String> KERNELS = ConcurrentHashMap.newKeySet();
  private static int excluded;

  @TestFactory
  Stream<DynamicTest> allowlistedNodeTests() {
    if (!NodeTestData.exists()) { // one visibly skipped test (a failure on CI) saying why
      return Stream.of(DynamicTest.dynamicTest("ONNX node test data", NodeTestData::requireDir));
    }
    Path dir = NodeTestData.dir();
    NodeTestList list = NodeTestList.load();
    excluded = list.excluded().size();
    return list.run().stream()
        .map(e -> DynamicTest.dynamicTest(e.toString(), () -> runEntry(dir, e)));
  }

  private static void runEntry(Path dir, NodeTestList.Entry e) throws Throwable {
    try {
      runNodeTest(dir.resolve(e.test()), e.constants());
    } catch (Throwable t) {
      FAILED.add(e.test());
      throw t;
    }
  }

  @AfterAll
  static void summary() {
    if (RUNS.get() == 0) {
      return;
    }
    Set<String> passed = new TreeSet<>(STARTED);
    passed.removeAll(FAILED);
    System.out.println(
        "ONNX node tests: "
            + passed.size()
            + " passed"
            + (FAILED.isEmpty() ? "" : ", " + FAILED.size() + " failed")
            + ", "
            + excluded
            + " excluded (reasons in onnx-node-tests.txt); "
            + RUNS.get()
            + " runs with the const= variants, each with kernels "
            + new TreeSet<>(KERNELS));
  }

  /** Converts and runs one test with both kernel sets; fails naming the test, kernel and output. */
  static void runNodeTest(Path testDir, Set<String> constants) {
    RUNS.incrementAndGet();
    String name = testDir.getFileName().toString();
    STARTED.add(name);
    Graph graph = OnnxReader.load(testDir.resolve("model.onnx"));
    List<Path> inFiles = NodeTestData.dataFiles(testDir, "input");
    List<Path> outFiles = NodeTestData.dataFiles(testDir, "output");
    assertEquals(graph.inputs().size(), inFiles.size(), name + ": inputs vs input_*.pb files");
    assertEquals(graph.outputs().size(), outFiles.size(), name + ": outputs vs output_*.pb files");

    List<String> inputNames = graph.inputs().stream().map(ValueInfo::name).toList();
    for (String c : constants) {
      if (!inputNames.contains(c)) {
        fail(name + ": const=" + c + " names no graph input; inputs are " + inputNames);
      }
    }
    Map<String, dev.bnfold.runtime.Tensor> feeds = new LinkedHashMap<>();
    for (int i = 0; i < inFiles.size(); i++) {
      ValueInfo in = graph.inputs().get(i);
      Tensor t = OnnxReader.readTensor(inFiles.get(i));
      if (t.type() == DataType.INT64 || constants.contains(in.name())) {
        graph.initializers().put(in.name(), t);
      } else {
        feeds.put(in.name(), dev.bnfold.runtime.Tensor.of(floats(t, name), t.dims()));
      }
    }
    graph.inputs().removeIf(v -> graph.initializers().containsKey(v.name()));
    List<String> outNames = graph.outputs().stream().map(ValueInfo::name).toList();
    List<Tensor> expected = new ArrayList<>();
    for (Path p : outFiles) {
      expected.add(OnnxReader.readTensor(p));
    }

    Graph converted =
        Converter.convert(graph, Converter.Options.defaults().withVerify(false)).graph();
    byte[] bytes = RuntimeExporter.toBytes(converted);
    List<String> failures = new ArrayList<>();
    for (boolean scalar : new boolean[] {false, true}) {
      Options options = Options.builder().scalarOnly(scalar).build();
      try (Model model = Model.load(bytes, name, options)) {
        KERNELS.add(model.kernelName());
        Map<String, dev.bnfold.runtime.Tensor> out = model.run(feeds);
        for (int i = 0; i < outNames.size(); i++) {
          String what = name + " [" + model.kernelName() + "] output '" + outNames.get(i) + "'";
          String problem = compare(out.get(outNames.get(i)), expected.get(i), what);
          if (problem != null) {
            failures.add(problem);
          }
        }
      }
    }
    if (!failures.isEmpty()) {
      fail(String.join("\n", failures));
    }
  }

  private static float[] floats(Tensor t, String test) {
    if (t.type() != DataType.FLOAT) {
      fail(test + ": input of type " + t.type().onnxName() + " (runtime tensors are float32)");
    }
    return t.floats();
  }

  /** Null if {@code actual} matches {@code expected}, else what differs. */
  static String compare(dev.bnfold.runtime.Tensor actual, Tensor expected, String what) {
    if (actual == null) {
      return what + ": missing";
    }
    if (expected.type() != DataType.FLOAT) {
      return what + ": expected type " + expected.type().onnxName() + ", runtime gives float32";
    }
    if (!Arrays.equals(actual.shape(), expected.dims())) {
      return what
          + ": shape "
          + Arrays.toString(actual.shape())
          + ", expected "
          + Arrays.toString(expected.dims());
    }
    float[] a = actual.floatData();
    float[] e = expected.floats();
    int bad = 0;
    int first = -1;
    double worst = 0;
    for (int i = 0; i < e.length; i++) {
      boolean ok;
      if (Float.isNaN(e[i]) || Float.isNaN(a[i])) {
        ok = Float.isNaN(e[i]) && Float.isNaN(a[i]);
      } else if (Float.isInfinite(e[i]) || Float.isInfinite(a[i])) {
        ok = e[i] == a[i];
      } else {
        double d = Math.abs((double) a[i] - e[i]);
        ok = d <= ATOL + RTOL * Math.abs(e[i]);
        worst = Math.max(worst, d);
      }
      if (!ok) {
        bad++;
        if (first < 0) {
          first = i;
        }
      }
    }
    if (bad == 0) {
      return null;
    }
    return String.format(
        "%s: %d of %d elements off (rtol %.0e, atol %.0e); first at flat index %d: %s, expected %s;"
            + " max |diff| %.3g",
        what, bad, e.length, RTOL, ATOL, first, a[first], e[first], worst);
  }
}
