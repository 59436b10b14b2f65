package dev.bnfold.runtime;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.fail;

import dev.bnfold.runtime.format.Attribute;
import dev.bnfold.runtime.format.ModelWriter;
import dev.bnfold.runtime.kernels.Kernels;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The channel-blocked layout (BlockedKernels): an inverted-residual block run with the vector
 * kernels (blocked where the CPU has 16-lane vectors), at 1 and 2 threads, against the plain-Java
 * kernels, which never block. The shapes cover channel counts that are not whole blocks, every
 * output-group width (16, 32, 64), planes that are not whole tiles, strides 1 and 2, 3x3 and 5x5
 * windows, batch 2, and all four conversions (a plain input into a blocked op, blocked to blocked,
 * a blocked op writing a value a plain op reads, a blocked op writing a graph output).
 */
class BlockedLayoutTest {
  /**
   * channels C, expanded M, image side, kernel, stride, batch, values blocked: d (between the
   * depthwise conv and its two blocked readers) and e (read by the project conv and the pool, which
   * reads it blocked).
   */
  static Stream<Arguments> shapes() {
    return Stream.of(
        Arguments.of(56, 120, 13, 3, 1, 1, 2),
        Arguments.of(16, 64, 14, 3, 2, 2, 2),
        Arguments.of(40, 100, 9, 5, 1, 1, 2),
        Arguments.of(72, 72, 7, 3, 1, 1, 2),
        Arguments.of(48, 200, 16, 5, 2, 1, 2),
        // padding 24 and 40 channels to 32 and 48 would add 60% work: the 1x1 convs stay plain,
        // and the depthwise conv, with no blocked neighbour, too
        Arguments.of(24, 40, 13, 3, 1, 1, 0),
        // a 3x3 plane is too small for the 1x1 tiles
        Arguments.of(32, 48, 3, 3, 1, 1, 0));
  }

  /**
   * x -> depthwise(k, s) + Clip(0, 6) -> d; d -> 1x1 C->M + HardSwish -> e; e -> 1x1 M->C -> f; z =
   * Relu(f + d); outputs z and GlobalAveragePool(e).
   */
  static ModelWriter block(int c, int m, int h, int k, int s, int n, Random r) {
    ModelWriter w =
        new ModelWriter()
            .opset(18)
            .addInput("x", DType.FLOAT32, n, c, h, h)
            .addConstant("wd", new long[] {c, 1, k, k}, random(r, c * k * k, 0.5f))
            .addConstant("bd", new long[] {c}, random(r, c, 1f))
            .addConstant("we", new long[] {m, c, 1, 1}, random(r, m * c, 0.4f))
            .addConstant("be", new long[] {m}, random(r, m, 1f))
            .addConstant("wp", new long[] {c, m, 1, 1}, random(r, c * m, 0.2f))
            .addConstant("bp", new long[] {c}, random(r, c, 1f))
            .addConstant("lo", new long[] {}, new float[] {0f})
            .addConstant("hi", new long[] {}, new float[] {6f});
    int p = k / 2;
    w.addNode(
        "Conv",
        "dw",
        List.of("x", "wd", "bd"),
        List.of("d0"),
        Attribute.ofInts("pads", p, p, p, p),
        Attribute.ofInts("strides", s, s),
        Attribute.of("group", c));
    w.addNode("Clip", "clip", List.of("d0", "lo", "hi"), List.of("d"));
    w.addNode("Conv", "expand", List.of("d", "we", "be"), List.of("e0"));
    w.addNode("HardSwish", "hswish", List.of("e0"), List.of("e"));
    w.addNode("Conv", "project", List.of("e", "wp", "bp"), List.of("f"));
    w.addNode("Add", "add", List.of("f", "d"), List.of("sum"));
    w.addNode("Relu", "relu", List.of("sum"), List.of("z"));
    w.addNode("GlobalAveragePool", "gap", List.of("e"), List.of("g"));
    return w.addOutput("z", DType.FLOAT32).addOutput("g", DType.FLOAT32);
  }

