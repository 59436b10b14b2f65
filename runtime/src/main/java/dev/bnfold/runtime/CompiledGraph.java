package dev.bnfold.runtime;

import dev.bnfold.runtime.format.ConstantDef;
import dev.bnfold.runtime.format.ModelFile;
import dev.bnfold.runtime.format.NodeDef;
import dev.bnfold.runtime.kernels.ElementwiseKernel;
import dev.bnfold.runtime.kernels.GemmMicroKernel;
import dev.bnfold.runtime.kernels.Kernels;
import dev.bnfold.runtime.kernels.PanelLayout;
import dev.bnfold.runtime.ops.Activation;
import dev.bnfold.runtime.ops.Op;
import dev.bnfold.runtime.ops.OpContext;
import dev.bnfold.runtime.ops.OpRegistry;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * A model after load: values numbered, ops parsed (all unsupported nodes reported at once), Mul(x,
 * Sigmoid(x)) and Mul(x, HardSigmoid(x)) rewritten as one activation, activations fused into their
 * producers, dtypes checked. Immutable once built.
 */
final class CompiledGraph {
  final String name;
  final List<ValueInfo> inputs;
  final List<ValueInfo> outputs;
  final GemmMicroKernel gemm;

  /** Value id by name. */
  final Map<String, Integer> ids = new HashMap<>();

  final List<String> valueNames = new ArrayList<>();
  final List<DType> dtypes = new ArrayList<>();

  /**
   * Constant data by value id: float[] or long[]; null for non-constants; {@link #TAKEN_PACKED} for
   * a float constant that every use took packed (the ops hold the packed data; no row-major copy is
   * kept). While ops are parsed, a ConstantDef stands for a constant stored in a panel layout whose
   * row-major data nobody has asked for yet.
   */
  final List<Object> constData = new ArrayList<>();

  /** The {@link #constData} of a constant whose every use took it packed. */
  static final Object TAKEN_PACKED = new Object();

  final List<int[]> constShapes = new ArrayList<>();
  final int[] inputIds;
  final int[] outputIds;

  /** Ops in execution order, with their input and output value ids (-1 = absent). */
  final List<Op> ops = new ArrayList<>();

  final List<int[]> opInputs = new ArrayList<>();
  final List<int[]> opOutputs = new ArrayList<>();

