package dev.bnfold.runtime;

import dev.bnfold.runtime.format.ModelFile;
import dev.bnfold.runtime.format.ModelReader;
import dev.bnfold.runtime.kernels.Kernels;
import dev.bnfold.runtime.ops.Parallel;
import java.io.InputStream;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.RejectedExecutionException;

/**
 * A loaded bnfold model, ready to run.
 *
 * <pre>{@code
 * try (Model model = Model.load(Path.of("resnet18.bnf"))) {
 *   Map<String, Tensor> out = model.run(Map.of("input", Tensor.of(pixels, 1, 3, 224, 224)));
 * }
 * }</pre>
 *
 * <p><b>Loading</b> parses and validates the file, parses every node (all unsupported nodes are
 * reported together in one {@link UnsupportedModelException}), fuses activations into the Conv,
 * Gemm or MatMul before them, packs constant weights for the GEMM kernels, and, when every input
 * dimension is fixed, builds the execution plan so that shape errors surface at load.
 *
 * <p><b>Threads.</b> A model is immutable and thread-safe: share one instance and call {@link #run}
 * from any number of threads at once. Each call borrows a workspace (intermediate arena and
 * scratch) from a pool kept per input shape, so concurrent calls never share buffers and a warm
 * call allocates nothing beyond its results. Plans are built once per distinct set of input shapes
 * (a symbolic batch dimension gives one plan per batch size seen) and cached. For the
 * allocation-free path use {@link #prepare} and {@link PreparedRun#run(float[][], float[][])}.
 *
 * <p><b>Intra-op threads.</b> With {@link Options.Builder#threads(int)} above 1 the model owns a
 * fixed pool of {@code threads - 1} daemon threads; the calling thread works too. Conv, Gemm and
 * MatMul split their output across them. The pool is shut down by {@link #close()}.
 *
 * <p><b>Closing.</b> {@link #close()} releases the plans, workspaces and threads; any later use
 * throws {@link ModelClosedException}.
 */
public final class Model implements AutoCloseable {
  private final CompiledGraph graph;
  private final Options options;
  private final Map<String, Integer> inputIndex = new HashMap<>();
  private final Map<Key, Plan> plans = new ConcurrentHashMap<>();
  private final Parallel parallel;
  private volatile boolean closed;

  private Model(CompiledGraph graph, Options options) {
    this.graph = graph;
    this.options = options;
    this.parallel = Parallel.pool(options.threads(), "bnfold-" + graph.name);
    for (int i = 0; i < graph.inputs.size(); i++) {
      inputIndex.put(graph.inputs.get(i).name(), i);
    }
    // Static shape inference at load: with every dimension fixed, or with only the batch axis
    // symbolic (checked with batch 1), the plan is built now so shape errors surface at load.
    boolean checkable = true;
    int[][] shapes = new int[graph.inputs.size()][];
    for (int i = 0; i < shapes.length && checkable; i++) {
      ValueInfo v = graph.inputs.get(i);
      if (!v.hasShape()) {
        checkable = false;
        break;
      }
      long[] decl = v.shape();
      shapes[i] = new int[decl.length];
      for (int d = 0; d < decl.length; d++) {
        if (decl[d] < 0 && d > 0) {
          checkable = false;
        }
        shapes[i][d] = decl[d] < 0 ? 1 : (int) Math.min(decl[d], Integer.MAX_VALUE);
      }
    }
    if (checkable) {
      try {
        planFor(shapes);
      } catch (InvalidInputException e) {
        close();
        throw new ModelFormatException(
            graph.name
                + ": shape inference failed for the declared input shapes: "
                + e.getMessage(),
            e);
      }
    }
  }

  /** Loads a model file (memory-mapped while reading) with default options. */
  public static Model load(Path path) {
    return load(path, Options.defaults());
  }

  /** Loads a model file (memory-mapped while reading). */
  public static Model load(Path path, Options options) {
    ModelFile file = ModelReader.read(path, limits(options));
    return fromFile(file, path.getFileName().toString(), options);
  }

  /** Loads a model from a stream (read fully, not closed); {@code name} is used in messages. */
  public static Model load(InputStream in, String name, Options options) {
    return fromFile(ModelReader.read(in, name, limits(options)), name, options);
  }

  /** Loads a model from bytes; {@code name} is used in messages. */
  public static Model load(byte[] bytes, String name, Options options) {
    return fromFile(ModelReader.read(bytes, name, limits(options)), name, options);
  }

  /** Builds a runnable model from an in-memory model (e.g. straight from a ModelWriter). */
  public static Model fromFile(ModelFile file, String name, Options options) {
    CompiledGraph g = new CompiledGraph(name, file, options, Kernels.gemm(options.scalarOnly()));
    return new Model(g, options);
  }

  private static ModelReader.Limits limits(Options o) {
    return new ModelReader.Limits(o.maxTensorElements(), o.maxWeightBytes(), o.maxNodes());
  }

  /** The name used in messages (file name or the name given at load). */
  public String name() {
    return graph.name;
  }

