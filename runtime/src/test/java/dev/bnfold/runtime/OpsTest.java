package dev.bnfold.runtime;

import static dev.bnfold.runtime.OpCase.random;
import static dev.bnfold.runtime.OpCase.range;
import static dev.bnfold.runtime.OpCase.t;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.bnfold.runtime.format.Attribute;
import dev.bnfold.runtime.kernels.Conv;
import dev.bnfold.runtime.kernels.ConvGeometry;
import dev.bnfold.runtime.kernels.Gemm;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;

/** Operator semantics through one-node models, against ONNX spec examples and naive loops. */
class OpsTest {
  private static void close(float[] expect, Tensor got) {
    float[] g = got.floatData();
    assertEquals(expect.length, g.length, "length");
    for (int i = 0; i < expect.length; i++) {
      float tol = 1e-5f + 1e-4f * Math.abs(expect[i]);
      assertTrue(
          Math.abs(expect[i] - g[i]) <= tol, "element " + i + ": " + g[i] + " vs " + expect[i]);
    }
  }

  // ---- Conv family ----

  @Test
  void convAutoPadSameUpperAndLower() {
    float[] ones = {1, 1, 1, 1};
    Tensor x = t(range(16), 1, 1, 4, 4);
    Tensor up =
        OpCase.of("Conv")
            .input(x)
            .constant(t(ones, 1, 1, 2, 2))
            .attr(Attribute.of("auto_pad", "SAME_UPPER"))
            .run();
    Tensor lo =
        OpCase.of("Conv")
            .input(x)
            .constant(t(ones, 1, 1, 2, 2))
            .attr(Attribute.of("auto_pad", "SAME_LOWER"))
            .run();
    assertArrayEquals(new long[] {1, 1, 4, 4}, up.shape());
    assertEquals(14f, up.floatData()[0]); // 1+2+5+6
    assertEquals(16f, up.floatData()[15]); // padded bottom-right
    assertEquals(1f, lo.floatData()[0]); // only x[0,0]
    assertEquals(11f + 12 + 15 + 16, lo.floatData()[15]);
    Tensor valid =
        OpCase.of("Conv")
            .input(x)
            .constant(t(ones, 1, 1, 2, 2))
            .attr(Attribute.of("auto_pad", "VALID"))
            .attr(Attribute.ofInts("strides", 2, 2))
            .run();
    assertArrayEquals(new long[] {1, 1, 2, 2}, valid.shape());
    close(new float[] {14, 22, 46, 54}, valid);
  }

  @Test
  void conv1dAnd3dMatchTheReferenceLoop() {
    Random r = new Random(3);
    // 3-D: x (1, 2, 4, 5, 5), w (4, 1, 2, 3, 3), group 2, stride (1,2,1), pads 1 on h/w
    float[] x = random(r, 2 * 4 * 5 * 5);
    float[] w = random(r, 4 * 2 * 3 * 3);
    float[] b = random(r, 4);
    Tensor y =
        OpCase.of("Conv")
            .input(t(x, 1, 2, 4, 5, 5))
            .constant(t(w, 4, 1, 2, 3, 3))
            .constant(t(b, 4))
            .attr(Attribute.of("group", 2L))
            .attr(Attribute.ofInts("strides", 1, 2, 1))
            .attr(Attribute.ofInts("pads", 0, 1, 1, 0, 1, 1))
            .run();
    assertArrayEquals(new long[] {1, 4, 3, 3, 5}, y.shape());
    ConvGeometry g =
        new ConvGeometry(
            1,
            2,
            4,
            2,
            new int[] {4, 5, 5},
            new int[] {3, 3, 5},
            new int[] {2, 3, 3},
            new int[] {1, 2, 1},
            new int[] {1, 1, 1},
            new int[] {0, 1, 1});
    float[] ref = new float[4 * 3 * 3 * 5];
    Conv.reference(ref, 0, x, 0, w, 0, b, 0, g);
    close(ref, y);
    // 1-D: x (2, 3, 9), w (2, 3, 3), dilation 2, pad 2
    float[] x1 = random(r, 2 * 3 * 9);
    float[] w1 = random(r, 2 * 3 * 3);
    Tensor y1 =
        OpCase.of("Conv")
            .input(t(x1, 2, 3, 9))
            .constant(t(w1, 2, 3, 3))
            .attr(Attribute.ofInts("dilations", 2))
            .attr(Attribute.ofInts("pads", 2, 2))
            .run();
    assertArrayEquals(new long[] {2, 2, 9}, y1.shape());
    ConvGeometry g1 =
        new ConvGeometry(
            2,
            3,
            2,
            1,
            new int[] {1, 1, 9},
            new int[] {1, 1, 9},
            new int[] {1, 1, 3},
            new int[] {1, 1, 1},
            new int[] {1, 1, 2},
            new int[] {0, 0, 2});
    float[] ref1 = new float[2 * 2 * 9];
    Conv.reference(ref1, 0, x1, 0, w1, 0, null, 0, g1);
    close(ref1, y1);
  }

