package dev.bnfold.converter.verify;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.bnfold.converter.ConversionResult;
import dev.bnfold.converter.Converter;
import dev.bnfold.converter.graph.Graph;
import dev.bnfold.converter.io.NdArray;
import dev.bnfold.converter.io.Npy;
import dev.bnfold.converter.onnx.OnnxReader;
import dev.bnfold.converter.passes.FoldOutcome;
import dev.bnfold.converter.testing.SampleModels;
import dev.bnfold.runtime.Options;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Every sample model and one model of each torchvision CNN family converts, and the Java runtime
 * running the converted model agrees with ONNX Runtime running the original (no optimizations): on
 * the reference input shipped with the model and on random inputs, within the default tolerance,
 * with the same top-1 class.
 */
class RuntimeCheckModelsTest {

  static Stream<String> models() {
    return Stream.concat(SampleModels.ALL.stream(), SampleModels.FAMILIES.stream());
  }

  @ParameterizedTest
  @MethodSource("models")
  void javaRuntimeAgreesWithOnnxRuntime(String name) {
    check(name, Options.defaults());
  }

  /**
   * The sample models again on the other kernel paths: the plain-Java kernels (what Android runs),
   * and the Vector API kernels split across two intra-op threads.
   */
  @ParameterizedTest
  @MethodSource("sampleModels")
  void scalarKernelsAndTwoThreadsAgreeToo(String name) {
    check(name, Options.builder().scalarOnly(true).build());
    check(name, Options.builder().threads(2).build());
  }

  static Stream<String> sampleModels() {
    return SampleModels.ALL.stream();
  }

  private static void check(String name, Options options) {
    Graph original = OnnxReader.load(SampleModels.onnx(name));
    ConversionResult converted =
        Converter.convert(original, Converter.Options.defaults().withVerify(false));
    // Every BN is folded, or turned into a channel affine where nothing linear is next to it.
    assertEquals(0, converted.after().batchNorms(), converted.explainTable());
    assertEquals(0, converted.count(FoldOutcome.LEFT), converted.explainTable());

    List<Map<String, NdArray>> inputs = new ArrayList<>();
    String input = original.inputs().get(0).name();
    inputs.add(Map.of(input, Npy.read(SampleModels.file(name, "input.npy"))));
    inputs.add(RandomInputs.sample(original.inputs(), new SplittableRandom(7)));
    RuntimeCheck.Result r =
        RuntimeCheck.run(original, converted.graph(), inputs, Tolerance.defaults(), options, false);
    String label =
        name
            + " ("
            + (options.scalarOnly() ? "scalar" : "vector")
            + ", "
            + options.threads()
            + " thread(s))";
    for (OutputComparison c : r.comparison().outputs()) {
      System.out.println(label + ": " + c.summary());
      assertTrue(c.passed(), label + ": " + c.summary());
      assertTrue(c.top1AllAgree(), label + ": " + c.summary());
    }
  }
}
