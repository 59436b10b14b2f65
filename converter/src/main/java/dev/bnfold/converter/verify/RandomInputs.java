package dev.bnfold.converter.verify;

import dev.bnfold.converter.graph.DataType;
import dev.bnfold.converter.graph.ValueInfo;
import dev.bnfold.converter.io.NdArray;
import dev.bnfold.runtime.InvalidInputException;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;

/**
 * Random inputs of a model's declared shapes, for verification: symbolic or unknown dims become 1;
 * floats are standard normal, integers uniform in [0, 10). The same seed gives the same arrays.
 */
public final class RandomInputs {
  /** Largest input generated (2^28 elements, 1 GiB of float32). */
  private static final long MAX_ELEMENTS = 1L << 28;

  private RandomInputs() {}

  /** One set of inputs for the given graph inputs, drawn from {@code random}. */
  public static Map<String, NdArray> sample(List<ValueInfo> inputs, SplittableRandom random) {
    Map<String, NdArray> out = new LinkedHashMap<>();
    for (ValueInfo v : inputs) {
      if (v.shape() == null) {
        throw new InvalidInputException(
            "input '" + v.name() + "' has no declared shape; pass an input file to verify");
      }
      long[] shape = v.shape().stream().mapToLong(d -> d.isKnown() ? d.value() : 1).toArray();
      long count = 1;
      for (long d : shape) {
        count = d == 0 || count <= MAX_ELEMENTS / d ? count * d : MAX_ELEMENTS + 1;
      }
      if (count > MAX_ELEMENTS) {
        throw new InvalidInputException(
            "input '"
                + v.name()
                + "' is declared "
                + v.shape()
                + ", over "
                + MAX_ELEMENTS
                + " elements; too large to generate random inputs for");
      }
      int n = (int) count;
      out.put(v.name(), array(v.name(), v.type(), shape, n, random));
    }
    return out;
  }

  private static NdArray array(
      String name, DataType type, long[] shape, int n, SplittableRandom random) {
    switch (type) {
      case FLOAT -> {
        float[] f = new float[n];
        for (int i = 0; i < n; i++) {
          f[i] = (float) gaussian(random);
        }
        return NdArray.ofFloats(shape, f);
      }
      case INT64 -> {
        long[] l = new long[n];
        for (int i = 0; i < n; i++) {
          l[i] = random.nextInt(10);
        }
        return NdArray.ofLongs(shape, l);
      }
      case INT32 -> {
        int[] l = new int[n];
        for (int i = 0; i < n; i++) {
          l[i] = random.nextInt(10);
        }
        return NdArray.ofInts(shape, l);
      }
      default ->
          throw new InvalidInputException(
              "input '"
                  + name
                  + "' has type "
                  + type.onnxName()
                  + ", which verification cannot generate");
    }
  }

  private static double gaussian(SplittableRandom r) {
    double u = 1 - r.nextDouble();
    double v = r.nextDouble();
    return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
  }
}