  @Test
  void convWithRuntimeWeightsUsesTheReference() {
    Random r = new Random(5);
    float[] x = random(r, 3 * 6 * 6);
    float[] w = random(r, 4 * 3 * 3 * 3);
    Tensor a =
        OpCase.of("Conv")
            .input(t(x, 1, 3, 6, 6))
            .constant(t(w, 4, 3, 3, 3))
            .attr(Attribute.ofInts("pads", 1, 1, 1, 1))
            .run();
    Tensor b =
        OpCase.of("Conv")
            .input(t(x, 1, 3, 6, 6))
            .input(t(w, 4, 3, 3, 3))
            .attr(Attribute.ofInts("kernel_shape", 3, 3))
            .attr(Attribute.ofInts("pads", 1, 1, 1, 1))
            .run();
    close(a.floatData(), b);
  }

  @Test
  void convTransposeMatchesTheSpecExample() {
    float[] x = {0, 1, 2, 3, 4, 5, 6, 7, 8};
    float[] w = new float[18];
    java.util.Arrays.fill(w, 1f);
    Tensor y = OpCase.of("ConvTranspose").input(t(x, 1, 1, 3, 3)).constant(t(w, 1, 2, 3, 3)).run();
    assertArrayEquals(new long[] {1, 2, 5, 5}, y.shape());
    float[] one = {
      0, 1, 3, 3, 2, 3, 8, 15, 12, 7, 9, 21, 36, 27, 15, 9, 20, 33, 24, 13, 6, 13, 21, 15, 8
    };
    float[] both = new float[50];
    System.arraycopy(one, 0, both, 0, 25);
    System.arraycopy(one, 0, both, 25, 25);
    close(both, y);
    Tensor shaped =
        OpCase.of("ConvTranspose")
            .input(t(x, 1, 1, 3, 3))
            .constant(t(w, 1, 2, 3, 3))
            .attr(Attribute.ofInts("strides", 3, 2))
            .attr(Attribute.ofInts("output_shape", 10, 8))
            .run();
    assertArrayEquals(new long[] {1, 2, 10, 8}, shaped.shape());
    Tensor padded =
        OpCase.of("ConvTranspose")
            .input(t(x, 1, 1, 3, 3))
            .constant(t(w, 1, 2, 3, 3))
            .attr(Attribute.ofInts("strides", 3, 2))
            .attr(Attribute.ofInts("output_padding", 1, 1))
            .run();
    assertArrayEquals(new long[] {1, 2, 10, 8}, padded.shape());
    assertArrayEquals(shaped.floatData(), padded.floatData());
  }

