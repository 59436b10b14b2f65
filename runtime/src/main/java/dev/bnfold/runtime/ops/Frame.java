package dev.bnfold.runtime.ops;

/**
 * The buffers of one in-flight call: value id to (array, offset), plus scratch shared by all steps.
 * Owned by one thread at a time.
 *
 * <p>The scratch regions and the plan's arena of intermediates share one array, laid out so that
 * offsets {@code LEAD} mod 16 sit on 64-byte boundaries on HotSpot when the array is large: a float
 * array's data starts 16 bytes into the object, and G1 starts a large (humongous) array on a region
 * boundary. Vector loads that do not straddle cache lines made the GEMM micro-kernel 10-15% faster
 * (Winograd 3x3 64->64 on 56x56: 938 against 853 us). Elsewhere the layout costs nothing.
 */
public final class Frame {
  /** Array holding each value (graph inputs change per call; others are fixed by the plan). */
  public final float[][] buf;

  /** Offset of each value in its array. */
  public final int[] off;

  /** Floats before worker 0's aligned scratch region (see {@link #scratchOff}). */
  public static final int LEAD = 12;

  /**
   * Scratch space for steps (im2col panels, packed operands): one region of {@link #scratchStride}
   * floats per worker of {@link #parallel}; worker w uses offset {@code w * scratchStride}, or the
   * aligned {@link #scratchOff}(w). The arena follows at {@link #arenaBase}.
   */
  public final float[] scratch;

  /** Offset of the arena of intermediates in {@link #scratch}: {@code LEAD} mod 16. */
  public final int arenaBase;

  /** Floats of scratch per worker. */
  public final int scratchStride;

  /** Runs parallel loops (sequential when the model has one thread). */
  public final Parallel parallel;

  /** Creates a frame for {@code values} values, without an arena. */
  public Frame(int values, int scratchStride, Parallel parallel) {
    this(values, scratchStride, parallel, 0);
  }

  /**
   * Creates a frame for {@code values} values with {@code arena} floats of arena after the scratch;
   * {@code scratchStride} should be a multiple of 16 for aligned worker regions.
   */
  public Frame(int values, int scratchStride, Parallel parallel, int arena) {
    this.buf = new float[values][];
    this.off = new int[values];
    this.scratchStride = scratchStride;
    this.parallel = parallel;
    long regions = (long) scratchStride * parallel.threads();
    this.arenaBase = Math.toIntExact(LEAD + (regions + 15) / 16 * 16);
    this.scratch = new float[Math.addExact(arenaBase, arena)];
  }

  /** Start of worker wk's scratch region at a 64-byte boundary (see the class comment). */
  public int scratchOff(int wk) {
    return LEAD + wk * scratchStride;
  }
}
