package dev.bnfold.runtime;

/** An input is wrong: unknown name, wrong rank, shape or data type, or a bad option value. */
public class InvalidInputException extends BnfoldException {
  private static final long serialVersionUID = 1L;

  /** Creates the exception with a one-line message naming what is wrong. */
  public InvalidInputException(String message) {
    super(ErrorCode.BAD_INPUT, message);
  }

  /** Creates the exception with a one-line message and the underlying cause. */
  public InvalidInputException(String message, Throwable cause) {
    super(ErrorCode.BAD_INPUT, message, cause);
  }
}