  /** ConvTranspose is the adjoint of Conv with the same weights: <conv(x), y> = <x, convT(y)>. */
  @Test
  void convTransposeIsTheAdjointOfConvWithGroups() {
    Random r = new Random(11);
    int c = 4, m = 6, g = 2, h = 7, wd = 6;
    float[] x = random(r, c * h * wd);
    float[] w = random(r, m * (c / g) * 3 * 3);
    Attribute[] common = {
      Attribute.of("group", (long) g),
      Attribute.ofInts("strides", 2, 2),
      Attribute.ofInts("pads", 1, 0, 1, 1),
      Attribute.ofInts("dilations", 1, 2)
    };
    OpCase conv = OpCase.of("Conv").input(t(x, 1, c, h, wd)).constant(t(w, m, c / g, 3, 3));
    for (Attribute a : common) {
      conv.attr(a);
    }
    Tensor cx = conv.run();
    long[] ys = cx.shape();
    float[] y = random(r, (int) (ys[1] * ys[2] * ys[3]));
    OpCase ct =
        OpCase.of("ConvTranspose")
            .input(t(y, ys))
            .constant(t(w, m, c / g, 3, 3))
            .attr(Attribute.ofInts("output_shape", h, wd))
            .attr(Attribute.of("group", (long) g))
            .attr(Attribute.ofInts("strides", 2, 2))
            .attr(Attribute.ofInts("dilations", 1, 2));
    // output_shape makes the runtime derive pads; give explicit ones instead to match the conv.
    ct = OpCase.of("ConvTranspose").input(t(y, ys)).constant(t(w, m, c / g, 3, 3));
    for (Attribute a : common) {
      ct.attr(a);
    }
    long[] full = ct.run().shape();
    int opH = h - (int) full[2];
    int opW = wd - (int) full[3];
    ct =
        OpCase.of("ConvTranspose")
            .input(t(y, ys))
            .constant(t(w, m, c / g, 3, 3))
            .attr(Attribute.ofInts("output_padding", opH, opW));
    for (Attribute a : common) {
      ct.attr(a);
    }
    Tensor tx = ct.run();
    assertArrayEquals(new long[] {1, c, h, wd}, tx.shape());
    double lhs = 0, rhs = 0;
    for (int i = 0; i < y.length; i++) {
      lhs += (double) cx.floatData()[i] * y[i];
    }
    for (int i = 0; i < x.length; i++) {
      rhs += (double) x[i] * tx.floatData()[i];
    }
    assertEquals(lhs, rhs, 1e-4 * Math.max(1, Math.abs(lhs)));
  }

  // ---- Gemm / MatMul ----

  @Test
  void gemmTransposesAlphaBetaAndBiasBroadcast() {
    Random r = new Random(1);
    int m = 5, n = 7, k = 6;
    for (int variant = 0; variant < 8; variant++) {
      boolean ta = (variant & 1) != 0;
      boolean tb = (variant & 2) != 0;
      boolean constB = (variant & 4) != 0;
      float[] a = random(r, m * k);
      float[] b = random(r, k * n);
      long[][] cShapes = {{n}, {1, n}, {m, 1}, {m, n}, {}};
      long[] cs = cShapes[variant % cShapes.length];
      float[] cdat = random(r, (int) Tensor.elementCount(cs));
      OpCase op = OpCase.of("Gemm").input(t(a, ta ? k : m, ta ? m : k));
      Tensor bt = t(b, tb ? n : k, tb ? k : n);
      op = constB ? op.constant(bt) : op.input(bt);
      Tensor y =
          op.constant(t(cdat, cs))
              .attr(Attribute.of("transA", ta ? 1L : 0L))
              .attr(Attribute.of("transB", tb ? 1L : 0L))
              .attr(Attribute.of("alpha", 0.5f))
              .attr(Attribute.of("beta", 2f))
              .run();
      float[] ref = new float[m * n];
      Gemm.reference(ref, 0, n, a, 0, ta ? m : k, ta, b, 0, tb ? k : n, tb, m, n, k, 0.5f, 0f);
      for (int i = 0; i < m; i++) {
        for (int j = 0; j < n; j++) {
          int ci =
              cs.length == 0
                  ? 0
                  : cs.length == 1
                      ? j
                      : (int) ((cs[0] == 1 ? 0 : i) * cs[1] + (cs[1] == 1 ? 0 : j));
          ref[i * n + j] += 2f * cdat[ci];
        }
      }
      close(ref, y);
    }
  }

