package dev.bnfold.converter;

import dev.bnfold.converter.graph.Graph;
import dev.bnfold.converter.io.NdArray;
import dev.bnfold.converter.onnx.OnnxReader;
import dev.bnfold.converter.onnx.OnnxWriter;
import dev.bnfold.converter.passes.Flops;
import dev.bnfold.converter.passes.FoldRecord;
import dev.bnfold.converter.passes.Pass;
import dev.bnfold.converter.passes.PassContext;
import dev.bnfold.converter.passes.Passes;
import dev.bnfold.converter.verify.Comparison;
import dev.bnfold.converter.verify.FoldVerifier;
import dev.bnfold.converter.verify.OutputComparison;
import dev.bnfold.converter.verify.Tolerance;
import dev.bnfold.converter.verify.Verification;
import dev.bnfold.runtime.InvalidInputException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Folds the BatchNormalization nodes of a model: cleanup, BN to per-channel affine, folds into
 * producers and consumers, the rest written as Mul+Add ({@link Passes}); then, optionally, checks
 * the result against the original in ONNX Runtime and undoes, by bisection over the folds, any fold
 * that breaks the tolerance.
 *
 * <pre>{@code
 * ConversionResult r = Converter.convert(OnnxReader.load(path), Converter.Options.defaults());
 * OnnxWriter.save(r.graph(), out, path);
 * System.out.print(r.explainTable());
 * }</pre>
 */
public final class Converter {
  private static final int MAX_ATTEMPTS = 64;

  private Converter() {}

  /**
   * Conversion options.
   *
   * @param verify whether to check the result against the original in ONNX Runtime
   * @param samples number of random input sets for verification (default 3)
   * @param seed seed of the random inputs
   * @param tolerance the comparison tolerance
   * @param inputs user inputs to verify on as well (may be empty)
   * @param disabledFolds BN node names to leave as they are
   * @param threads ONNX Runtime intra-op threads for verification (0 = its default)
   */
  public record Options(
      boolean verify,
      int samples,
      long seed,
      Tolerance tolerance,
      Map<String, NdArray> inputs,
      Set<String> disabledFolds,
      int threads) {

    public Options {
      inputs = Map.copyOf(inputs);
      disabledFolds = Set.copyOf(disabledFolds);
      if (samples < 0) {
        throw new InvalidInputException("samples must be >= 0, got " + samples);
      }
    }

    /** Verify on 3 random samples, seed 0, default tolerance, nothing disabled. */
    public static Options defaults() {
      return new Options(true, 3, 0, Tolerance.defaults(), Map.of(), Set.of(), 0);
    }

    /** A copy with verification on or off. */
    public Options withVerify(boolean v) {
      return new Options(v, samples, seed, tolerance, inputs, disabledFolds, threads);
    }

    /** A copy with {@code n} random verification samples. */
    public Options withSamples(int n) {
      return new Options(verify, n, seed, tolerance, inputs, disabledFolds, threads);
    }

    /** A copy with another seed for the random inputs. */
    public Options withSeed(long s) {
      return new Options(verify, samples, s, tolerance, inputs, disabledFolds, threads);
    }

    /** A copy with another comparison tolerance. */
    public Options withTolerance(Tolerance t) {
      return new Options(verify, samples, seed, t, inputs, disabledFolds, threads);
    }

    /** A copy that also verifies on the given inputs, by input name. */
    public Options withInputs(Map<String, NdArray> in) {
      return new Options(verify, samples, seed, tolerance, in, disabledFolds, threads);
    }

    /** A copy that leaves the BN nodes named in {@code d} untouched. */
    public Options withDisabledFolds(Set<String> d) {
      return new Options(verify, samples, seed, tolerance, inputs, d, threads);
    }

    /** A copy with {@code t} ONNX Runtime threads for verification (0 = its default). */
    public Options withThreads(int t) {
      return new Options(verify, samples, seed, tolerance, inputs, disabledFolds, t);
    }
  }

