package dev.bnfold.runtime.ops;

/**
 * The buffers of one in-flight call: value id to (array, offset), plus a scratch array shared by
 * all steps. Owned by one thread at a time.
 */
public final class Frame {
  /** Array holding each value (graph inputs change per call; others are fixed by the plan). */
  public final float[][] buf;

  /** Offset of each value in its array. */
  public final int[] off;

  /**
   * Scratch space for steps (im2col panels, packed operands): one region of {@link #scratchStride}
   * floats per worker of {@link #parallel}; worker w uses offset {@code w * scratchStride}.
   */
  public final float[] scratch;

  /** Floats of scratch per worker. */
  public final int scratchStride;

  /** Runs parallel loops (sequential when the model has one thread). */
  public final Parallel parallel;

  /** Creates a frame for {@code values} values. */
  public Frame(int values, int scratchStride, Parallel parallel) {
    this.buf = new float[values][];
    this.off = new int[values];
    this.scratchStride = scratchStride;
    this.parallel = parallel;
    this.scratch = new float[Math.multiplyExact(scratchStride, parallel.threads())];
  }
}