  @Test
  void matMulBroadcastsBatchesAndHandles1d() {
    Random r = new Random(2);
    float[] a = random(r, 2 * 1 * 3 * 4);
    float[] b = random(r, 3 * 4 * 5);
    Tensor y = OpCase.of("MatMul").input(t(a, 2, 1, 3, 4)).input(t(b, 3, 4, 5)).run();
    assertArrayEquals(new long[] {2, 3, 3, 5}, y.shape());
    float[] ref = new float[2 * 3 * 3 * 5];
    for (int i = 0; i < 2; i++) {
      for (int j = 0; j < 3; j++) {
        Gemm.reference(
            ref, (i * 3 + j) * 15, 5, a, i * 12, 4, false, b, j * 20, 5, false, 3, 5, 4, 1f, 0f);
      }
    }
    close(ref, y);
    // constant 2-D B: one GEMM over the whole batch
    float[] w = random(r, 4 * 5);
    Tensor y2 = OpCase.of("MatMul").input(t(a, 2, 3, 4)).constant(t(w, 4, 5)).run();
    float[] ref2 = new float[30];
    Gemm.reference(ref2, 0, 5, a, 0, 4, false, w, 0, 5, false, 6, 5, 4, 1f, 0f);
    close(ref2, y2);
    Tensor v =
        OpCase.of("MatMul")
            .input(t(new float[] {1, 2}, 2))
            .input(t(new float[] {1, 2, 3, 4, 5, 6}, 2, 3))
            .run();
    assertArrayEquals(new long[] {3}, v.shape());
    close(new float[] {9, 12, 15}, v);
    Tensor u =
        OpCase.of("MatMul")
            .input(t(new float[] {1, 2, 3, 4, 5, 6}, 2, 3))
            .input(t(new float[] {1, 0, -1}, 3))
            .run();
    assertArrayEquals(new long[] {2}, u.shape());
    close(new float[] {-2, -2}, u);
  }

  // ---- element-wise ----

  @Test
  void binaryOpsBroadcastLikeNumpy() {
    Random r = new Random(4);
    float[] a = random(r, 2 * 3 * 4);
    float[] b = random(r, 3 * 1);
    String[] ops = {"Add", "Sub", "Mul", "Div"};
    for (String op : ops) {
      Tensor y = OpCase.of(op).input(t(a, 2, 3, 4)).input(t(b, 3, 1)).run();
      float[] ref = new float[24];
      for (int i = 0; i < 24; i++) {
        float av = a[i];
        float bv = b[(i / 4) % 3];
        ref[i] =
            op.equals("Add")
                ? av + bv
                : op.equals("Sub") ? av - bv : op.equals("Mul") ? av * bv : av / bv;
      }
      close(ref, y);
    }
    // both sides broadcast: (3,1) + (1,4) -> (3,4); scalar constant
    Tensor y =
        OpCase.of("Add")
            .input(t(new float[] {0, 10, 20}, 3, 1))
            .input(t(new float[] {1, 2, 3, 4}, 1, 4))
            .run();
    close(new float[] {1, 2, 3, 4, 11, 12, 13, 14, 21, 22, 23, 24}, y);
    Tensor s =
        OpCase.of("Mul").input(t(new float[] {1, 2, 3}, 3)).constant(Tensor.scalar(2f)).run();
    close(new float[] {2, 4, 6}, s);
    Tensor p =
        OpCase.of("PRelu")
            .input(t(new float[] {-1, 2, -3, 4}, 1, 2, 2, 1))
            .constant(t(new float[] {0.5f, 0.1f}, 2, 1, 1))
            .run();
    close(new float[] {-0.5f, 2, -0.3f, 4}, p);
  }

  @Test
  void maxAndMinTakeOneOrMoreBroadcastInputs() {
    // ONNX spec examples: three inputs of equal shape, then one input (a copy).
    Tensor a = t(new float[] {3, 2, 1}, 3);
    Tensor b = t(new float[] {1, 4, 4}, 3);
    Tensor c = t(new float[] {2, 5, 3}, 3);
    close(new float[] {3, 5, 4}, OpCase.of("Max").input(a).input(b).input(c).run());
    close(new float[] {1, 2, 1}, OpCase.of("Min").input(a).input(b).input(c).run());
    close(new float[] {3, 2, 1}, OpCase.of("Max").input(a).run());
    // Three inputs broadcast together: (3,1), (1,2) and a scalar constant -> (3,2).
    Tensor y =
        OpCase.of("Max")
            .input(t(new float[] {0, 10, 20}, 3, 1))
            .input(t(new float[] {5, 15}, 1, 2))
            .constant(Tensor.scalar(12f))
            .run();
    assertArrayEquals(new long[] {3, 2}, y.shape());
    close(new float[] {12, 15, 12, 15, 20, 20}, y);
  }

