package dev.bnfold.cli;

import dev.bnfold.converter.ConversionResult;
import dev.bnfold.converter.Converter;
import dev.bnfold.converter.export.RuntimeExporter;
import dev.bnfold.converter.graph.Graph;
import dev.bnfold.converter.onnx.OnnxReader;
import dev.bnfold.converter.onnx.OnnxWriter;
import dev.bnfold.converter.passes.FoldOutcome;
import dev.bnfold.converter.passes.FoldRecord;
import dev.bnfold.converter.verify.Verification;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.Locale;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/**
 * {@code bnfold convert IN.onnx -o OUT}: fold BatchNormalization and write ONNX or runtime format.
 */
@Command(
    name = "convert",
    mixinStandardHelpOptions = true,
    description = {
      "Fold every BatchNormalization that can be folded, verify the result against the",
      "original in ONNX Runtime, and write it: as ONNX if OUT ends in .onnx, otherwise in the",
      "runtime's format (.bfm). The input file is never modified; the output is written",
      "atomically, and not at all if verification fails."
    })
final class ConvertCommand implements Callable<Integer> {
  @Spec CommandSpec spec;

  @Parameters(paramLabel = "IN.onnx", description = "The ONNX model to convert.")
  Path in;

  @Option(
      names = {"-o", "--output"},
      required = true,
      paramLabel = "OUT",
      description =
          "Output file: OUT.onnx for folded ONNX, anything else (OUT.bfm) for the runtime.")
  Path out;

  @Option(names = "--explain", description = "Print what happened to every BatchNormalization.")
  boolean explain;

  @Option(
      names = "--report",
      paramLabel = "R.json",
      description = "Write the explain table and before/after counts as JSON.")
  Path report;

  @Option(names = "--no-verify", description = "Skip the check against ONNX Runtime.")
  boolean noVerify;

  @Option(
      names = "--samples",
      paramLabel = "N",
      description = "Random input sets to verify on (default: ${DEFAULT-VALUE}).")
  int samples = 3;

  @Option(names = "--timings", description = "Print load, fold and save times.")
  boolean timings;

  @Mixin InputFiles inputs;
  @Mixin ToleranceOptions tolerance;

  @Override
  public Integer call() {
    PrintWriter o = spec.commandLine().getOut();
    long t0 = System.nanoTime();
    Graph graph = OnnxReader.load(in);
    long t1 = System.nanoTime();
    Converter.Options options =
        Converter.Options.defaults()
            .withVerify(!noVerify)
            .withSamples(samples)
            .withTolerance(tolerance.tolerance())
            .withInputs(noVerify ? inputs.read() : inputs.readFinite());
    ConversionResult result = Converter.convert(graph, options);
    long t3 = System.nanoTime();
    if (explain) {
      o.print(result.explainTable());
    }
    Verification v = result.verification();
    if (v != null && !explain) { // the explain table has these lines already
      o.printf(
          "verify: %d sample(s) vs ONNX Runtime (original, no optimizations), rtol %.1e, atol %.1e%n",
          v.samples(), tolerance.rtol, tolerance.atol);
      v.comparison().outputs().forEach(c -> o.println("  " + c.summary()));
      if (!v.undone().isEmpty()) {
        o.println("  folds undone for numerics: " + String.join(", ", v.undone()));
      }
    }
    if (report != null) {
      result.writeJson(report);
    }
    if (v != null && !v.passed()) {
      o.println("verification FAILED: nothing written to " + out);
      o.flush();
      return Main.EXIT_VERIFY_FAILED;
    }
    boolean onnx = out.getFileName().toString().toLowerCase(Locale.ROOT).endsWith(".onnx");
    if (onnx) {
      OnnxWriter.save(result.graph(), out, in);
    } else {
      RuntimeExporter.save(result.graph(), out, in);
    }
    long t4 = System.nanoTime();
    o.printf(
        "%s: %d -> %d BatchNormalization, %d -> %d nodes; wrote %s (%s)%n",
        in,
        result.before().batchNorms(),
        result.after().batchNorms(),
        result.before().nodes(),
        result.after().nodes(),
        out,
        onnx ? "ONNX" : "runtime format");
    if (!explain) { // the explain table lists these already
      for (FoldRecord r : result.explain()) {
        if (r.outcome() == FoldOutcome.LEFT) {
          o.printf("  left as it was: %s '%s': %s%n", r.op(), r.node(), r.reason());
        }
      }
    }
    if (timings) {
      double load = (t1 - t0) / 1e6;
      double fold = result.foldNanos() / 1e6;
      double save = (t4 - t3) / 1e6;
      o.printf(
          "timings: load %.0f ms, fold %.0f ms, save %.0f ms, total without verification %.0f ms;"
              + " verification %.0f ms%n",
          load, fold, save, load + fold + save, result.verifyNanos() / 1e6);
    }
    o.flush();
    return 0;
  }
}
