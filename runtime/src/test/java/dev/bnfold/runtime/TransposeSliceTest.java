package dev.bnfold.runtime;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;

import dev.bnfold.runtime.format.Attribute;
import java.util.Arrays;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * Transpose and Slice (which share LayoutOps.gather, with its axis merging and block copies)
 * against per-element references on random shapes, perms, starts, ends and steps, plus the
 * ShuffleNet channel shuffle.
 */
class TransposeSliceTest {
  @Test
  void transposeMatchesReference() {
    Random r = new Random(31);
    for (int t = 0; t < 150; t++) {
      int[] x;
      int[] perm;
      if (t == 0) {
        x = new int[] {1, 2, 24, 7, 9}; // channel shuffle
        perm = new int[] {0, 2, 1, 3, 4};
      } else {
        int rank = 1 + r.nextInt(5);
        x = new int[rank];
        for (int d = 0; d < rank; d++) {
          x[d] = r.nextInt(4) == 0 ? 1 : 1 + r.nextInt(6);
        }
        perm = shuffled(r, rank);
      }
      float[] data = OpCase.random(r, size(x));
      Tensor got =
          OpCase.of("Transpose")
              .input(OpCase.t(data, longs(x)))
              .attr(Attribute.ofInts("perm", Arrays.stream(perm).asLongStream().toArray()))
              .run();
      int[] y = new int[x.length];
      for (int d = 0; d < y.length; d++) {
        y[d] = x[perm[d]];
      }
      float[] ref = new float[data.length];
      int[] xs = strides(x);
      for (int e = 0; e < ref.length; e++) {
        int rem = e;
        int src = 0;
        for (int d = y.length - 1; d >= 0; d--) {
          src += (rem % y[d]) * xs[perm[d]];
          rem /= y[d];
        }
        ref[e] = data[src];
      }
      assertArrayEquals(
          ref, got.floatData(), Arrays.toString(x) + " perm " + Arrays.toString(perm));
    }
  }

  @Test
  void sliceMatchesReference() {
    Random r = new Random(32);
    for (int t = 0; t < 150; t++) {
      int rank = 1 + r.nextInt(4);
      int[] x = new int[rank];
      for (int d = 0; d < rank; d++) {
        x[d] = 1 + r.nextInt(7);
      }
      int[] start = new int[rank];
      int[] step = new int[rank];
      int[] count = new int[rank];
      long[] starts = new long[rank];
      long[] ends = new long[rank];
      long[] steps = new long[rank];
      for (int d = 0; d < rank; d++) {
        step[d] = t % 3 == 0 ? (r.nextBoolean() ? 1 : -1) * (1 + r.nextInt(2)) : 1;
        if (step[d] > 0) {
          start[d] = r.nextInt(x[d]);
          int end = start[d] + 1 + r.nextInt(x[d] - start[d]);
          count[d] = (end - start[d] + step[d] - 1) / step[d];
          ends[d] = end;
        } else {
          start[d] = r.nextInt(x[d]);
          int end = r.nextInt(start[d] + 1) - 1; // exclusive, down to -1
          count[d] = (start[d] - end + (-step[d]) - 1) / (-step[d]);
          ends[d] = end < 0 ? Long.MIN_VALUE : end;
        }
        starts[d] = start[d];
        steps[d] = step[d];
      }
      float[] data = OpCase.random(r, size(x));
      Tensor got =
          OpCase.of("Slice")
              .input(OpCase.t(data, longs(x)))
              .longs(starts)
              .longs(ends)
              .longs(axes(rank))
              .longs(steps)
              .run();
      float[] ref = new float[size(count)];
      int[] xs = strides(x);
      for (int e = 0; e < ref.length; e++) {
        int rem = e;
        int src = 0;
        for (int d = rank - 1; d >= 0; d--) {
          src += (start[d] + (rem % count[d]) * step[d]) * xs[d];
          rem /= count[d];
        }
        ref[e] = data[src];
      }
      assertArrayEquals(
          ref,
          got.floatData(),
          Arrays.toString(x)
              + " starts "
              + Arrays.toString(starts)
              + " steps "
              + Arrays.toString(steps));
    }
  }

  private static long[] axes(int rank) {
    long[] a = new long[rank];
    for (int i = 0; i < rank; i++) {
      a[i] = i;
    }
    return a;
  }

  private static int[] shuffled(Random r, int n) {
    int[] p = new int[n];
    for (int i = 0; i < n; i++) {
      p[i] = i;
    }
    for (int i = n - 1; i > 0; i--) {
      int j = r.nextInt(i + 1);
      int tmp = p[i];
      p[i] = p[j];
      p[j] = tmp;
    }
    return p;
  }

  private static int[] strides(int[] s) {
    int[] st = new int[s.length];
    int v = 1;
    for (int i = s.length - 1; i >= 0; i--) {
      st[i] = v;
      v *= s[i];
    }
    return st;
  }

  private static int size(int[] s) {
    int n = 1;
    for (int v : s) {
      n *= v;
    }
    return n;
  }

  private static long[] longs(int[] s) {
    return Arrays.stream(s).asLongStream().toArray();
  }
}
