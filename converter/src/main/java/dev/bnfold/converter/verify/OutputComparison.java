package dev.bnfold.converter.verify;

/**
 * The comparison of one output against its reference.
 *
 * @param name output name
 * @param maxAbsError {@code max|a − b|} (NaN/Inf where the reference is finite count as infinite)
 * @param maxRelError maxAbsError / max|ref| (0 when both are 0)
 * @param maxRef {@code max|ref|}
 * @param bound the allowed max abs error, {@code atol + rtol·max|ref|}
 * @param passed whether shapes and types match and maxAbsError <= bound (integers: exact match)
 * @param top1Agree rows whose argmax agrees, for a float [N, classes] output; -1 otherwise
 * @param top1Total rows compared for top-1, or -1
 * @param problem what is wrong beyond numbers (missing output, shape mismatch), or null
 */
public record OutputComparison(
    String name,
    double maxAbsError,
    double maxRelError,
    double maxRef,
    double bound,
    boolean passed,
    int top1Agree,
    int top1Total,
    String problem) {

  /** Whether every row's argmax agrees (true when top-1 does not apply). */
  public boolean top1AllAgree() {
    return top1Total < 0 || top1Agree == top1Total;
  }

  /** One line for reports: {@code logits: max abs 3.1e-06 (bound 1.2e-04), top-1 10/10, ok}. */
  public String summary() {
    if (problem != null) {
      return name + ": " + problem;
    }
    String top1 = top1Total < 0 ? "" : String.format(", top-1 %d/%d", top1Agree, top1Total);
    return String.format(
        "%s: max abs err %.3g, max rel err %.3g (bound %.3g)%s, %s",
        name, maxAbsError, maxRelError, bound, top1, passed ? "ok" : "FAILED");
  }
}
