package dev.bnfold.cli;

import dev.bnfold.converter.verify.Tolerance;
import picocli.CommandLine.Option;

/** {@code --rtol} and {@code --atol}: |a - b| <= atol + rtol * max|ref|, per output. */
final class ToleranceOptions {
  @Option(
      names = "--rtol",
      paramLabel = "R",
      description =
          "Relative tolerance, times max|reference| per output (default: ${DEFAULT-VALUE}).")
  double rtol = Tolerance.defaults().rtol();

  @Option(
      names = "--atol",
      paramLabel = "A",
      description = "Absolute tolerance (default: ${DEFAULT-VALUE}).")
  double atol = Tolerance.defaults().atol();

  Tolerance tolerance() {
    return new Tolerance(rtol, atol);
  }
}
