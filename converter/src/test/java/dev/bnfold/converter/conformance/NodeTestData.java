package dev.bnfold.converter.conformance;

import dev.bnfold.onnx.Onnx.ModelProto;
import dev.bnfold.onnx.Onnx.NodeProto;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Stream;
import org.junit.jupiter.api.Assertions;
import org.junit.jupiter.api.Assumptions;

/**
 * Where the official ONNX backend node tests are: {@code <dir>/<test_name>/model.onnx} with {@code
 * test_data_set_0/input_<i>.pb} and {@code output_<i>.pb} (serialized TensorProtos), as installed
 * by Debian's {@code libonnx-testdata}. The directory is {@value #DEFAULT_DIR} unless the {@code
 * bnfold.onnxNodeTests} system property says otherwise. When it is missing a test is skipped,
 * visibly, except on CI ({@code CI=true}), where it fails.
 */
final class NodeTestData {
  static final String DEFAULT_DIR = "/usr/share/libonnx-testdata/data/node";

  private NodeTestData() {}

  /** The node test directory, which may not exist. */
  static Path dir() {
    return Path.of(System.getProperty("bnfold.onnxNodeTests", DEFAULT_DIR));
  }

  /** Whether the node test directory exists. */
  static boolean exists() {
    return Files.isDirectory(dir());
  }

  /** The node test directory; skips the calling test (fails it on CI) when it is absent. */
  static Path requireDir() {
    Path dir = dir();
    if (!Files.isDirectory(dir)) {
      String msg =
          dir
              + " is missing: install the ONNX backend test data with `apt-get install"
              + " libonnx-testdata` (or point -Dbnfold.onnxNodeTests at a copy of onnx's"
              + " backend/test/data/node)";
      if ("true".equals(System.getenv("CI"))) {
        Assertions.fail(msg);
      }
      Assumptions.assumeTrue(false, msg);
    }
    return dir;
  }

  /** The names of all test directories (those holding a model.onnx), sorted. */
  static List<String> testNames(Path dir) {
    try (Stream<Path> s = Files.list(dir)) {
      return s.filter(p -> Files.isRegularFile(p.resolve("model.onnx")))
          .map(p -> p.getFileName().toString())
          .sorted()
          .toList();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** The op types (domain-qualified unless default domain) used by a test's model. */
  static Set<String> opTypes(Path testDir) {
    ModelProto m;
    try {
      m = ModelProto.parseFrom(Files.readAllBytes(testDir.resolve("model.onnx")));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    Set<String> ops = new TreeSet<>();
    for (NodeProto n : m.getGraph().getNodeList()) {
      String d = n.getDomain();
      ops.add(d.isEmpty() || d.equals("ai.onnx") ? n.getOpType() : d + "." + n.getOpType());
    }
    return ops;
  }

  /** The {@code <prefix>_<i>.pb} files of a test's first data set, in index order. */
  static List<Path> dataFiles(Path testDir, String prefix) {
    Path set = testDir.resolve("test_data_set_0");
    List<Path> files = new ArrayList<>();
    for (int i = 0; Files.isRegularFile(set.resolve(prefix + "_" + i + ".pb")); i++) {
      files.add(set.resolve(prefix + "_" + i + ".pb"));
    }
    return files;
  }
}
