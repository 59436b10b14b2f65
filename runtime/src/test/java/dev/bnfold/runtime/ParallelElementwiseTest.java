package dev.bnfold.runtime;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;

import dev.bnfold.runtime.format.Attribute;
import java.util.Random;
import java.util.function.Function;
import org.junit.jupiter.api.Test;

/**
 * Element-wise ops large enough to be split across workers (binary ops by rows and by blocks of one
 * row, standalone activations, mean reductions, max pooling by planes) give bit-identical results
 * with 3 threads and with 1: each output is computed by the same arithmetic either way.
 */
class ParallelElementwiseTest {
  private static final Random R = new Random(51);

  private static void sameWithThreads(String op, Function<OpCase, OpCase> build) {
    Tensor one = build.apply(OpCase.of(op)).options(Options.builder().threads(1).build()).run();
    Tensor three = build.apply(OpCase.of(op)).options(Options.builder().threads(3).build()).run();
    assertArrayEquals(one.floatData(), three.floatData(), op);
  }

  private static Tensor random(long... shape) {
    int n = 1;
    for (long d : shape) {
      n *= (int) d;
    }
    return OpCase.t(OpCase.random(R, n), shape);
  }

  @Test
  void binaryOpsSplitByRowsAndBlocks() {
    Tensor x = random(1, 40, 33, 35);
    Tensor same = random(1, 40, 33, 35);
    Tensor scale = random(1, 40, 1, 1);
    Tensor row = random(35);
    for (String op : new String[] {"Add", "Mul", "Sub", "Max"}) {
      sameWithThreads(op, c -> c.input(x).input(same));
      sameWithThreads(op, c -> c.input(x).input(scale));
      sameWithThreads(op, c -> c.input(scale).input(x));
      sameWithThreads(op, c -> c.input(x).input(row));
    }
  }

  @Test
  void oneRowGemmAndOnePixelConv() {
    Tensor a = random(1, 700);
    Tensor w = random(333, 700);
    sameWithThreads(
        "Gemm",
        c -> c.input(a).constant(w).attr(dev.bnfold.runtime.format.Attribute.of("transB", 1L)));
    Tensor x = random(1, 300, 1, 1);
    Tensor k = random(250, 300, 1, 1);
    sameWithThreads("Conv", c -> c.input(x).constant(k));
  }

  @Test
  void activationsReductionsAndPoolsSplit() {
    Tensor x = random(1, 24, 57, 61);
    for (String op : new String[] {"Sigmoid", "Tanh", "Relu", "Exp"}) {
      sameWithThreads(op, c -> c.input(x));
    }
    sameWithThreads("GlobalAveragePool", c -> c.input(x));
    sameWithThreads("ReduceMean", c -> c.input(x).longs(2, 3));
    sameWithThreads(
        "MaxPool",
        c ->
            c.input(x)
                .attr(Attribute.ofInts("kernel_shape", 3, 3))
                .attr(Attribute.ofInts("strides", 2, 2))
                .attr(Attribute.ofInts("pads", 1, 1, 1, 1)));
  }
}
