package dev.bnfold.runtime;

/** A well-formed model uses an operator, attribute or data type that bnfold does not support. */
public class UnsupportedModelException extends BnfoldException {
  private static final long serialVersionUID = 1L;

  /** Creates the exception with a one-line message naming what is wrong. */
  public UnsupportedModelException(String message) {
    super(ErrorCode.UNSUPPORTED, message);
  }

  /** Creates the exception with a one-line message and the underlying cause. */
  public UnsupportedModelException(String message, Throwable cause) {
    super(ErrorCode.UNSUPPORTED, message, cause);
  }
}