  /** The options the model was loaded with. */
  public Options options() {
    return options;
  }

  /** Graph inputs, in order, with declared shapes (-1 for symbolic dims). */
  public List<ValueInfo> inputs() {
    return graph.inputs;
  }

  /** Graph outputs, in order (shapes as declared in the file, possibly unknown). */
  public List<ValueInfo> outputs() {
    return graph.outputs;
  }

  /** Name of the GEMM micro-kernel in use, e.g. {@code vector-4x32} or {@code scalar-4x8}. */
  public String kernelName() {
    return graph.gemm.name();
  }

  /**
   * Runs the model.
   *
   * @param inputs one FLOAT32 tensor per graph input, by name
   * @return one tensor per graph output, by name, in output order
   * @throws InvalidInputException for a missing, unknown or mis-shaped input
   * @throws ModelClosedException if the model was closed
   */
  public Map<String, Tensor> run(Map<String, Tensor> inputs) {
    checkOpen();
    float[][] data = new float[graph.inputs.size()][];
    int[][] shapes = new int[data.length][];
    for (Map.Entry<String, Tensor> e : inputs.entrySet()) {
      Integer i = inputIndex.get(e.getKey());
      if (i == null) {
        throw new InvalidInputException(
            graph.name + ": unknown input '" + e.getKey() + "'; inputs are " + inputIndex.keySet());
      }
      Tensor t = e.getValue();
      if (t == null) {
        throw new InvalidInputException(graph.name + ": input '" + e.getKey() + "' is null");
      }
      if (t.dtype() != graph.inputs.get(i).dtype()) {
        throw new InvalidInputException(
            graph.name
                + ": input '"
                + e.getKey()
                + "' is "
                + t.dtype()
                + ", expected "
                + graph.inputs.get(i).dtype());
      }
      // INT64 inputs can only be unused here (the graph reads no int64 value at run time).
      data[i] = t.dtype() == DType.FLOAT32 ? t.floatData() : new float[0];
      shapes[i] = toInts(t.shape(), e.getKey());
    }
    for (int i = 0; i < data.length; i++) {
      if (data[i] == null) {
        throw new InvalidInputException(
            graph.name + ": missing input '" + graph.inputs.get(i).name() + "'");
      }
    }
    Plan plan = planFor(shapes);
    float[][] out = new float[plan.outputShapes.length][];
    for (int i = 0; i < out.length; i++) {
      out[i] = new float[sizeOf(plan.outputShapes[i])];
    }
    execute(plan, data, out);
    Map<String, Tensor> result = new LinkedHashMap<>();
    for (int i = 0; i < out.length; i++) {
      long[] s = Arrays.stream(plan.outputShapes[i]).asLongStream().toArray();
      result.put(graph.outputs.get(i).name(), Tensor.of(out[i], s));
    }
    return result;
  }

  /** Runs a model with a single input and returns its first output. */
  public Tensor run(Tensor input) {
    if (graph.inputs.size() != 1) {
      throw new InvalidInputException(
          graph.name
              + ": run(Tensor) needs exactly one input, the model has "
              + graph.inputs.size());
    }
    return run(Map.of(graph.inputs.get(0).name(), input)).values().iterator().next();
  }

  /**
   * Prepares the allocation-free path for fixed input shapes (in graph-input order). The result is
   * thread-safe and stays valid until the model is closed.
   *
   * @throws InvalidInputException if the shapes do not fit the declared inputs or the graph
   */
  public PreparedRun prepare(long[]... inputShapes) {
    checkOpen();
    if (inputShapes.length != graph.inputs.size()) {
      throw new InvalidInputException(
          graph.name
              + ": "
              + inputShapes.length
              + " shapes given for "
              + graph.inputs.size()
              + " inputs");
    }
    int[][] shapes = new int[inputShapes.length][];
    for (int i = 0; i < shapes.length; i++) {
      shapes[i] = toInts(inputShapes[i], graph.inputs.get(i).name());
    }
    return new PreparedRun(this, planFor(shapes));
  }

  void execute(Plan plan, float[][] inputs, float[][] outputs) {
    checkOpen();
    if (options.checkNaN()) {
      for (int i = 0; i < inputs.length; i++) {
        int bad =
            firstNonFinite(
                inputs[i], Math.min(inputs[i].length, sizeOf(plan.shapes[graph.inputIds[i]])));
        if (bad >= 0) {
          throw new InvalidInputException(
              graph.name
                  + ": input '"
                  + graph.inputs.get(i).name()
                  + "' has "
                  + inputs[i][bad]
                  + " at element "
                  + bad);
        }
      }
    }
    try {
      plan.run(inputs, outputs);
    } catch (RejectedExecutionException e) {
      // close() shut the intra-op pool down while this call was running.
      if (closed) {
        throw new ModelClosedException(graph.name);
      }
      throw e;
    }
    if (options.checkNaN()) {
      for (int i = 0; i < outputs.length; i++) {
        int bad = firstNonFinite(outputs[i], sizeOf(plan.outputShapes[i]));
        if (bad >= 0) {
          throw new BnfoldException(
              BnfoldException.ErrorCode.BAD_INPUT,
              graph.name
                  + ": output '"
                  + graph.outputs.get(i).name()
                  + "' has "
                  + outputs[i][bad]
                  + " at element "
                  + bad);
        }
      }
    }
  }

