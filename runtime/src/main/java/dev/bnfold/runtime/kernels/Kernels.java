package dev.bnfold.runtime.kernels;

/**
 * Chooses the kernel implementations once per JVM: the Vector API ones when the {@code
 * jdk.incubator.vector} module is in the boot layer and the system property {@code bnfold.scalar}
 * is not {@code true}, else the plain-Java ones. The vector classes are loaded reflectively, so
 * they are never loaded on a JVM without the module (Android included).
 */
public final class Kernels {
  private Kernels() {}

  /** True if the Vector API fast paths are in use by default. */
  public static final boolean VECTOR_AVAILABLE = vectorAvailable();

  private static final GemmMicroKernel SCALAR = new ScalarGemmMicroKernel();
  private static final GemmMicroKernel VECTOR = VECTOR_AVAILABLE ? loadVector() : null;

  private static boolean vectorAvailable() {
    if (Boolean.getBoolean("bnfold.scalar")) {
      return false;
    }
    try {
      return ModuleLayer.boot().findModule("jdk.incubator.vector").isPresent();
    } catch (Throwable t) {
      return false;
    }
  }

  private static GemmMicroKernel loadVector() {
    try {
      return (GemmMicroKernel)
          Class.forName("dev.bnfold.runtime.kernels.vector.VectorGemmMicroKernel")
              .getDeclaredConstructor()
              .newInstance();
    } catch (ReflectiveOperationException | LinkageError e) {
      return null;
    }
  }

  /** The scalar micro-kernel. */
  public static GemmMicroKernel scalarGemm() {
    return SCALAR;
  }

  /** The Vector API micro-kernel, or null if not available. */
  public static GemmMicroKernel vectorGemm() {
    return VECTOR;
  }

  /** The best available micro-kernel, or the scalar one if {@code scalarOnly}. */
  public static GemmMicroKernel gemm(boolean scalarOnly) {
    return scalarOnly || VECTOR == null ? SCALAR : VECTOR;
  }
}
