package dev.bnfold.runtime;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;

import java.util.Arrays;
import java.util.Random;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Add, Mul, Sub and Div with broadcasting (equal shapes, the squeeze-excitation scale [N,C,1,1] x
 * [N,C,H,W] either way round, scalars, random mixes) against a per-element numpy-rule reference,
 * with the vector kernels and with scalarOnly. Exact: each output is one float operation.
 */
class BroadcastBinaryTest {
  @ParameterizedTest
  @ValueSource(booleans = {false, true})
  void matchesPerElementReference(boolean scalar) {
    Random r = new Random(21);
    int[][][] named = {
      {{1, 6, 5, 7}, {1, 6, 5, 7}},
      {{1, 6, 5, 7}, {1, 6, 1, 1}},
      {{2, 6, 1, 1}, {2, 6, 5, 7}},
      {{3, 17}, {1}},
      {{1}, {3, 17}},
      {{}, {4, 3}},
      {{2, 3, 4}, {3, 1}},
      {{1, 33, 1, 1}, {1, 33, 3, 11}},
    };
    for (int t = 0; t < 120; t++) {
      int[] a;
      int[] b;
      if (t < named.length) {
        a = named[t][0];
        b = named[t][1];
      } else {
        int rank = 1 + r.nextInt(4);
        int[] out = new int[rank];
        for (int d = 0; d < rank; d++) {
          out[d] = 1 + r.nextInt(6);
        }
        a = dropSome(r, out);
        b = dropSome(r, out);
      }
      for (String op : new String[] {"Add", "Mul", "Sub", "Div"}) {
        float[] x = OpCase.random(r, size(a));
        float[] y = OpCase.random(r, size(b));
        if (x.length > 2 && t % 4 == 0) {
          x[1] = Float.NaN;
          y[y.length - 1] = Float.NEGATIVE_INFINITY;
        }
        Tensor got =
            OpCase.of(op)
                .input(OpCase.t(x, longs(a)))
                .input(OpCase.t(y, longs(b)))
                .options(Options.builder().scalarOnly(scalar).build())
                .run();
        assertArrayEquals(
            reference(op, x, a, y, b),
            got.floatData(),
            op + " " + Arrays.toString(a) + " x " + Arrays.toString(b));
      }
    }
  }

  /** Each axis of {@code out} kept, or set to 1; leading axes sometimes dropped. */
  private static int[] dropSome(Random r, int[] out) {
    int lead = r.nextInt(3) == 0 ? r.nextInt(out.length + 1) : 0;
    int[] s = Arrays.copyOfRange(out, lead, out.length);
    for (int d = 0; d < s.length; d++) {
      if (r.nextInt(3) == 0) {
        s[d] = 1;
      }
    }
    return s;
  }

  private static float[] reference(String op, float[] x, int[] a, float[] y, int[] b) {
    int rank = Math.max(a.length, b.length);
    int[] out = new int[rank];
    for (int d = 0; d < rank; d++) {
      int da = d - (rank - a.length) >= 0 ? a[d - (rank - a.length)] : 1;
      int db = d - (rank - b.length) >= 0 ? b[d - (rank - b.length)] : 1;
      out[d] = Math.max(da, db);
    }
    float[] res = new float[size(out)];
    int[] idx = new int[rank];
    for (int e = 0; e < res.length; e++) {
      int rem = e;
      for (int d = rank - 1; d >= 0; d--) {
        idx[d] = rem % out[d];
        rem /= out[d];
      }
      float u = x[at(idx, a)];
      float v = y[at(idx, b)];
      switch (op) {
        case "Add":
          res[e] = u + v;
          break;
        case "Mul":
          res[e] = u * v;
          break;
        case "Sub":
          res[e] = u - v;
          break;
        default:
          res[e] = u / v;
      }
    }
    return res;
  }

  /** Flat index into a tensor of shape s, right-aligned with idx, size-1 axes broadcast. */
  private static int at(int[] idx, int[] s) {
    int off = idx.length - s.length;
    int p = 0;
    for (int d = 0; d < s.length; d++) {
      p = p * s[d] + (s[d] == 1 ? 0 : idx[d + off]);
    }
    return p;
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