  private static int firstNonFinite(float[] a, int n) {
    for (int i = 0; i < n; i++) {
      if (!Float.isFinite(a[i])) {
        return i;
      }
    }
    return -1;
  }

  int inputSizeOf(Plan plan, int i) {
    return sizeOf(plan.shapes[graph.inputIds[i]]);
  }

  static int sizeOf(int[] shape) {
    int n = 1;
    for (int d : shape) {
      n *= d;
    }
    return n;
  }

  private int[] toInts(long[] shape, String input) {
    int[] s = new int[shape.length];
    long n = 1;
    for (int i = 0; i < s.length; i++) {
      if (shape[i] < 0 || shape[i] > Integer.MAX_VALUE) {
        throw new InvalidInputException(
            graph.name + ": input '" + input + "' has invalid dimension " + shape[i]);
      }
      s[i] = (int) shape[i];
      n *= Math.max(1, s[i]);
      if (n > options.maxTensorElements()) {
        throw new InvalidInputException(
            graph.name
                + ": input '"
                + input
                + "' exceeds the cap of "
                + options.maxTensorElements()
                + " elements");
      }
    }
    return s;
  }

  /** Checks the shapes against the declared inputs (rank, fixed dims, consistent symbols). */
  private Plan planFor(int[][] shapes) {
    Key key = new Key(shapes);
    Plan p = plans.get(key);
    if (p != null) {
      return p;
    }
    Map<String, Integer> symbols = new HashMap<>();
    for (int i = 0; i < shapes.length; i++) {
      ValueInfo v = graph.inputs.get(i);
      if (!v.hasShape()) {
        continue;
      }
      long[] decl = v.shape();
      String[] names = v.dimNames();
      if (decl.length != shapes[i].length) {
        throw new InvalidInputException(
            graph.name
                + ": input '"
                + v.name()
                + "' has rank "
                + shapes[i].length
                + ", expected "
                + decl.length
                + " "
                + v);
      }
      for (int d = 0; d < decl.length; d++) {
        if (decl[d] >= 0 && decl[d] != shapes[i][d]) {
          throw new InvalidInputException(
              graph.name
                  + ": input '"
                  + v.name()
                  + "' has shape "
                  + Arrays.toString(shapes[i])
                  + ", expected "
                  + v);
        }
        if (decl[d] < 0 && names[d] != null) {
          Integer prev = symbols.putIfAbsent(names[d], shapes[i][d]);
          if (prev != null && prev != shapes[i][d]) {
            throw new InvalidInputException(
                graph.name
                    + ": dimension '"
                    + names[d]
                    + "' is "
                    + prev
                    + " in one input and "
                    + shapes[i][d]
                    + " in '"
                    + v.name()
                    + "'");
          }
        }
      }
    }
    return plan(shapes);
  }

  private Plan plan(int[][] shapes) {
    Key key = new Key(shapes);
    Plan p = plans.get(key);
    if (p == null) {
      if (plans.size() >= options.maxCachedPlans()) {
        plans.clear();
      }
      p = plans.computeIfAbsent(key, k -> newPlan(shapes));
    }
    return p;
  }

  private Plan newPlan(int[][] shapes) {
    try {
      return new Plan(graph, shapes, options.maxTensorElements(), parallel);
    } catch (IllegalArgumentException | ArithmeticException e) {
      // Shape errors past shape inference, e.g. a kernel's scratch size that overflows int.
      throw new InvalidInputException(
          graph.name
              + ": input shapes "
              + Arrays.deepToString(shapes)
              + " cannot be planned: "
              + e.getMessage(),
          e);
    }
  }

  void checkOpen() {
    if (closed) {
      throw new ModelClosedException(graph.name);
    }
  }

  /** Releases plans and workspaces; later calls throw {@link ModelClosedException}. Idempotent. */
  @Override
  public void close() {
    closed = true;
    plans.clear();
    parallel.shutdown();
  }

  /** Number of values the plan for these input shapes keeps channel-blocked (for tests). */
  int blockedValues(int[]... shapes) {
    return plan(shapes).blockedValues();
  }

  /** Number of ops after fusion (for tests). */
  int opCount() {
    return graph.ops.size();
  }

  @Override
  public String toString() {
    return "Model(" + graph.name + ", " + graph.ops.size() + " ops, kernel " + kernelName() + ")";
  }

  /** Hashable list of input shapes. */
  private static final class Key {
    private final int[][] shapes;
    private final int hash;

    Key(int[][] shapes) {
      this.shapes = shapes;
      this.hash = Arrays.deepHashCode(shapes);
    }

    @Override
    public boolean equals(Object o) {
      return o instanceof Key && Arrays.deepEquals(((Key) o).shapes, shapes);
    }

    @Override
    public int hashCode() {
      return hash;
    }
  }
}
