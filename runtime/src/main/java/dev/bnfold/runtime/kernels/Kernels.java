package dev.bnfold.runtime.kernels;

/**
 * Chooses the kernel implementations (GEMM micro-kernel, depthwise, element-wise, Winograd
 * transforms) once per JVM: the Vector API ones when the {@code jdk.incubator.vector} module is in
 * the boot layer and the system property {@code bnfold.scalar} is not {@code true}, else the
 * plain-Java ones. The vector classes are loaded reflectively, so they are never loaded on a JVM
 * without the module (Android included).
 */
public final class Kernels {
  private Kernels() {}

  /** True if the Vector API fast paths are in use by default. */
  public static final boolean VECTOR_AVAILABLE = vectorAvailable();

  private static final GemmMicroKernel SCALAR = new ScalarGemmMicroKernel();
  private static final GemmMicroKernel VECTOR = VECTOR_AVAILABLE ? loadVector() : null;

  private static final DepthwiseKernel SCALAR_DEPTHWISE = new ScalarDepthwiseKernel();
  private static final DepthwiseKernel VECTOR_DEPTHWISE =
      VECTOR == null ? null : (DepthwiseKernel) vectorFactory("depthwise");

  private static final ElementwiseKernel SCALAR_ELEMENTWISE = new ScalarElementwise();
  private static final ElementwiseKernel VECTOR_ELEMENTWISE =
      VECTOR == null ? null : (ElementwiseKernel) vectorFactory("elementwise");

  private static final WinogradTransforms VECTOR_WINOGRAD =
      VECTOR == null ? null : (WinogradTransforms) vectorFactory("winograd");

  private static final BlockedKernels VECTOR_BLOCKED =
      VECTOR == null || !Boolean.parseBoolean(System.getProperty("bnfold.blocked", "true"))
          ? null
          : (BlockedKernels) vectorFactory("blocked");

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
    return (GemmMicroKernel) vectorFactory("gemm");
  }

  /** Calls a static factory of {@code vector.VectorKernels}, or returns null if that fails. */
  private static Object vectorFactory(String method) {
    try {
      return Class.forName("dev.bnfold.runtime.kernels.vector.VectorKernels")
          .getMethod(method)
          .invoke(null);
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

  /** The plain-Java depthwise kernel. */
  public static DepthwiseKernel scalarDepthwise() {
    return SCALAR_DEPTHWISE;
  }

  /** The Vector API depthwise kernel, or null if not available. */
  public static DepthwiseKernel vectorDepthwise() {
    return VECTOR_DEPTHWISE;
  }

  /** The vector Winograd transforms, or null if not available. */
  public static WinogradTransforms vectorWinograd() {
    return VECTOR_WINOGRAD;
  }

  /**
   * The Winograd transforms of the same family as {@code gemm}: the vector ones when {@code gemm}
   * is a vector kernel, else the plain-Java {@link Winograd#SCALAR}.
   */
  public static WinogradTransforms winogradFor(GemmMicroKernel gemm) {
    return gemm instanceof ScalarGemmMicroKernel || VECTOR_WINOGRAD == null
        ? Winograd.SCALAR
        : VECTOR_WINOGRAD;
  }

  /**
   * The depthwise kernel of the same family as {@code gemm}: the vector one when {@code gemm} is a
   * vector kernel, else the plain-Java {@link ScalarDepthwiseKernel}.
   */
  public static DepthwiseKernel depthwiseFor(GemmMicroKernel gemm) {
    return gemm instanceof ScalarGemmMicroKernel || VECTOR_DEPTHWISE == null
        ? SCALAR_DEPTHWISE
        : VECTOR_DEPTHWISE;
  }

  /** The plain-Java element-wise kernels. */
  public static ElementwiseKernel scalarElementwise() {
    return SCALAR_ELEMENTWISE;
  }

  /** The vector element-wise kernels, or null if not available. */
  public static ElementwiseKernel vectorElementwise() {
    return VECTOR_ELEMENTWISE;
  }

  /**
   * The element-wise kernels of the same family as {@code gemm}: the vector ones when {@code gemm}
   * is a vector kernel, else {@link ScalarElementwise}.
   */
  public static ElementwiseKernel elementwiseFor(GemmMicroKernel gemm) {
    return gemm instanceof ScalarGemmMicroKernel || VECTOR_ELEMENTWISE == null
        ? SCALAR_ELEMENTWISE
        : VECTOR_ELEMENTWISE;
  }

  /**
   * The blocked-layout kernels to use with {@code gemm}, or null: only the vector family has them,
   * on CPUs whose vectors hold 16 floats, unless the system property {@code bnfold.blocked} is
   * {@code false}.
   */
  public static BlockedKernels blockedFor(GemmMicroKernel gemm) {
    return gemm instanceof ScalarGemmMicroKernel ? null : VECTOR_BLOCKED;
  }
}
