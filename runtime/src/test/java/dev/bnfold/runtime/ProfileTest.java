package dev.bnfold.runtime;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** PreparedRun.profile: one row per step, counted FLOPs, outputs unchanged. */
class ProfileTest {
  @Test
  void profileHasOneRowPerStepWithKernelsFlopsAndTheSameOutputs() {
    float[] x = ModelApiTest.image(2, 3);
    try (Model m = ModelApiTest.load(Options.defaults())) {
      float[] expected =
          m.run(Map.of("image", Tensor.of(x, 2, 3, 12, 12))).get("logits").floatData();
      PreparedRun r = m.prepare(new long[] {2, 3, 12, 12});
      float[][] out = {new float[r.outputSize(0)], new float[r.outputSize(1)]};
      Profile p = r.profile(new float[][] {x}, out, 5);
      assertArrayEquals(expected, out[1]);
      assertEquals(5, p.runs());
      List<String> nodes = p.layers().stream().map(Profile.Layer::node).toList();
      // Clip is fused into dw2, Flatten is a view (no step of its own).
      assertEquals(
          List.of("conv1", "bn1", "relu1", "pool1", "dw2", "gap", "fc", "prob"),
          nodes,
          p.toString());
      Profile.Layer conv1 = p.layers().get(0);
      assertArrayEquals(new long[] {2, 8, 12, 12}, conv1.outputShape());
      // 2 * (2*8*12*12 outputs) * (3*3*3 taps)
      assertEquals(2L * 2 * 8 * 12 * 12 * 27, conv1.flops());
      Profile.Layer dw = p.layers().get(4);
      assertEquals("Conv+clip", dw.opType());
      assertEquals(2L * 2 * 8 * 6 * 6 * 9, dw.flops());
      Profile.Layer fc = p.layers().get(6);
      assertEquals(2L * 2 * 5 * 8, fc.flops());
      assertEquals(0, p.layers().get(3).flops());
      assertTrue(Double.isNaN(p.layers().get(3).gflops()));
      for (Profile.Layer l : p.layers()) {
        assertTrue(l.medianMs() >= 0 && !l.kernel().isEmpty(), l.toString());
      }
      double sum = p.layers().stream().mapToDouble(Profile.Layer::medianMs).sum();
      assertTrue(p.totalMedianMs() > 0 && sum > 0, p.toString());
      String table = p.toString();
      assertTrue(table.contains("conv1") && table.contains("GFLOP/s"), table);
    }
  }

  @Test
  void profileChecksItsArguments() {
    try (Model m = ModelApiTest.load(Options.defaults())) {
      PreparedRun r = m.prepare(new long[] {1, 3, 12, 12});
      float[][] in = {ModelApiTest.image(1, 1)};
      float[][] out = {new float[r.outputSize(0)], new float[r.outputSize(1)]};
      assertThrows(InvalidInputException.class, () -> r.profile(in, out, 0));
      assertThrows(
          InvalidInputException.class, () -> r.profile(new float[][] {new float[3]}, out, 1));
    }
  }
}