  /**
   * Converts {@code graph}. The argument is not modified: the conversion works on a copy.
   *
   * @throws dev.bnfold.runtime.ModelFormatException for BN statistics that are NaN/Inf, negative
   *     variances or scales that overflow float, naming the node
   */
  public static ConversionResult convert(Graph graph, Options options) {
    long start = System.nanoTime();
    byte[] original = OnnxWriter.toBytes(graph);
    // FLOPs need shapes, which need the cleanup passes; counts are of the graph as given.
    Graph measured = copy(original);
    for (Pass p : Passes.cleanup()) {
      Passes.run(p, measured, new PassContext());
    }
    ConversionStats before = ConversionStats.of(graph, Flops.of(measured));

    Map<String, String> disabled = new LinkedHashMap<>();
    for (String d : options.disabledFolds()) {
      disabled.put(d, "disabled by option");
    }
    Attempt attempt = attempt(original, disabled);
    long folded = System.nanoTime();
    Verification verification = null;
    if (options.verify()) {
      try (FoldVerifier verifier =
          new FoldVerifier(
              original,
              graph.inputs(),
              options.samples(),
              options.seed(),
              options.inputs(),
              options.tolerance(),
              options.threads())) {
        Bisection b = new Bisection(original, verifier, disabled);
        attempt = b.run(attempt);
        verification = new Verification(verifier.samples(), b.lastComparison, b.undone, b.attempts);
      }
    }
    long verified = System.nanoTime();
    return new ConversionResult(
        attempt.graph,
        attempt.records,
        before,
        ConversionStats.of(attempt.graph),
        verification,
        folded - start,
        options.verify() ? verified - folded : 0);
  }

  /** One run of the pass pipeline on a fresh copy of the original. */
  private record Attempt(Graph graph, List<FoldRecord> records) {
    byte[] bytes() {
      return OnnxWriter.toBytes(graph);
    }
  }

  private static Attempt attempt(byte[] original, Map<String, String> disabled) {
    Graph g = copy(original);
    PassContext context = new PassContext(disabled);
    Passes.runAll(g, context);
    return new Attempt(g, context.records());
  }

  private static Graph copy(byte[] model) {
    return new OnnxReader().read(model, null);
  }

  /**
   * Finds folds that break the tolerance: while the model fails, binary-search the shortest prefix
   * of the remaining folds (in graph order) that fails when enabled alone; its last fold is a
   * culprit; disable it and repeat.
   */
  private static final class Bisection {
    final byte[] original;
    final FoldVerifier verifier;
    final Map<String, String> disabled;
    final List<String> undone = new ArrayList<>();
    Comparison lastComparison;
    int attempts;

    Bisection(byte[] original, FoldVerifier verifier, Map<String, String> disabled) {
      this.original = original;
      this.verifier = verifier;
      this.disabled = disabled;
    }

    Attempt run(Attempt first) {
      Attempt current = first;
      Comparison c = check(current);
      while (!c.passed() && attempts < MAX_ATTEMPTS) {
        List<String> folds = new ArrayList<>();
        for (FoldRecord r : current.records()) {
          if (r.rewritten() && !disabled.containsKey(r.node())) {
            folds.add(r.node());
          }
        }
        if (folds.isEmpty() || !passesWith(folds, 0)) {
          break; // the failure does not come from the folds (or not from one at a time)
        }
        int lo = 0; // enabling folds[0, lo) passes
        int hi = folds.size(); // enabling folds[0, hi) fails
        Comparison failing = c;
        while (hi - lo > 1 && attempts < MAX_ATTEMPTS) {
          int mid = (lo + hi) >>> 1;
          Comparison m = checkWith(folds, mid);
          if (m.passed()) {
            lo = mid;
          } else {
            hi = mid;
            failing = m;
          }
        }
        String culprit = folds.get(hi - 1);
        OutputComparison worst = failing.firstFailure();
        disabled.put(
            culprit,
            "numerics: folding it makes "
                + (worst == null ? "the outputs" : worst.summary())
                + " against the original");
        undone.add(culprit);
        current = attempt(original, disabled);
        c = check(current);
      }
      lastComparison = c;
      return current;
    }

    private boolean passesWith(List<String> folds, int enabled) {
      return checkWith(folds, enabled).passed();
    }

    /** Checks the conversion with only folds[0, enabled) of {@code folds} enabled. */
    private Comparison checkWith(List<String> folds, int enabled) {
      Map<String, String> d = new LinkedHashMap<>(disabled);
      for (int i = enabled; i < folds.size(); i++) {
        d.put(folds.get(i), "bisection");
      }
      return check(attempt(original, d));
    }

    private Comparison check(Attempt a) {
      attempts++;
      return verifier.check(a.bytes());
    }
  }
}
