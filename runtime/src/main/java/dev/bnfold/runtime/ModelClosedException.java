package dev.bnfold.runtime;

/** A closed {@link Model} (or a {@link PreparedRun} of it) was used. */
public class ModelClosedException extends BnfoldException {
  private static final long serialVersionUID = 1L;

  /** Creates the exception naming the model. */
  public ModelClosedException(String modelName) {
    super(ErrorCode.BAD_INPUT, "model '" + modelName + "' is closed");
  }
}
