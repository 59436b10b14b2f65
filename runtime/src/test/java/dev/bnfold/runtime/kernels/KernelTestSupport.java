package dev.bnfold.runtime.kernels;

import static org.junit.jupiter.api.Assertions.fail;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;

/** Shared helpers: every available micro-kernel, random data, tolerant comparison. */
final class KernelTestSupport {
  private KernelTestSupport() {}

  /** Every GEMM micro-kernel implementation available in this JVM. */
  static List<GemmMicroKernel> gemmKernels() {
    List<GemmMicroKernel> ks = new ArrayList<>();
    ks.add(new ScalarGemmMicroKernel());
    if (Kernels.vectorGemm() != null) {
      // both vector kernels run on any vector width; Kernels picks one by the CPU's
      ks.add(new dev.bnfold.runtime.kernels.vector.VectorGemmMicroKernel());
      ks.add(new dev.bnfold.runtime.kernels.vector.VectorGemmMicroKernel8());
    }
    return ks;
  }

  static float[] random(Random r, int n) {
    float[] a = new float[n];
    for (int i = 0; i < n; i++) {
      a[i] = r.nextFloat() * 2 - 1;
    }
    return a;
  }

  /** |a - b| <= atol + rtol * max|ref| elementwise over [0, n). */
  static void assertClose(float[] ref, float[] got, int n, String what) {
    float max = 0;
    for (int i = 0; i < n; i++) {
      max = Math.max(max, Math.abs(ref[i]));
    }
    float tol = 1e-5f + 1e-4f * max;
    for (int i = 0; i < n; i++) {
      if (!(Math.abs(ref[i] - got[i]) <= tol)) {
        fail(what + ": element " + i + " is " + got[i] + ", reference " + ref[i]);
      }
    }
  }
}