  @Test
  void activations() {
    Tensor x = t(new float[] {-4, -1, 0, 0.5f, 3, 8}, 6);
    close(new float[] {0, 0, 0, 0.5f, 3, 8}, OpCase.of("Relu").input(x).run());
    close(
        new float[] {-0.4f, -0.1f, 0, 0.5f, 3, 8},
        OpCase.of("LeakyRelu").input(x).attr(Attribute.of("alpha", 0.1f)).run());
    close(new float[] {-0.04f, -0.01f, 0, 0.5f, 3, 8}, OpCase.of("LeakyRelu").input(x).run());
    close(new float[] {0, 0.3f, 0.5f, 0.6f, 1, 1}, OpCase.of("HardSigmoid").input(x).run());
    close(
        new float[] {0, -1f / 3, 0, 0.5f * (0.5f / 6 + 0.5f), 3, 8},
        OpCase.of("HardSwish").input(x).run());
    float[] sig = new float[6];
    float[] th = new float[6];
    for (int i = 0; i < 6; i++) {
      sig[i] = (float) (1 / (1 + Math.exp(-x.floatData()[i])));
      th[i] = (float) Math.tanh(x.floatData()[i]);
    }
    close(sig, OpCase.of("Sigmoid").input(x).run());
    close(th, OpCase.of("Tanh").input(x).run());
    // Clip: attributes (opset 6), inputs (opset 13), only max given
    close(
        new float[] {-1, -1, 0, 0.5f, 1, 1},
        OpCase.of("Clip")
            .opset(6)
            .input(x)
            .attr(Attribute.of("min", -1f))
            .attr(Attribute.of("max", 1f))
            .run());
    close(
        new float[] {0, 0, 0, 0.5f, 3, 6},
        OpCase.of("Clip").input(x).constant(Tensor.scalar(0)).constant(Tensor.scalar(6)).run());
    close(
        new float[] {-4, -1, 0, 0.5f, 2, 2},
        OpCase.of("Clip").input(x).absent().constant(Tensor.scalar(2)).run());
  }

  @Test
  void softmaxSingleAxisAndLegacyFlattening() {
    Random r = new Random(6);
    float[] x = random(r, 2 * 3 * 4);
    Tensor y13 =
        OpCase.of("Softmax").opset(13).input(t(x, 2, 3, 4)).attr(Attribute.of("axis", 1L)).run();
    float[] ref = new float[24];
    for (int n = 0; n < 2; n++) {
      for (int k = 0; k < 4; k++) {
        double sum = 0;
        for (int c = 0; c < 3; c++) {
          sum += Math.exp(x[n * 12 + c * 4 + k]);
        }
        for (int c = 0; c < 3; c++) {
          ref[n * 12 + c * 4 + k] = (float) (Math.exp(x[n * 12 + c * 4 + k]) / sum);
        }
      }
    }
    close(ref, y13);
    Tensor y11 =
        OpCase.of("Softmax").opset(11).input(t(x, 2, 3, 4)).attr(Attribute.of("axis", 1L)).run();
    float[] ref11 = new float[24];
    for (int n = 0; n < 2; n++) {
      double sum = 0;
      for (int i = 0; i < 12; i++) {
        sum += Math.exp(x[n * 12 + i]);
      }
      for (int i = 0; i < 12; i++) {
        ref11[n * 12 + i] = (float) (Math.exp(x[n * 12 + i]) / sum);
      }
    }
    close(ref11, y11);
    Tensor last = OpCase.of("Softmax").input(t(new float[] {1, 1, 1, 1}, 2, 2)).run();
    close(new float[] {0.5f, 0.5f, 0.5f, 0.5f}, last);
  }

  // ---- pooling ----

