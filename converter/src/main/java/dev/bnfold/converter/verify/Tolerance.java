package dev.bnfold.converter.verify;

import dev.bnfold.runtime.InvalidInputException;

/**
 * How close two outputs must be: {@code max|a − b| <= atol + rtol·max|ref|}, per output. The bound
 * is relative to the largest reference magnitude of the whole output (not element-wise), because
 * reordering float32 arithmetic moves every element by about 1e-6 of the output's scale.
 *
 * @param rtol relative tolerance, a fraction of max|ref|
 * @param atol absolute tolerance
 */
public record Tolerance(double rtol, double atol) {

  /** rtol = 1e-4, atol = 1e-5: the converter's defaults (see FOLDING.md). */
  public static Tolerance defaults() {
    return new Tolerance(1e-4, 1e-5);
  }

  public Tolerance {
    if (!(rtol >= 0) || !(atol >= 0)) {
      throw new InvalidInputException(
          "tolerances must be >= 0, got rtol=" + rtol + " atol=" + atol);
    }
  }

  /**
   * The allowed max abs error for an output whose largest reference magnitude is {@code maxRef}.
   */
  public double bound(double maxRef) {
    return atol + rtol * maxRef;
  }
}