  CompiledGraph(String name, ModelFile file, Options options, GemmMicroKernel gemm) {
    this.name = name;
    this.inputs = file.inputs();
    this.outputs = file.outputs();
    this.gemm = gemm;
    if (file.nodes().size() > options.maxNodes()) {
      throw new ModelFormatException(
          name + ": " + file.nodes().size() + " nodes exceed the cap of " + options.maxNodes());
    }
    long weightBytes = 0;
    for (ValueInfo v : file.inputs()) {
      define(v.name(), v.dtype(), null, null);
    }
    for (ConstantDef c : file.constants()) {
      weightBytes += c.byteSize();
      if (c.size() > options.maxTensorElements()) {
        throw new ModelFormatException(
            name
                + ": constant '"
                + c.name()
                + "' exceeds the cap of "
                + options.maxTensorElements()
                + " elements");
      }
      long[] dims = c.shape();
      int[] shape = new int[dims.length];
      for (int i = 0; i < shape.length; i++) {
        shape[i] = (int) dims[i];
      }
      Object data = c.dtype() != DType.FLOAT32 ? c.longs() : c.layout() != null ? c : c.floats();
      define(c.name(), c.dtype(), data, shape);
    }
    int[] packedTakes = new int[ids.size()]; // by constant id: uses served in a panel layout
    boolean[] askedRowMajor = new boolean[ids.size()]; // by constant id: constantFloats called
    if (weightBytes > options.maxWeightBytes()) {
      throw new ModelFormatException(
          name
              + ": constants take "
              + weightBytes
              + " bytes, over the cap of "
              + options.maxWeightBytes());
    }
    inputIds = file.inputs().stream().mapToInt(v -> ids.get(v.name())).toArray();

    OpContext ctx =
        new OpContext() {
          @Override
          public long opset() {
            return file.opset();
          }

          @Override
          public float[] constantFloats(String value) {
            Integer id = ids.get(value);
            if (id == null) {
              return null;
            }
            askedRowMajor[id] = true;
            return rowMajor(id);
          }

          @Override
          public float[] constantPacked(String value, PanelLayout layout) {
            Integer id = ids.get(value);
            Object d = id == null ? null : constData.get(id);
            if (d instanceof ConstantDef && layout.equals(((ConstantDef) d).layout())) {
              packedTakes[id]++;
              return ((ConstantDef) d).stored(); // as the file holds it: no copy, no repack
            }
            // the file holds another layout (another kernel's panels, or row-major): repack
            if (!(d instanceof ConstantDef || d instanceof float[])) {
              return null;
            }
            int[] shape = constShapes.get(id);
            String misfit = layout.misfit(shape);
            if (misfit != null) {
              throw new IllegalArgumentException(misfit);
            }
            float[] packed = new float[Math.toIntExact(layout.packedSize(shape))];
            if (d instanceof ConstantDef) {
              ConstantDef c = (ConstantDef) d;
              c.layout().repack(packed, layout, c.stored(), shape);
            } else {
              layout.pack(packed, (float[]) d, shape);
            }
            packedTakes[id]++;
            return packed;
          }

          @Override
          public long[] constantLongs(String value) {
            Integer id = ids.get(value);
            Object d = id == null ? null : constData.get(id);
            return d instanceof long[] ? (long[]) d : null;
          }

          @Override
          public int[] constantShape(String value) {
            Integer id = ids.get(value);
            return id == null || constData.get(id) == null ? null : constShapes.get(id).clone();
          }
        };

    int[] uses = new int[ids.size()]; // by constant id: node inputs and graph outputs reading it
    for (NodeDef node : file.nodes()) {
      for (String v : node.inputs()) {
        Integer id = ids.get(v);
        if (id != null) {
          uses[id]++;
        }
      }
    }
    for (ValueInfo v : file.outputs()) {
      Integer id = ids.get(v.name());
      if (id != null) {
        uses[id]++;
      }
    }

    List<String> problems = new ArrayList<>();
    boolean allFormat = true;
    RuntimeException unexpected = null; // kept as the cause, for debugging and the fuzz tests
    for (NodeDef node : file.nodes()) {
      Op op = null;
      try {
        op = OpRegistry.parse(node, ctx, gemm);
      } catch (UnsupportedModelException e) {
        problems.add(e.getMessage());
        allFormat = false;
      } catch (ModelFormatException e) {
        problems.add(e.getMessage());
      } catch (IllegalArgumentException e) {
        // the ops' convention for shape and range errors (Shapes, Window)
        problems.add("node " + node.describe() + ": " + e.getMessage());
      } catch (RuntimeException e) {
        // A check an op's parser lacks (an attribute or weight shape it did not expect): still a
        // bad model, reported with the node rather than as a crash.
        problems.add("node " + node.describe() + ": malformed (" + e + ")");
        if (unexpected == null) {
          unexpected = e;
        }
      }
      int[] in = new int[node.inputs().size()];
      for (int i = 0; i < in.length; i++) {
        String v = node.inputs().get(i);
        in[i] = v.isEmpty() ? -1 : ids.get(v);
        if (op != null
            && in[i] >= 0
            && !op.loadTimeInput(i)
            && dtypes.get(in[i]) != DType.FLOAT32) {
          problems.add(
              "node "
                  + node.describe()
                  + ": input "
                  + i
                  + " ('"
                  + v
                  + "') is "
                  + dtypes.get(in[i])
                  + ", only FLOAT32 is supported here");
          allFormat = false;
        }
      }
      int[] out = new int[node.outputs().size()];
      for (int i = 0; i < out.length; i++) {
        String v = node.outputs().get(i);
        out[i] = v.isEmpty() ? -1 : define(v, DType.FLOAT32, null, null);
      }
      if (op != null) {
        ops.add(op);
        opInputs.add(in);
        opOutputs.add(out);
      }
    }
    if (!problems.isEmpty()) {
      String msg =
          name
              + ": "
              + problems.size()
              + " node(s) cannot be loaded: "
              + String.join("; ", problems);
      throw allFormat
          ? new ModelFormatException(msg, unexpected)
          : new UnsupportedModelException(msg, unexpected);
    }
    outputIds = file.outputs().stream().mapToInt(v -> ids.get(v.name())).toArray();
    for (int i = 0; i < outputIds.length; i++) {
      if (dtypes.get(outputIds[i]) != DType.FLOAT32) {
        throw new UnsupportedModelException(
            name
                + ": graph output '"
                + outputs.get(i).name()
                + "' is "
                + dtypes.get(outputIds[i])
                + "; only FLOAT32 outputs are supported");
      }
    }
    for (int id = 0; id < packedTakes.length; id++) {
      if (packedTakes[id] > 0 && packedTakes[id] == uses[id] && !askedRowMajor[id]) {
        constData.set(id, TAKEN_PACKED); // only the ops' packed copies are kept
      } else if (constData.get(id) instanceof ConstantDef) {
        rowMajor(id); // some use reads the value itself: it needs the row-major data
      }
    }
    fuseSwish();
    fuseResiduals();
    fuseActivations();
  }

