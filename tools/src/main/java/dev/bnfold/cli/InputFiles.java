package dev.bnfold.cli;

import dev.bnfold.converter.io.NdArray;
import dev.bnfold.converter.io.Npy;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import picocli.CommandLine.Option;

/** The {@code -i NAME=FILE.npy} option shared by the commands that take inputs. */
final class InputFiles {
  @Option(
      names = {"-i", "--input"},
      paramLabel = "NAME=FILE.npy",
      description = "An input tensor as a .npy file (float32, int32 or int64), by input name.")
  Map<String, Path> files = new LinkedHashMap<>();

  /** Reads every input file. */
  Map<String, NdArray> read() {
    Map<String, NdArray> out = new LinkedHashMap<>();
    files.forEach((name, file) -> out.put(name, Npy.read(file)));
    return out;
  }
}
