package dev.bnfold.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import dev.bnfold.converter.Converter;
import dev.bnfold.converter.graph.Graph;
import dev.bnfold.converter.io.NdArray;
import dev.bnfold.converter.onnx.OnnxReader;
import dev.bnfold.converter.verify.OutputComparison;
import dev.bnfold.converter.verify.RandomInputs;
import dev.bnfold.converter.verify.RuntimeCheck;
import dev.bnfold.converter.verify.Tolerance;
import dev.bnfold.runtime.Options;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/** {@code bnfold verify IN.onnx}: the Java runtime on the converted model vs ONNX Runtime. */
@Command(
    name = "verify",
    mixinStandardHelpOptions = true,
    description = {
      "Convert a model, run the original in ONNX Runtime (no graph optimizations) and the",
      "converted one in the Java runtime, and compare every output. Exit code 1 if any",
      "output breaks the tolerance |a - b| <= atol + rtol * max|reference|."
    })
final class VerifyCommand implements Callable<Integer> {
  @Spec CommandSpec spec;

  @Parameters(paramLabel = "IN.onnx", description = "The original ONNX model.")
  Path in;

  @Option(
      names = "--samples",
      paramLabel = "N",
      description = "Random input sets, in addition to -i inputs (default: ${DEFAULT-VALUE}).")
  int samples = 3;

  @Option(names = "--seed", description = "Seed of the random inputs (default: ${DEFAULT-VALUE}).")
  long seed = 0;

  @Option(names = "--json", description = "Print the result as one JSON object.")
  boolean json;

  @Option(
      names = "--per-layer",
      description =
          "Compare every intermediate tensor both models compute; name the first that diverges.")
  boolean perLayer;

  @Option(names = "--scalar", description = "Use the runtime's scalar kernels only.")
  boolean scalar;

  @Mixin InputFiles inputs;
  @Mixin ToleranceOptions toleranceOptions;

  @Override
  public Integer call() {
    Graph original = OnnxReader.load(in);
    Graph converted =
        Converter.convert(original, Converter.Options.defaults().withVerify(false)).graph();
    List<Map<String, NdArray>> sets = new ArrayList<>();
    Map<String, NdArray> given = inputs.readFinite();
    if (!given.isEmpty()) {
      sets.add(given);
    }
    SplittableRandom random = new SplittableRandom(seed);
    for (int i = 0; i < samples; i++) {
      sets.add(RandomInputs.sample(original.inputs(), random));
    }
    Tolerance tolerance = toleranceOptions.tolerance();
    RuntimeCheck.Result r =
        RuntimeCheck.run(
            original,
            converted,
            sets,
            tolerance,
            Options.builder().scalarOnly(scalar).build(),
            perLayer);
    PrintWriter o = spec.commandLine().getOut();
    if (json) {
      o.println(toJson(r, tolerance));
    } else {
      o.printf(
          "%s: Java runtime (converted) vs ONNX Runtime (original, no optimizations), %d input set(s)%n",
          in, r.samples());
      o.printf(
          "tolerance: |a - b| <= %.1e + %.1e * max|ref|%n", tolerance.atol(), tolerance.rtol());
      for (OutputComparison c : r.comparison().outputs()) {
        o.println("  " + c.summary());
      }
      if (perLayer) {
        o.printf(
            "per-layer: %d shared intermediate values compared; %s%n",
            r.layersCompared(),
            r.firstDivergence() == null
                ? "all within tolerance"
                : "first divergence: " + r.firstDivergence().summary());
      }
      o.println(r.passed() ? "PASS" : "FAIL");
    }
    o.flush();
    return r.passed() ? 0 : Main.EXIT_VERIFY_FAILED;
  }

  private String toJson(RuntimeCheck.Result r, Tolerance t) {
    Map<String, Object> root = new LinkedHashMap<>();
    root.put("model", in.toString());
    root.put("samples", r.samples());
    root.put("rtol", t.rtol());
    root.put("atol", t.atol());
    root.put("passed", r.passed());
    List<Map<String, Object>> outs = new ArrayList<>();
    for (OutputComparison c : r.comparison().outputs()) {
      outs.add(comparisonJson(c));
    }
    root.put("outputs", outs);
    if (perLayer) {
      root.put("layers_compared", r.layersCompared());
      root.put(
          "first_divergence",
          r.firstDivergence() == null ? null : comparisonJson(r.firstDivergence()));
    }
    try {
      return new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT).writeValueAsString(root);
    } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
      throw new IllegalStateException(e);
    }
  }

  private static Map<String, Object> comparisonJson(OutputComparison c) {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("name", c.name());
    m.put("max_abs_error", finite(c.maxAbsError()));
    m.put("max_rel_error", finite(c.maxRelError()));
    m.put("bound", c.bound());
    m.put("passed", c.passed());
    if (c.top1Total() >= 0) {
      m.put("top1_agree", c.top1Agree());
      m.put("top1_total", c.top1Total());
    }
    if (c.problem() != null) {
      m.put("problem", c.problem());
    }
    return m;
  }

  /** JSON has no NaN or Infinity: those become strings. */
  private static Object finite(double d) {
    return Double.isFinite(d) ? d : Double.toString(d);
  }
}
