package dev.bnfold.runtime.ops;

import java.util.Arrays;

/** Shape helpers; shape errors are IllegalArgumentExceptions that the planner wraps. */
public final class Shapes {
  private Shapes() {}

  /** Number of elements, checked against overflow. */
  public static int size(int[] shape) {
    long n = 1;
    for (int d : shape) {
      n *= d;
      if (n > Integer.MAX_VALUE - 8) {
        throw new IllegalArgumentException("tensor of shape " + str(shape) + " is too large");
      }
    }
    return (int) n;
  }

  /** Product of dims [from, to). */
  public static int size(int[] shape, int from, int to) {
    int n = 1;
    for (int i = from; i < to; i++) {
      n *= shape[i];
    }
    return n;
  }

  /** Formats a shape as [a,b,c]. */
  public static String str(int[] shape) {
    return shape == null ? "absent" : Arrays.toString(shape).replace(" ", "");
  }

  /** Normalises a possibly negative axis for a rank, or fails. */
  public static int axis(long axis, int rank, String what) {
    long a = axis < 0 ? axis + rank : axis;
    if (a < 0 || a >= rank) {
      throw new IllegalArgumentException(what + " " + axis + " out of range for rank " + rank);
    }
    return (int) a;
  }

  /** Numpy multidirectional broadcast of two shapes. */
  public static int[] broadcast(int[] a, int[] b) {
    int r = Math.max(a.length, b.length);
    int[] out = new int[r];
    for (int i = 0; i < r; i++) {
      int da = i < r - a.length ? 1 : a[i - (r - a.length)];
      int db = i < r - b.length ? 1 : b[i - (r - b.length)];
      if (da != db && da != 1 && db != 1) {
        throw new IllegalArgumentException(
            "shapes " + str(a) + " and " + str(b) + " cannot be broadcast");
      }
      out[i] = da == 1 ? db : da;
    }
    return out;
  }

  /** Row-major strides of {@code shape} aligned right to {@code rank}, 0 on broadcast dims. */
  public static int[] broadcastStrides(int[] shape, int[] outShape) {
    int r = outShape.length;
    int[] st = new int[r];
    int s = 1;
    for (int i = shape.length - 1; i >= 0; i--) {
      int o = i + r - shape.length;
      st[o] = shape[i] == 1 && outShape[o] != 1 ? 0 : s;
      s *= shape[i];
    }
    return st;
  }

  /** Row-major strides. */
  public static int[] strides(int[] shape) {
    int[] st = new int[shape.length];
    int s = 1;
    for (int i = shape.length - 1; i >= 0; i--) {
      st[i] = s;
      s *= shape[i];
    }
    return st;
  }

  /** Converts int64 values to ints, failing on overflow. */
  public static int[] toInts(long[] v, String what) {
    int[] out = new int[v.length];
    for (int i = 0; i < v.length; i++) {
      if (v[i] < Integer.MIN_VALUE || v[i] > Integer.MAX_VALUE) {
        throw new IllegalArgumentException(what + " value " + v[i] + " out of range");
      }
      out[i] = (int) v[i];
    }
    return out;
  }
}
