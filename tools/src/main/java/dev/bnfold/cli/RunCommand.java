package dev.bnfold.cli;

import dev.bnfold.converter.export.RuntimeModels;
import dev.bnfold.converter.io.NdArray;
import dev.bnfold.converter.io.Npy;
import dev.bnfold.runtime.BnfoldIOException;
import dev.bnfold.runtime.Model;
import dev.bnfold.runtime.Options;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/** {@code bnfold run MODEL -i NAME=FILE.npy -o OUT_DIR}: run a model in the Java runtime. */
@Command(
    name = "run",
    mixinStandardHelpOptions = true,
    description = {
      "Run a model in the Java runtime and write each output to OUT_DIR/<output>.npy.",
      "MODEL is a runtime-format file or an ONNX model (converted in memory first)."
    })
final class RunCommand implements Callable<Integer> {
  @Spec CommandSpec spec;

  @Parameters(paramLabel = "MODEL", description = "Runtime-format (.bfm) or ONNX model.")
  Path model;

  @Option(
      names = {"-o", "--output-dir"},
      required = true,
      paramLabel = "OUT_DIR",
      description = "Directory for the output .npy files (created if missing).")
  Path outDir;

  @Option(names = "--threads", description = "Intra-op threads (default: ${DEFAULT-VALUE}).")
  int threads = 1;

  @Mixin InputFiles inputs;

  @Override
  public Integer call() {
    Map<String, NdArray> in = inputs.read();
    Map<String, NdArray> out;
    try (Model m = RuntimeModels.open(model, Options.builder().threads(threads).build())) {
      out = RuntimeModels.run(m, in);
    }
    try {
      Files.createDirectories(outDir);
    } catch (IOException e) {
      throw new BnfoldIOException(
          outDir + ": cannot create output directory: " + e.getMessage(), e);
    }
    PrintWriter o = spec.commandLine().getOut();
    for (Map.Entry<String, NdArray> e : out.entrySet()) {
      Path file = outDir.resolve(fileSafe(e.getKey()) + ".npy");
      Npy.write(file, e.getValue());
      o.printf("%s %s -> %s%n", e.getKey(), Arrays.toString(e.getValue().shape()), file);
    }
    o.flush();
    return 0;
  }

  /** An output name as a file name: anything but letters, digits, '-', '_' and '.' becomes '_'. */
  static String fileSafe(String name) {
    String s = name.replaceAll("[^A-Za-z0-9._-]", "_");
    if (s.isEmpty() || s.startsWith(".")) {
      s = "_" + s;
    }
    return s;
  }
}