  @Test
  void poolingSpecExamples() {
    Tensor x = t(range(16), 1, 1, 4, 4);
    close(
        new float[] {11, 12, 15, 16},
        OpCase.of("MaxPool")
            .input(x)
            .attr(Attribute.ofInts("kernel_shape", 3, 3))
            .attr(Attribute.ofInts("strides", 2, 2))
            .attr(Attribute.of("ceil_mode", 1L))
            .run());
    close(
        new float[] {11, 12, 15, 16},
        OpCase.of("MaxPool")
            .input(x)
            .attr(Attribute.ofInts("kernel_shape", 2, 2))
            .attr(Attribute.ofInts("dilations", 2, 2))
            .run());
    close(
        new float[] {6, 7.5f, 12, 13.5f},
        OpCase.of("AveragePool")
            .input(x)
            .attr(Attribute.ofInts("kernel_shape", 3, 3))
            .attr(Attribute.ofInts("strides", 2, 2))
            .attr(Attribute.of("ceil_mode", 1L))
            .run());
    Tensor x5 = t(range(25), 1, 1, 5, 5);
    Tensor inc =
        OpCase.of("AveragePool")
            .input(x5)
            .attr(Attribute.ofInts("kernel_shape", 3, 3))
            .attr(Attribute.ofInts("pads", 2, 2, 2, 2))
            .attr(Attribute.of("count_include_pad", 1L))
            .run();
    assertArrayEquals(new long[] {1, 1, 7, 7}, inc.shape());
    assertEquals(1f / 9, inc.floatData()[0], 1e-6);
    assertEquals((1 + 2 + 3 + 6 + 7 + 8 + 11 + 12 + 13) / 9f, inc.floatData()[2 * 7 + 2], 1e-5);
    Tensor exc =
        OpCase.of("AveragePool")
            .input(x5)
            .attr(Attribute.ofInts("kernel_shape", 3, 3))
            .attr(Attribute.ofInts("pads", 2, 2, 2, 2))
            .run();
    assertEquals(1f, exc.floatData()[0], 1e-6);
    assertEquals(1.5f, exc.floatData()[1], 1e-6); // (1 + 2) / 2
    Tensor same =
        OpCase.of("AveragePool")
            .input(x)
            .attr(Attribute.ofInts("kernel_shape", 2, 2))
            .attr(Attribute.of("auto_pad", "SAME_UPPER"))
            .run();
    assertArrayEquals(new long[] {1, 1, 4, 4}, same.shape());
    assertEquals(16f, same.floatData()[15]);
    assertEquals((1 + 2 + 5 + 6) / 4f, same.floatData()[0]);
    Tensor lower =
        OpCase.of("MaxPool")
            .input(x)
            .attr(Attribute.ofInts("kernel_shape", 2, 2))
            .attr(Attribute.of("auto_pad", "SAME_LOWER"))
            .run();
    assertEquals(1f, lower.floatData()[0]);
    Tensor g = OpCase.of("GlobalAveragePool").input(t(range(8), 1, 2, 2, 2)).run();
    assertArrayEquals(new long[] {1, 2, 1, 1}, g.shape());
    close(new float[] {2.5f, 6.5f}, g);
    close(new float[] {4, 8}, OpCase.of("GlobalMaxPool").input(t(range(8), 1, 2, 2, 2)).run());
  }

  @Test
  void reduceMeanAxesAsAttributeOrInput() {
    Tensor x = t(range(24), 2, 3, 4);
    Tensor a =
        OpCase.of("ReduceMean")
            .opset(13)
            .input(x)
            .attr(Attribute.ofInts("axes", 1))
            .attr(Attribute.of("keepdims", 0L))
            .run();
    Tensor b =
        OpCase.of("ReduceMean")
            .opset(18)
            .input(x)
            .longs(-2)
            .attr(Attribute.of("keepdims", 0L))
            .run();
    assertArrayEquals(new long[] {2, 4}, a.shape());
    close(new float[] {5, 6, 7, 8, 17, 18, 19, 20}, a);
    assertArrayEquals(a.floatData(), b.floatData());
    Tensor all = OpCase.of("ReduceMean").input(x).run();
    assertArrayEquals(new long[] {1, 1, 1}, all.shape());
    close(new float[] {12.5f}, all);
    Tensor hw =
        OpCase.of("ReduceMean").opset(13).input(x).attr(Attribute.ofInts("axes", 0, 2)).run();
    assertArrayEquals(new long[] {1, 3, 1}, hw.shape());
    close(new float[] {8.5f, 12.5f, 16.5f}, hw);
  }

  // ---- layout ----

