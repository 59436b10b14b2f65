package dev.bnfold.converter.onnx;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.bnfold.converter.graph.Graph;
import dev.bnfold.converter.io.NdArray;
import dev.bnfold.converter.io.Npy;
import dev.bnfold.converter.testing.SampleModels;
import dev.bnfold.converter.verify.OrtRunner;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.FieldSource;

/** load -> save of every sample model computes bit-identical outputs in ONNX Runtime. */
class OnnxRoundTripTest {

  @ParameterizedTest
  @FieldSource("dev.bnfold.converter.testing.SampleModels#ALL")
  void roundTripIsBitIdentical(String name) throws Exception {
    Path file = SampleModels.onnx(name);
    NdArray input = Npy.read(SampleModels.file(name, "input.npy"));
    byte[] original = Files.readAllBytes(file);
    Graph graph = OnnxReader.load(file);
    byte[] saved = OnnxWriter.toBytes(graph);

    Map<String, NdArray> before;
    Map<String, NdArray> after;
    try (OrtRunner a = new OrtRunner(original, false, 1);
        OrtRunner b = new OrtRunner(saved, false, 1)) {
      String in = a.inputNames().iterator().next();
      before = a.run(Map.of(in, input));
      after = b.run(Map.of(in, input));
    }
    assertEquals(before.keySet(), after.keySet());
    for (String out : before.keySet()) {
      assertArrayEquals(before.get(out).shape(), after.get(out).shape(), out);
      float[] x = before.get(out).floats();
      float[] y = after.get(out).floats();
      for (int i = 0; i < x.length; i++) {
        assertEquals(
            Float.floatToRawIntBits(x[i]), Float.floatToRawIntBits(y[i]), out + "[" + i + "]");
      }
    }
    // A second round trip changes nothing at all.
    assertArrayEquals(saved, OnnxWriter.toBytes(OnnxReader.load(saved(saved))));
  }

  private static Path saved(byte[] bytes) throws Exception {
    Path p = Files.createTempFile("bnfold-roundtrip", ".onnx");
    p.toFile().deleteOnExit();
    Files.write(p, bytes);
    return p;
  }
}
