package dev.bnfold.runtime.kernels.vector;

import dev.bnfold.runtime.kernels.BlockedKernels;
import dev.bnfold.runtime.kernels.DepthwiseKernel;
import dev.bnfold.runtime.kernels.ElementwiseKernel;
import dev.bnfold.runtime.kernels.GemmMicroKernel;
import dev.bnfold.runtime.kernels.WinogradTransforms;
import jdk.incubator.vector.FloatVector;

/** Entry point that {@code Kernels} loads reflectively: picks the micro-kernel for this CPU. */
public final class VectorKernels {
  private VectorKernels() {}

  /**
   * The 8-row kernel when vectors hold 16 floats or more (AVX-512 has 32 vector registers, enough
   * for its 16 accumulators), else the 4-row one (AVX2 and NEON have 16).
   */
  public static GemmMicroKernel gemm() {
    return FloatVector.SPECIES_PREFERRED.length() >= 16
        ? new VectorGemmMicroKernel8()
        : new VectorGemmMicroKernel();
  }

  /** The vector element-wise kernels. */
  public static ElementwiseKernel elementwise() {
    return new VectorElementwise();
  }

  /** The vector Winograd F(4x4, 3x3) tile transforms. */
  public static WinogradTransforms winograd() {
    return new VectorWinograd();
  }

  /** The blocked-layout kernels, or null unless vectors hold 16 floats. */
  public static BlockedKernels blocked() {
    return VectorBlocked.fits() ? new VectorBlocked() : null;
  }

  /** The vector depthwise kernel. */
  public static DepthwiseKernel depthwise() {
    return new VectorDepthwise();
  }
}