  @Test
  void reshapeFlattenSqueezeUnsqueeze() {
    Tensor x = t(range(24), 2, 3, 4);
    assertArrayEquals(new long[] {2, 12}, OpCase.of("Reshape").input(x).longs(0, -1).run().shape());
    assertArrayEquals(
        new long[] {4, 2, 3}, OpCase.of("Reshape").input(x).longs(4, -1, 3).run().shape());
    assertArrayEquals(
        new long[] {0, 4},
        OpCase.of("Reshape")
            .input(t(new float[0], 0, 2, 2))
            .longs(0, 4)
            .attr(Attribute.of("allowzero", 1L))
            .run()
            .shape());
    assertArrayEquals(
        new long[] {1, 24},
        OpCase.of("Flatten").input(x).attr(Attribute.of("axis", 0L)).run().shape());
    assertArrayEquals(
        new long[] {6, 4},
        OpCase.of("Flatten").input(x).attr(Attribute.of("axis", -1L)).run().shape());
    assertArrayEquals(new long[] {2, 12}, OpCase.of("Flatten").input(x).run().shape());
    Tensor s = t(range(6), 1, 3, 1, 2);
    assertArrayEquals(new long[] {3, 2}, OpCase.of("Squeeze").input(s).run().shape());
    assertArrayEquals(new long[] {3, 1, 2}, OpCase.of("Squeeze").input(s).longs(0).run().shape());
    assertArrayEquals(
        new long[] {1, 3, 2},
        OpCase.of("Squeeze").opset(11).input(s).attr(Attribute.ofInts("axes", 2)).run().shape());
    assertArrayEquals(
        new long[] {1, 3, 1, 2, 1},
        OpCase.of("Unsqueeze").input(t(range(6), 3, 2)).longs(0, 2, -1).run().shape());
    assertArrayEquals(range(24), OpCase.of("Reshape").input(x).longs(24).run().floatData());
  }

  @Test
  void transposeConcatSplit() {
    Tensor x = t(range(6), 2, 3);
    Tensor tr = OpCase.of("Transpose").input(x).run();
    assertArrayEquals(new long[] {3, 2}, tr.shape());
    close(new float[] {1, 4, 2, 5, 3, 6}, tr);
    Tensor t3 =
        OpCase.of("Transpose")
            .input(t(range(24), 2, 3, 4))
            .attr(Attribute.ofInts("perm", 1, 2, 0))
            .run();
    assertArrayEquals(new long[] {3, 4, 2}, t3.shape());
    assertEquals(13f, t3.floatData()[1]); // y[0,0,1] = x[1,0,0]
    Tensor c =
        OpCase.of("Concat")
            .input(x)
            .constant(t(new float[] {7, 8}, 2, 1))
            .attr(Attribute.of("axis", -1L))
            .run();
    close(new float[] {1, 2, 3, 7, 4, 5, 6, 8}, c);
    Map<String, Tensor> sp =
        OpCase.of("Split")
            .input(t(range(10), 2, 5))
            .longs(2, 3)
            .attr(Attribute.of("axis", 1L))
            .outputs("a", "b")
            .runAll();
    close(new float[] {1, 2, 6, 7}, sp.get("a"));
    close(new float[] {3, 4, 5, 8, 9, 10}, sp.get("b"));
    Map<String, Tensor> un =
        OpCase.of("Split")
            .input(t(range(5), 5))
            .attr(Attribute.of("num_outputs", 2L))
            .outputs("a", "b")
            .runAll();
    close(new float[] {1, 2, 3}, un.get("a"));
    close(new float[] {4, 5}, un.get("b"));
    Map<String, Tensor> eq =
        OpCase.of("Split")
            .opset(11)
            .input(t(range(6), 6))
            .attr(Attribute.ofInts("split", 1, 5))
            .outputs("a", "b")
            .runAll();
    close(new float[] {1}, eq.get("a"));
  }

  @Test
  void sliceNegativeStepsAndClamping() {
    Tensor x = t(range(20 * 10 * 5), 20, 10, 5);
    Tensor y =
        OpCase.of("Slice")
            .input(x)
            .longs(20, 10, 4)
            .longs(0, 0, 1)
            .longs(0, 1, 2)
            .longs(-1, -3, -2)
            .run();
    assertArrayEquals(new long[] {19, 3, 2}, y.shape());
    assertEquals(x.floatData()[19 * 50 + 9 * 5 + 4], y.floatData()[0]);
    Tensor z = OpCase.of("Slice").input(x).longs(0, 0, 3).longs(20, 10, 4).longs(0, 1, 2).run();
    assertArrayEquals(new long[] {20, 10, 1}, z.shape());
    Tensor big = OpCase.of("Slice").input(x).longs(1).longs(Long.MAX_VALUE).longs(1).longs(1).run();
    assertArrayEquals(new long[] {20, 9, 5}, big.shape());
    Tensor neg = OpCase.of("Slice").input(t(range(8), 8)).longs(-3).longs(-1).run();
    close(new float[] {6, 7}, neg);
    Tensor rev =
        OpCase.of("Slice")
            .input(t(range(4), 4))
            .longs(-1)
            .longs(Long.MIN_VALUE)
            .longs(0)
            .longs(-1)
            .run();
    close(new float[] {4, 3, 2, 1}, rev);
  }