  @ParameterizedTest(name = "c={0} m={1} h={2} k={3} s={4} n={5}")
  @MethodSource("shapes")
  void blockedMatchesPlain(int c, int m, int h, int k, int s, int n, int expectBlocked) {
    Random r = new Random(c * 131 + m * 7 + h);
    dev.bnfold.runtime.format.ModelFile model = block(c, m, h, k, s, n, r).build();
    Tensor x = Tensor.of(random(r, n * c * h * h, 2f), n, c, h, h);
    assertMatchesPlain(model, x, expectBlocked, "z", "g");
  }

  /**
   * Runs {@code model} on the plain-Java kernels (which never block) and on the default kernels at
   * 1 and 2 threads: the default run keeps {@code expectBlocked} values blocked where the CPU has
   * the blocked kernels (none elsewhere), and its outputs match.
   */
  private static void assertMatchesPlain(
      dev.bnfold.runtime.format.ModelFile model, Tensor x, int expectBlocked, String... outputs) {
    int[] shape = Arrays.stream(x.shape()).mapToInt(Math::toIntExact).toArray();
    boolean blocks = Kernels.blockedFor(Kernels.gemm(false)) != null;
    try (Model plain = Model.fromFile(model, "plain", Options.builder().scalarOnly(true).build())) {
      assertEquals(0, plain.blockedValues(shape), "the scalar kernels never block");
      Map<String, Tensor> want = plain.run(Map.of("x", x));
      for (int threads : new int[] {1, 2}) {
        try (Model fast =
            Model.fromFile(model, "fast", Options.builder().threads(threads).build())) {
          assertEquals(blocks ? expectBlocked : 0, fast.blockedValues(shape), "blocked values");
          Map<String, Tensor> got = fast.run(Map.of("x", x));
          for (String out : outputs) {
            assertClose(
                want.get(out).floatData(), got.get(out).floatData(), out + " threads=" + threads);
          }
        }
      }
    }
  }

  private static float[] random(Random r, int n, float scale) {
    float[] a = new float[n];
    for (int i = 0; i < n; i++) {
      a[i] = (r.nextFloat() * 2 - 1) * scale;
    }
    return a;
  }

  private static void assertClose(float[] want, float[] got, String what) {
    assertEquals(want.length, got.length, what);
    float max = 0;
    for (float v : want) {
      max = Math.max(max, Math.abs(v));
    }
    for (int i = 0; i < want.length; i++) {
      if (!(Math.abs(want[i] - got[i]) <= 1e-5f + 1e-5f * max)) {
        fail(what + ": element " + i + " is " + got[i] + ", expected " + want[i]);
      }
    }
  }

