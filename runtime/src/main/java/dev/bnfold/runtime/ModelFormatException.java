package dev.bnfold.runtime;

/**
 * The bytes given as a model are not a valid model: corrupt, truncated, hostile or of another
 * format.
 */
public class ModelFormatException extends BnfoldException {
  private static final long serialVersionUID = 1L;

  /** Creates the exception with a one-line message naming what is wrong. */
  public ModelFormatException(String message) {
    super(ErrorCode.BAD_MODEL, message);
  }

  /** Creates the exception with a one-line message and the underlying cause. */
  public ModelFormatException(String message, Throwable cause) {
    super(ErrorCode.BAD_MODEL, message, cause);
  }
}
