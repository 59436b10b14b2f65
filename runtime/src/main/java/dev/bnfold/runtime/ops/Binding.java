package dev.bnfold.runtime.ops;

import dev.bnfold.runtime.kernels.BlockedKernels;
import dev.bnfold.runtime.kernels.GemmMicroKernel;

/** What an op needs to bind to concrete shapes: shapes, value ids, the kernels in use. */
public final class Binding {
  /** Input shapes (null for an absent optional input). */
  public final int[][] in;

  /** Output shapes. */
  public final int[][] out;

  /** Input value ids (-1 for absent). */
  public final int[] inIds;

  /** Output value ids (-1 for an unused optional output). */
  public final int[] outIds;

  /** The GEMM micro-kernel chosen for the model. */
  public final GemmMicroKernel gemm;

  /** Threads the step will run on (its work split may depend on it). */
  public final int threads;

  private int scratch;
  private String kernel;
  private BlockedKernels blocked;
  private boolean[] inBlocked;
  private boolean outBlocked;

  /** Creates a binding for one thread. */
  public Binding(int[][] in, int[][] out, int[] inIds, int[] outIds, GemmMicroKernel gemm) {
    this(in, out, inIds, outIds, gemm, 1);
  }

  /** Creates a binding for steps that run on {@code threads} threads. */
  public Binding(
      int[][] in, int[][] out, int[] inIds, int[] outIds, GemmMicroKernel gemm, int threads) {
    this.in = in;
    this.out = out;
    this.inIds = inIds;
    this.outIds = outIds;
    this.gemm = gemm;
    this.threads = threads;
  }

  /** Declares that the step needs {@code floats} of {@link Frame#scratch}. */
  public void needScratch(int floats) {
    scratch = Math.max(scratch, floats);
  }

  /**
   * Names the kernel the step uses (for example {@code "gemm-im2col"}, {@code "winograd-f4x4"},
   * {@code "depthwise-vector"}), shown in the per-layer profile. Ops that have one path need not
   * call it; the profile then shows the op type.
   */
  public void kernel(String name) {
    kernel = name;
  }

  /** The kernel named by {@link #kernel(String)}, or null. */
  public String kernelName() {
    return kernel;
  }

  /** The scratch floats declared. */
  public int scratch() {
    return scratch;
  }

  /**
   * Asks the step to run in the channel-blocked layout with {@code kernels} (the op said it can:
   * {@link Op#blockable}); {@code inBlocked[i]} says whether input i arrives blocked, {@code
   * outBlocked} whether output 0 must be written blocked. The other tensors are in the plain
   * layout, and the step converts them.
   */
  public void runBlocked(BlockedKernels kernels, boolean[] inBlocked, boolean outBlocked) {
    this.blocked = kernels;
    this.inBlocked = inBlocked.clone();
    this.outBlocked = outBlocked;
  }

  /** The blocked-layout kernels the step runs with, or null to run in the plain layout. */
  public BlockedKernels blocked() {
    return blocked;
  }

  /** True if input {@code i} arrives in the blocked layout. */
  public boolean inBlocked(int i) {
    return inBlocked != null && i < inBlocked.length && inBlocked[i];
  }

  /** True if output 0 is to be written in the blocked layout. */
  public boolean outBlocked() {
    return outBlocked;
  }
}
