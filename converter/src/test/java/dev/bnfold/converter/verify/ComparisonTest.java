package dev.bnfold.converter.verify;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.bnfold.converter.io.NdArray;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The tolerance rule |a - b| <= atol + rtol * max|ref|, per output, and top-1 agreement. */
class ComparisonTest {
  private static final Tolerance TOL = Tolerance.defaults();

  private static NdArray f(long[] shape, float... v) {
    return NdArray.ofFloats(shape, v);
  }

  @Test
  void boundIsRelativeToTheLargestReferenceMagnitude() {
    NdArray ref = f(new long[] {4}, 100f, 0f, 0f, 0f);
    // 100 * 1e-4 + 1e-5 = 0.01001: an error of 0.01 on a zero element still passes.
    OutputComparison ok = Comparison.compare("y", ref, f(new long[] {4}, 100f, 0.01f, 0f, 0f), TOL);
    assertTrue(ok.passed(), ok.summary());
    assertEquals(0.01, ok.maxAbsError(), 1e-6);
    assertEquals(1e-4, ok.maxRelError(), 1e-8);
    OutputComparison bad =
        Comparison.compare("y", ref, f(new long[] {4}, 100f, 0.011f, 0f, 0f), TOL);
    assertFalse(bad.passed(), bad.summary());
  }

  @Test
  void nanOnlyInTheActualOutputFails() {
    OutputComparison c =
        Comparison.compare("y", f(new long[] {2}, 1f, 2f), f(new long[] {2}, 1f, Float.NaN), TOL);
    assertFalse(c.passed());
    OutputComparison both =
        Comparison.compare("y", f(new long[] {1}, Float.NaN), f(new long[] {1}, Float.NaN), TOL);
    assertTrue(both.passed());
  }

  @Test
  void shapeMismatchAndMissingOutputFailWithAProblem() {
    Map<String, NdArray> ref = new LinkedHashMap<>();
    ref.put("a", f(new long[] {2}, 1f, 2f));
    ref.put("b", f(new long[] {1}, 1f));
    Comparison c = Comparison.compare(ref, Map.of("a", f(new long[] {1, 2}, 1f, 2f)), TOL);
    assertFalse(c.passed());
    assertTrue(c.outputs().get(0).problem().contains("shape"));
    assertTrue(c.outputs().get(1).problem().contains("missing"));
  }

  @Test
  void top1AgreementIsCountedForClassifierOutputs() {
    NdArray ref = f(new long[] {3, 2}, 1f, 2f, 3f, 1f, 0f, 5f);
    NdArray act = f(new long[] {3, 2}, 1f, 2f, 1f, 3f, 0f, 5f);
    OutputComparison c = Comparison.compare("logits", ref, act, TOL);
    assertEquals(2, c.top1Agree());
    assertEquals(3, c.top1Total());
    assertFalse(c.top1AllAgree());
    assertFalse(c.passed());
  }

  @Test
  void integerOutputsMustMatchExactly() {
    NdArray ref = NdArray.ofLongs(new long[] {2}, new long[] {1, 2});
    assertTrue(
        Comparison.compare("i", ref, NdArray.ofLongs(new long[] {2}, new long[] {1, 2}), TOL)
            .passed());
    assertFalse(
        Comparison.compare("i", ref, NdArray.ofLongs(new long[] {2}, new long[] {1, 3}), TOL)
            .passed());
  }

  @Test
  void worstMergesSamples() {
    Comparison a =
        new Comparison(
            List.of(Comparison.compare("y", f(new long[] {1}, 1f), f(new long[] {1}, 1f), TOL)));
    Comparison b =
        new Comparison(
            List.of(Comparison.compare("y", f(new long[] {1}, 1f), f(new long[] {1}, 2f), TOL)));
    Comparison w = Comparison.worst(List.of(a, b));
    assertFalse(w.passed());
    assertEquals(1.0, w.maxAbsError(), 1e-9);
  }
}
