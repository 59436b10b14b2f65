package dev.bnfold.cli;

import dev.bnfold.converter.Converter;
import dev.bnfold.converter.graph.Graph;
import dev.bnfold.converter.graph.ValueInfo;
import dev.bnfold.converter.inspect.ModelSummary;
import dev.bnfold.converter.onnx.OnnxReader;
import dev.bnfold.runtime.BnfoldException;
import dev.bnfold.runtime.ops.OpRegistry;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/** {@code bnfold inspect MODEL.onnx}: what is in a model and what bnfold will make of it. */
@Command(
    name = "inspect",
    mixinStandardHelpOptions = true,
    description = {
      "Print a model's opsets, inputs and outputs, op histogram, parameter count,",
      "BatchNormalization count, and anything unsupported or suspicious (ops the runtime",
      "cannot run once the converter has folded what it can, BN statistics that cannot be",
      "folded)."
    })
final class InspectCommand implements Callable<Integer> {
  @Spec CommandSpec spec;

  @Parameters(paramLabel = "MODEL.onnx", description = "The ONNX model to inspect.")
  Path model;

  @Override
  public Integer call() {
    Graph graph = OnnxReader.load(model);
    Graph converted = null;
    String conversionProblem = null;
    try {
      converted = Converter.convert(graph, Converter.Options.defaults().withVerify(false)).graph();
    } catch (BnfoldException e) {
      conversionProblem = e.getMessage();
    }
    ModelSummary s = ModelSummary.of(graph, converted, OpRegistry.supportedOps());
    var out = spec.commandLine().getOut();
    out.printf("model:       %s (%,d bytes)%n", model, fileSize(model));
    Graph.ModelInfo info = graph.modelInfo();
    out.printf(
        "producer:    %s %s, IR version %d%n",
        info.producerName().isEmpty() ? "(unknown)" : info.producerName(),
        info.producerVersion(),
        info.irVersion());
    StringBuilder opsets = new StringBuilder();
    for (Map.Entry<String, Long> e : s.opsets().entrySet()) {
      opsets.append(e.getKey().isEmpty() ? "ai.onnx" : e.getKey()).append(' ').append(e.getValue());
      opsets.append("  ");
    }
    out.printf("opsets:      %s%n", opsets.toString().trim());
    for (ValueInfo v : s.inputs()) {
      out.printf("input:       %s %s %s%n", v.name(), v.type().onnxName(), v.shapeString());
    }
    for (ValueInfo v : s.outputs()) {
      out.printf("output:      %s %s %s%n", v.name(), v.type().onnxName(), v.shapeString());
    }
    out.printf("nodes:       %,d%n", s.nodeCount());
    out.printf(
        "parameters:  %,d (%,d bytes in %d initializers)%n",
        s.parameterCount(), s.parameterBytes(), graph.initializers().size());
    out.printf("batchnorm:   %d BatchNormalization nodes%n", s.batchNormCount());
    out.println("ops:");
    s.opHistogram().forEach((op, n) -> out.printf("  %-22s %5d%n", op, n));
    if (conversionProblem != null) {
      out.println("conversion:  FAILS: " + conversionProblem);
    }
    if (s.findings().isEmpty()) {
      out.println("findings:    none");
    } else {
      out.println("findings:");
      s.findings().forEach(f -> out.println("  - " + f));
    }
    out.flush();
    return 0;
  }

  private static long fileSize(Path p) {
    try {
      return Files.size(p);
    } catch (java.io.IOException e) {
      return -1;
    }
  }
}