  /** The row-major float data of constant {@code id} (unpacked once if stored packed), or null. */
  private float[] rowMajor(int id) {
    Object d = constData.get(id);
    if (d instanceof ConstantDef) {
      float[] f = ((ConstantDef) d).floats();
      constData.set(id, f);
      return f;
    }
    return d instanceof float[] ? (float[]) d : null;
  }

  private int define(String name, DType dtype, Object data, int[] shape) {
    int id = valueNames.size();
    ids.put(name, id);
    valueNames.add(name);
    dtypes.add(dtype);
    constData.add(data);
    constShapes.add(shape);
    return id;
  }

  /**
   * A Conv whose output only feeds an Add absorbs the Add: it adds the Add's other input while it
   * stores its output (see {@link Op#fuseResidual}), so a residual connection costs no pass over
   * memory of its own. Runs before {@link #fuseActivations}, which then fuses an activation that
   * follows the Add into the Conv, applied to the sum.
   *
   * <pre>
   * Before: y = Conv(x, w[, b]);  z = Add(y, r)  (or Add(r, y))
   * After:  z = Conv(x, w, b or absent, r), at the Add's place in the order
   * </pre>
   *
   * <p>Preconditions: y is read by the Add only and is not a graph output; the Add has two distinct
   * inputs; the Conv accepts (constant weights, one group, no activation yet). The Conv moves to
   * the Add's position because r may be computed after it (the downsampling branch of a ResNet
   * block); that is safe since nothing in between reads y.
   */
  private void fuseResiduals() {
    int[] consumers = consumerCounts();
    Map<Integer, Integer> producer = producers();
    boolean[] removed = new boolean[ops.size()];
    for (int j = 0; j < ops.size(); j++) {
      int[] in = opInputs.get(j);
      if (!"Add".equals(ops.get(j).node().opType())
          || in.length != 2
          || in[0] < 0
          || in[1] < 0
          || in[0] == in[1]
          || opOutputs.get(j).length != 1) {
        continue;
      }
      if (constData.get(in[0]) != null || constData.get(in[1]) != null) {
        // Conv + constant is a bias (usually broadcast), not a residual connection
        continue;
      }
      for (int side = 0; side < 2; side++) {
        int y = in[side];
        Integer i = producer.get(y);
        if (i == null
            || removed[i]
            || consumers[y] != 1
            || !"Conv".equals(ops.get(i).node().opType())
            || opOutputs.get(i).length != 1
            || !ops.get(i).fuseResidual()) {
          continue;
        }
        int[] conv = opInputs.get(i);
        int[] fused = {conv[0], conv[1], conv.length > 2 ? conv[2] : -1, in[1 - side]};
        ops.set(j, ops.get(i));
        opInputs.set(j, fused);
        removed[i] = true;
        break;
      }
    }
    removeOps(removed);
  }

