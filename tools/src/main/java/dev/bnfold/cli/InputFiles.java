package dev.bnfold.cli;

import dev.bnfold.converter.graph.DataType;
import dev.bnfold.converter.io.NdArray;
import dev.bnfold.converter.io.Npy;
import dev.bnfold.runtime.InvalidInputException;
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

  /**
   * Reads every input file and refuses NaN or infinity: verification compares finite values, and
   * NaN in both models would count as agreement. ({@code bnfold run} lets them propagate.)
   */
  Map<String, NdArray> readFinite() {
    Map<String, NdArray> out = read();
    out.forEach(
        (name, a) -> {
          if (a.type() != DataType.FLOAT) {
            return;
          }
          float[] f = a.floats();
          for (int i = 0; i < f.length; i++) {
            if (!Float.isFinite(f[i])) {
              throw new InvalidInputException(
                  files.get(name)
                      + ": input '"
                      + name
                      + "' has "
                      + f[i]
                      + " at element "
                      + i
                      + "; verification needs finite inputs (bnfold run propagates NaN/Inf)");
            }
          }
        });
    return out;
  }
}
