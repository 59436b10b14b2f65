package dev.bnfold.runtime;

/**
 * Root of the one unchecked exception hierarchy that bnfold's converter and runtime throw for
 * problems a user can cause. Every message names the file, node or input concerned and the reason,
 * so that it can be printed as one line.
 *
 * <p>Subclasses: {@link ModelFormatException} (the bytes are not a valid model), {@link
 * UnsupportedModelException} (a valid model that bnfold cannot handle), {@link
 * InvalidInputException} (wrong inputs at run time or on the command line) and {@link
 * BnfoldIOException} (reading or writing a file failed).
 */
public class BnfoldException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  /** What kind of problem this is; the CLI maps it to an exit code. */
  public enum ErrorCode {
    /** The model file is corrupt, truncated, hostile or not a model at all. */
    BAD_MODEL,
    /** The model is well formed but uses something bnfold does not support. */
    UNSUPPORTED,
    /** An input tensor, input file or option is wrong. */
    BAD_INPUT,
    /** Reading or writing a file failed. */
    IO,
    /** Anything else: a bug in bnfold. */
    INTERNAL
  }

  private final ErrorCode code;

  /** Creates an exception with the given code and one-line message. */
  public BnfoldException(ErrorCode code, String message) {
    super(message);
    this.code = code;
  }

  /** Creates an exception with the given code, one-line message and cause. */
  public BnfoldException(ErrorCode code, String message, Throwable cause) {
    super(message, cause);
    this.code = code;
  }

  /** The kind of problem. */
  public ErrorCode code() {
    return code;
  }
}