  @Test
  void padConstantReflectEdge() {
    Tensor x = t(new float[] {1.0f, 1.2f, 2.3f, 3.4f, 4.5f, 5.7f}, 3, 2);
    close(
        new float[] {0, 0, 1.0f, 1.2f, 0, 0, 2.3f, 3.4f, 0, 0, 4.5f, 5.7f},
        OpCase.of("Pad").input(x).longs(0, 2, 0, 0).run());
    close(
        new float[] {1.0f, 1.2f, 1.0f, 1.2f, 2.3f, 3.4f, 2.3f, 3.4f, 4.5f, 5.7f, 4.5f, 5.7f},
        OpCase.of("Pad").input(x).longs(0, 2, 0, 0).attr(Attribute.of("mode", "reflect")).run());
    close(
        new float[] {1.0f, 1.0f, 1.0f, 1.2f, 2.3f, 2.3f, 2.3f, 3.4f, 4.5f, 4.5f, 4.5f, 5.7f},
        OpCase.of("Pad").input(x).longs(0, 2, 0, 0).attr(Attribute.of("mode", "edge")).run());
    close(
        new float[] {9, 1.0f, 1.2f, 9, 2.3f, 3.4f},
        OpCase.of("Pad")
            .input(t(new float[] {1.0f, 1.2f, 2.3f, 3.4f}, 2, 2))
            .longs(0, 1, 0, 0)
            .constant(Tensor.scalar(9))
            .run());
    close(
        new float[] {0, 1.0f, 1.2f, 0, 2.3f, 3.4f},
        OpCase.of("Pad")
            .opset(2)
            .input(t(new float[] {1.0f, 1.2f, 2.3f, 3.4f}, 2, 2))
            .attr(Attribute.ofInts("pads", 0, 1, 0, 0))
            .run());
  }

  // ---- per-channel affine ----

  @Test
  void channelAffineAndBatchNormalization() {
    Tensor x = t(range(8), 1, 2, 2, 2);
    close(
        new float[] {2, 4, 6, 8, -5, -6, -7, -8},
        OpCase.of("ChannelAffine")
            .input(x)
            .constant(t(new float[] {2, -1}, 2))
            .constant(t(new float[] {0, 0}, 2))
            .run());
    float[] gamma = {2, 0.5f};
    float[] beta = {1, -1};
    float[] mean = {2, 6};
    float[] var = {4, 1};
    Tensor bn =
        OpCase.of("BatchNormalization")
            .input(x)
            .constant(t(gamma, 2))
            .constant(t(beta, 2))
            .constant(t(mean, 2))
            .constant(t(var, 2))
            .attr(Attribute.of("epsilon", 0f))
            .run();
    float[] ref = new float[8];
    for (int i = 0; i < 8; i++) {
      int c = i / 4;
      ref[i] = (float) (gamma[c] * (i + 1 - mean[c]) / Math.sqrt(var[c]) + beta[c]);
    }
    close(ref, bn);
    Tensor bnRuntime =
        OpCase.of("BatchNormalization")
            .input(x)
            .input(t(gamma, 2))
            .input(t(beta, 2))
            .input(t(mean, 2))
            .input(t(var, 2))
            .attr(Attribute.of("epsilon", 0f))
            .run();
    close(ref, bnRuntime);
  }

  @Test
  void identityAndDropoutPassThrough() {
    Tensor x = t(range(6), 2, 3);
    assertArrayEquals(range(6), OpCase.of("Identity").input(x).run().floatData());
    assertArrayEquals(
        range(6),
        OpCase.of("Dropout").input(x).attr(Attribute.of("ratio", 0.3f)).run().floatData());
  }
}
