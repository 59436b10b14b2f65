package dev.bnfold.runtime;

import java.util.Arrays;

/**
 * The allocation-free way to run a {@link Model} for fixed input shapes: inputs and outputs are
 * caller-owned float arrays in graph order. Thread-safe (each call borrows its own workspace);
 * valid until the model is closed.
 *
 * <pre>{@code
 * PreparedRun r = model.prepare(new long[] {1, 3, 224, 224});
 * float[] logits = new float[r.outputSize(0)];
 * r.run(new float[][] {pixels}, new float[][] {logits});
 * }</pre>
 */
public final class PreparedRun {
  private final Model model;
  private final Plan plan;

  PreparedRun(Model model, Plan plan) {
    this.model = model;
    this.plan = plan;
  }

  /** The shape of output {@code i} (graph-output order). */
  public long[] outputShape(int i) {
    return Arrays.stream(plan.outputShapes[i]).asLongStream().toArray();
  }

  /** The number of elements of output {@code i}. */
  public int outputSize(int i) {
    return Model.sizeOf(plan.outputShapes[i]);
  }

  /** Floats of intermediate storage each concurrent call uses. */
  public long workspaceFloats() {
    return plan.arenaSize();
  }

  /**
   * Runs the model.
   *
   * @param inputs one array per graph input, row-major, at least as long as the prepared shape
   * @param outputs one array per graph output, at least {@link #outputSize} long; written
   * @throws InvalidInputException if an array is missing or too short
   */
  public void run(float[][] inputs, float[][] outputs) {
    model.checkOpen();
    if (inputs.length != model.inputs().size() || outputs.length != plan.outputShapes.length) {
      throw new InvalidInputException(
          model.name()
              + ": expected "
              + model.inputs().size()
              + " input and "
              + plan.outputShapes.length
              + " output arrays");
    }
    for (int i = 0; i < inputs.length; i++) {
      long need = inputSize(i);
      if (inputs[i] == null || inputs[i].length < need) {
        throw new InvalidInputException(
            model.name()
                + ": input '"
                + model.inputs().get(i).name()
                + "' needs "
                + need
                + " floats");
      }
    }
    for (int i = 0; i < outputs.length; i++) {
      if (outputs[i] == null || outputs[i].length < outputSize(i)) {
        throw new InvalidInputException(
            model.name()
                + ": output '"
                + model.outputs().get(i).name()
                + "' needs "
                + outputSize(i)
                + " floats");
      }
    }
    model.execute(plan, inputs, outputs);
  }

  /**
   * Runs the model {@code runs} times with every step timed, and returns the per-layer profile
   * (kernel chosen, median time, GFLOP/s). Timing each step adds a little overhead, so the total is
   * slightly above what {@link #run} takes. The outputs of the last run are written.
   *
   * @throws InvalidInputException as {@link #run}, or if {@code runs < 1}
   */
  public Profile profile(float[][] inputs, float[][] outputs, int runs) {
    if (runs < 1) {
      throw new InvalidInputException(model.name() + ": profile needs at least one run");
    }
    run(inputs, outputs); // validates the arrays and warms the plan
    model.checkOpen();
    return plan.profile(inputs, outputs, runs);
  }

  private int inputSize(int i) {
    return model.inputSizeOf(plan, i);
  }
}