  /**
   * A squeeze-excitation block: x -> depthwise 3x3 + HardSwish -> d; s = HardSigmoid(1x1(Relu(1x1(
   * GlobalAveragePool(d))))); z = 1x1(Mul(d, s)) (or Mul(s, d)). The pool reads d blocked and the
   * Mul scales it blocked, so d and the Mul's output stay blocked.
   */
  @ParameterizedTest(name = "c={0} h={1} scaleFirst={2}")
  @MethodSource("excitations")
  void squeezeExcitationStaysBlocked(int c, int h, boolean scaleFirst) {
    Random r = new Random(c * 17 + h);
    int q = Math.max(1, c / 4);
    ModelWriter w =
        new ModelWriter()
            .opset(18)
            .addInput("x", DType.FLOAT32, 1, c, h, h)
            .addConstant("wd", new long[] {c, 1, 3, 3}, random(r, c * 9, 0.5f))
            .addConstant("w1", new long[] {q, c, 1, 1}, random(r, q * c, 0.5f))
            .addConstant("w2", new long[] {c, q, 1, 1}, random(r, c * q, 0.5f))
            .addConstant("wp", new long[] {c, c, 1, 1}, random(r, c * c, 0.3f));
    w.addNode(
        "Conv",
        "dw",
        List.of("x", "wd"),
        List.of("d0"),
        Attribute.ofInts("pads", 1, 1, 1, 1),
        Attribute.of("group", c));
    w.addNode("HardSwish", "hswish", List.of("d0"), List.of("d"));
    w.addNode("GlobalAveragePool", "gap", List.of("d"), List.of("g"));
    w.addNode("Conv", "squeeze", List.of("g", "w1"), List.of("s0"));
    w.addNode("Relu", "relu1", List.of("s0"), List.of("s1"));
    w.addNode("Conv", "excite", List.of("s1", "w2"), List.of("s2"));
    w.addNode("HardSigmoid", "gate", List.of("s2"), List.of("s"));
    w.addNode("Mul", "scale", scaleFirst ? List.of("s", "d") : List.of("d", "s"), List.of("m"));
    w.addNode("Conv", "project", List.of("m", "wp"), List.of("z"));
    dev.bnfold.runtime.format.ModelFile model = w.addOutput("z", DType.FLOAT32).build();
    Tensor x = Tensor.of(random(r, c * h * h, 2f), 1, c, h, h);
    assertMatchesPlain(model, x, 2, "z");
  }

  static Stream<Arguments> excitations() {
    return Stream.of(
        Arguments.of(64, 14, false), Arguments.of(56, 9, true), Arguments.of(96, 7, false));
  }

  /**
   * An image's first conv (fewer than 16 input channels) reads its input plain and writes blocked:
   * x -> conv(k, s) + HardSwish -> a; a -> depthwise 3x3 + Relu -> d; z = 1x1(d). a and d stay
   * blocked.
   */
  @ParameterizedTest(name = "c={0} m={1} h={2} k={3} s={4}")
  @MethodSource("stems")
  void stemWritesBlocked(int c, int m, int h, int k, int s) {
    Random r = new Random(c * 7 + m + h);
    ModelWriter w =
        new ModelWriter()
            .opset(18)
            .addInput("x", DType.FLOAT32, 1, c, h, h)
            .addConstant("ws", new long[] {m, c, k, k}, random(r, m * c * k * k, 0.5f))
            .addConstant("bs", new long[] {m}, random(r, m, 0.5f))
            .addConstant("wd", new long[] {m, 1, 3, 3}, random(r, m * 9, 0.5f))
            .addConstant("wp", new long[] {m, m, 1, 1}, random(r, m * m, 0.3f));
    int p = k / 2;
    w.addNode(
        "Conv",
        "stem",
        List.of("x", "ws", "bs"),
        List.of("a0"),
        Attribute.ofInts("pads", p, p, p, p),
        Attribute.ofInts("strides", s, s));
    w.addNode("HardSwish", "hswish", List.of("a0"), List.of("a"));
    w.addNode(
        "Conv",
        "dw",
        List.of("a", "wd"),
        List.of("d0"),
        Attribute.ofInts("pads", 1, 1, 1, 1),
        Attribute.of("group", m));
    w.addNode("Relu", "relu", List.of("d0"), List.of("d"));
    w.addNode("Conv", "project", List.of("d", "wp"), List.of("z"));
    dev.bnfold.runtime.format.ModelFile model = w.addOutput("z", DType.FLOAT32).build();
    Tensor x = Tensor.of(random(r, c * h * h, 2f), 1, c, h, h);
    assertMatchesPlain(model, x, 2, "z");
  }

  static Stream<Arguments> stems() {
    return Stream.of(
        Arguments.of(3, 32, 29, 3, 2), // mobilenet-like, 15 output columns: an overlapping tile
        Arguments.of(3, 48, 16, 3, 1), // a group of 32 and one of 16
        Arguments.of(1, 16, 9, 5, 1));
  }
}
