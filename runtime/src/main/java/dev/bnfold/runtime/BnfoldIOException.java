package dev.bnfold.runtime;

/** Reading or writing a file failed; the message names the file. */
public class BnfoldIOException extends BnfoldException {
  private static final long serialVersionUID = 1L;

  /** Creates the exception with a one-line message naming what is wrong. */
  public BnfoldIOException(String message) {
    super(ErrorCode.IO, message);
  }

  /** Creates the exception with a one-line message and the underlying cause. */
  public BnfoldIOException(String message, Throwable cause) {
    super(ErrorCode.IO, message, cause);
  }
}