  /**
   * Mul(x, Sigmoid(x)) becomes one SiLU op and Mul(x, HardSigmoid(x)) one HardSwish op (the forms
   * in which exporters write them), which {@link #fuseActivations} can then fold into x's producer.
   *
   * <pre>
   * Before:  x -> Sigmoid -> s;  Mul(x, s) -> y        (either input order)
   * After:   x -> SiLU -> y                            (HardSigmoid(a, b): HardSwish(a, b))
   * </pre>
   *
   * Preconditions: s feeds only the Mul and is not a graph output. The shapes agree (s has x's
   * shape), so y keeps its shape. The fused op computes {@code x * (1 / (1 + exp(-x)))} and {@code
   * x * max(0, min(1, a*x + b))}, the same arithmetic as the two nodes.
   */
  private void fuseSwish() {
    int[] consumers = consumerCounts();
    Map<Integer, Integer> producer = producers();
    boolean[] removed = new boolean[ops.size()];
    for (int j = 0; j < ops.size(); j++) {
      int[] in = opInputs.get(j);
      if (!ops.get(j).node().opType().equals("Mul") || in.length != 2 || in[0] < 0 || in[1] < 0) {
        continue;
      }
      for (int side = 0; side < 2; side++) {
        int x = in[1 - side];
        int s = in[side];
        Integer i = producer.get(s);
        if (i == null || removed[i] || consumers[s] != 1 || opInputs.get(i)[0] != x) {
          continue;
        }
        Activation gate = ops.get(i).asActivation();
        Activation.Kind kind;
        if (gate == null || opOutputs.get(i).length != 1) {
          continue;
        } else if (gate.kind() == Activation.Kind.SIGMOID) {
          kind = Activation.Kind.SILU;
        } else if (gate.kind() == Activation.Kind.HARD_SIGMOID) {
          kind = Activation.Kind.HARD_SWISH;
        } else {
          continue;
        }
        NodeDef mul = ops.get(j).node();
        NodeDef node =
            new NodeDef(
                mul.name(),
                kind == Activation.Kind.SILU ? "SiLU" : "HardSwish",
                List.of(valueNames.get(x)),
                mul.outputs(),
                List.of());
        ops.set(j, OpRegistry.activation(node, new Activation(kind, gate.a(), gate.b())));
        opInputs.set(j, new int[] {x});
        removed[i] = true;
        break;
      }
    }
    removeOps(removed);
  }

  private int[] consumerCounts() {
    int[] consumers = new int[valueNames.size()];
    for (int[] in : opInputs) {
      for (int v : in) {
        if (v >= 0) {
          consumers[v]++;
        }
      }
    }
    for (int v : outputIds) {
      consumers[v] += 1000;
    }
    return consumers;
  }

  private Map<Integer, Integer> producers() {
    Map<Integer, Integer> producer = new HashMap<>();
    for (int i = 0; i < ops.size(); i++) {
      for (int v : opOutputs.get(i)) {
        if (v >= 0) {
          producer.put(v, i);
        }
      }
    }
    return producer;
  }

  private void removeOps(boolean[] removed) {
    for (int j = ops.size() - 1; j >= 0; j--) {
      if (removed[j]) {
        ops.remove(j);
        opInputs.remove(j);
        opOutputs.remove(j);
      }
    }
  }

  /**
   * Producer (Conv, Gemm, MatMul) followed by an element-wise activation: when the producer's
   * output feeds only that activation and is not a graph output, the producer applies the
   * activation itself and writes the activation's output value.
   */
  private void fuseActivations() {
    int[] consumers = consumerCounts();
    Map<Integer, Integer> producer = producers();
    ElementwiseKernel kernels = Kernels.elementwiseFor(gemm);
    boolean[] removed = new boolean[ops.size()];
    for (int j = 0; j < ops.size(); j++) {
      Activation act = ops.get(j).asActivation();
      int v = opInputs.get(j)[0];
      Integer i = producer.get(v);
      if (act == null || i == null || removed[i] || consumers[v] != 1) {
        continue;
      }
      if (opOutputs.get(i).length != 1 || !ops.get(i).fuse(act.withKernels(kernels))) {
        continue;
      }
      opOutputs.get(i)[0] = opOutputs.get(j)[0];
      producer.put(opOutputs.get(j)[0], i);
      removed[j] = true;
    }
    removeOps(removed);
  }

  int valueCount() {
    return valueNames.size();
  }
}
