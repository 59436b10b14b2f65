package dev.bnfold.converter.testing;

import static org.junit.jupiter.api.Assertions.fail;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/**
 * Where tests find the sample models of {@code models/}, and what happens when one is missing:
 * locally the test is skipped with a message saying how to generate it; under CI ({@code CI=true})
 * a missing file is a failure, so CI always runs everything.
 */
public final class SampleModels {
  /** Every sample model, smallest first. {@code digits-cnn} is committed; the others generated. */
  public static final List<String> ALL =
      List.of("digits-cnn", "shufflenet_v2_x0_5", "mobilenet_v3_small", "mobilenet_v2", "resnet18");

  private SampleModels() {}

  /** The repository root (set by the build as system property {@code bnfold.root}). */
  public static Path root() {
    String root = System.getProperty("bnfold.root");
    if (root != null) {
      return Path.of(root);
    }
    // Running from an IDE: walk up from the working directory to the parent pom.
    Path p = Path.of("").toAbsolutePath();
    while (p != null && !Files.isDirectory(p.resolve("models"))) {
      p = p.getParent();
    }
    return p == null ? Path.of("").toAbsolutePath() : p;
  }

  /** {@code models/<name>.onnx}, after {@link #require}. */
  public static Path onnx(String name) {
    return require(root().resolve("models").resolve(name + ".onnx"));
  }

  /** {@code models/<name>.<suffix>} (e.g. {@code input.npy}), after {@link #require}. */
  public static Path file(String name, String suffix) {
    return require(root().resolve("models").resolve(name + "." + suffix));
  }

  /**
   * Returns {@code file} if it exists. Otherwise skips the calling test, or fails it when the
   * environment variable {@code CI} is {@code true}.
   */
  public static Path require(Path file) {
    if (!Files.isRegularFile(file)) {
      String msg =
          file
              + " is missing: generate it with `/usr/bin/python3 tools/scripts/export_models.py`"
              + " (see models/README.md)";
      if ("true".equals(System.getenv("CI"))) {
        fail(msg + " [CI=true: missing data is a failure]");
      }
      assumeTrue(false, msg);
    }
    return file;
  }
}
