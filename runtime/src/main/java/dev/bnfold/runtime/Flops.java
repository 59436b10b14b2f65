package dev.bnfold.runtime;

/**
 * Floating-point operations of one node for the profile: a multiply-add counts as two. Counted for
 * the ops whose arithmetic dominates a CNN (Conv, ConvTranspose, Gemm, MatMul); 0 for the rest.
 */
final class Flops {
  private Flops() {}

  /**
   * FLOPs of a node of {@code opType} with these input shapes (null for absent inputs) and first
   * output shape.
   */
  static long of(String opType, int[][] in, int[] out) {
    switch (opType) {
      case "Conv":
        {
          // (N, M, out...) outputs, each a dot product over C/group * k... inputs
          int[] w = in[1];
          return 2 * size(out) * size(w, 1);
        }
      case "ConvTranspose":
        {
          // every input element is scattered through M/group * k... weights
          int[] w = in[1];
          return 2 * size(in[0]) * size(w, 1);
        }
      case "Gemm":
      case "MatMul":
        {
          int[] a = in[0];
          if (a == null || a.length == 0) {
            return 0;
          }
          // the inner dimension: A's last (MatMul, Gemm) or first (Gemm with transA) axis; the
          // profile does not see transA, so use the dimension B shares with A
          int[] b = in[1];
          int k = a[a.length - 1];
          if (opType.equals("Gemm") && b != null && b.length == 2 && b[0] != k && b[1] != k) {
            k = a[0];
          }
          return 2 * size(out) * k;
        }
      default:
        return 0;
    }
  }

  private static long size(int[] s) {
    return size(s, 0);
  }

  private static long size(int[] s, int from) {
    long n = 1;
    for (int i = from; i < s.length; i++) {
      n *= s[i];
    }
    return n;
  }
}
