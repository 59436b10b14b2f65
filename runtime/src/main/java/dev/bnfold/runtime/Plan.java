package dev.bnfold.runtime;

import dev.bnfold.runtime.kernels.BlockedKernels;
import dev.bnfold.runtime.kernels.Kernels;
import dev.bnfold.runtime.ops.Binding;
import dev.bnfold.runtime.ops.Frame;
import dev.bnfold.runtime.ops.Op;
import dev.bnfold.runtime.ops.Shapes;
import dev.bnfold.runtime.ops.Step;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * The execution plan for one set of input shapes: every value's shape, the bound steps, and a
 * memory plan that places intermediates in one arena, reusing space once a value is dead (views
 * share their input's space). Frames (arena + scratch) are pooled, so a warm run allocates nothing.
 * Thread-safe.
 */
final class Plan {
  private static final int ALIGN = 16; // floats: 64 bytes

  final int[][] shapes; // by value id
  final int[][] outputShapes;
  private final CompiledGraph graph;
  private final Step[] steps;
  private final int[] stepOp; // op index of each step
  private final String[] stepKernel; // kernel each step uses, for the profile
  private final int arenaSize;
  private final int scratchSize;
  private final int[] root; // alias root per value
  private final int[] arenaOffset; // per value, -1 if not in the arena
  private final int[] inputAliases; // values whose root is a graph input
  private final boolean[] blocked; // per value: stored in the channel-blocked layout
  private final ArrayDeque<Frame> pool = new ArrayDeque<>();

  private final dev.bnfold.runtime.ops.Parallel parallel;

  Plan(
      CompiledGraph g,
      int[][] inputShapes,
      long maxElements,
      dev.bnfold.runtime.ops.Parallel parallel) {
    this.parallel = parallel;
    this.graph = g;
    int nv = g.valueCount();
    shapes = new int[nv][];
    for (int v = 0; v < nv; v++) {
      shapes[v] = g.constShapes.get(v);
    }
    for (int i = 0; i < g.inputIds.length; i++) {
      shapes[g.inputIds[i]] = inputShapes[i];
    }
    root = new int[nv];
    for (int v = 0; v < nv; v++) {
      root[v] = v;
    }
    // Shape inference.
    int nOps = g.ops.size();
    for (int k = 0; k < nOps; k++) {
      Op op = g.ops.get(k);
      int[] in = g.opInputs.get(k);
      int[][] out;
      try {
        out = op.inferShapes(inShapes(g, k));
        for (int[] s : out) {
          if (Shapes.size(s) > maxElements) {
            throw new IllegalArgumentException(
                "output " + Shapes.str(s) + " exceeds the cap of " + maxElements + " elements");
          }
        }
      } catch (IllegalArgumentException | ArithmeticException e) {
        throw new InvalidInputException(
            g.name
                + ": shapes "
                + describeInputs()
                + " do not fit node "
                + op.node().describe()
                + ": "
                + e.getMessage(),
            e);
      }
      int[] outIds = g.opOutputs.get(k);
      for (int i = 0; i < outIds.length; i++) {
        if (outIds[i] >= 0) {
          shapes[outIds[i]] = out[i];
        }
      }
      if (op.isView()) {
        root[outIds[0]] = root[in[0]];
      }
    }
    // Channel-blocked layout: ops that can run blocked do; a value between two of them (read only
    // as inputs they accept blocked, not a graph output) stays blocked, and the others are
    // converted by the blocked op that reads or writes them.
    BlockedKernels blockedKernels = Kernels.blockedFor(g.gemm);
    boolean[] runsBlocked = new boolean[nOps];
    blocked = new boolean[nv];
    if (blockedKernels != null) {
      for (int k = 0; k < nOps; k++) {
        runsBlocked[k] = g.ops.get(k).blockable(inShapes(g, k), outShapes(g, k), blockedKernels);
        if (runsBlocked[k]) {
          for (int v : g.opOutputs.get(k)) {
            if (v >= 0) {
              blocked[v] = true;
            }
          }
        }
      }
      // An op left with no blocked neighbour would convert its input and its output and gain
      // nothing (shufflenet's convs between channel shuffles ran 1.31 -> 1.54 ms): it runs
      // plain, which may isolate the next one, so repeat until nothing changes.
      boolean changed = true;
      while (changed) {
        changed = false;
        for (int k = 0; k < nOps; k++) {
          int[] in = g.opInputs.get(k);
          int[][] inShapes = runsBlocked[k] ? inShapes(g, k) : null;
          for (int i = 0; i < in.length; i++) {
            if (in[i] >= 0 && (inShapes == null || !g.ops.get(k).acceptsBlocked(i, inShapes))) {
              blocked[in[i]] = false;
            }
          }
        }
        for (int v : g.outputIds) {
          blocked[v] = false;
        }
        for (int k = 0; k < nOps; k++) {
          if (runsBlocked[k] && !touchesBlocked(g, k, blocked)) {
            runsBlocked[k] = false;
            for (int v : g.opOutputs.get(k)) {
              if (v >= 0) {
                blocked[v] = false;
              }
            }
            changed = true;
          }
        }
      }
    }
    outputShapes = new int[g.outputIds.length][];
    for (int i = 0; i < outputShapes.length; i++) {
      outputShapes[i] = shapes[g.outputIds[i]];
    }
    // Liveness of arena roots: last step that reads any alias; graph outputs live to the end.
    int[] lastUse = new int[nv];
    Arrays.fill(lastUse, -1);
    for (int k = 0; k < nOps; k++) {
      for (int v : g.opInputs.get(k)) {
        if (v >= 0) {
          lastUse[root[v]] = Math.max(lastUse[root[v]], k);
        }
      }
      for (int v : g.opOutputs.get(k)) {
        if (v >= 0) {
          lastUse[root[v]] = Math.max(lastUse[root[v]], k);
        }
      }
    }
    for (int v : g.outputIds) {
      lastUse[root[v]] = Integer.MAX_VALUE;
    }
    boolean[] external = new boolean[nv]; // inputs and constants: not in the arena
    for (int v : g.inputIds) {
      external[v] = true;
    }
    for (int v = 0; v < nv; v++) {
      if (g.constData.get(v) != null) {
        external[v] = true;
      }
    }
    arenaOffset = new int[nv];
    Arrays.fill(arenaOffset, -1);
    TreeMap<Integer, int[]> live = new TreeMap<>(); // offset -> {size, root}
    int top = 0;
    List<Step> bound = new ArrayList<>();
    List<Integer> boundOps = new ArrayList<>();
    List<String> kernels = new ArrayList<>();
    int scratch = 0;
    for (int k = 0; k < nOps; k++) {
      final int step = k;
      live.values().removeIf(b -> lastUse[b[1]] < step);
      Op op = g.ops.get(k);
      int[] outIds = g.opOutputs.get(k);
      for (int v : outIds) {
        if (v < 0 || root[v] != v || external[v]) {
          continue;
        }
        int size =
            roundUp(Math.max(1, blocked[v] ? blockedSize(shapes[v]) : Shapes.size(shapes[v])));
        int off = firstFit(live, size);
        if ((long) off + size > Integer.MAX_VALUE - 8) {
          throw new InvalidInputException(
              g.name
                  + ": intermediates for shapes "
                  + describeInputs()
                  + " need more than 2^31 floats at node "
                  + op.node().describe());
        }
        live.put(off, new int[] {size, v});
        arenaOffset[v] = off;
        top = Math.max(top, off + size);
      }
      if (op.isView() && outIds[0] >= 0) {
        continue;
      }
      int[] in = g.opInputs.get(k);
      int[][] inShapes = new int[in.length][];
      for (int i = 0; i < in.length; i++) {
        inShapes[i] = in[i] < 0 || op.loadTimeInput(i) ? null : shapes[in[i]];
      }
      int[][] outShapes = new int[outIds.length][];
      for (int i = 0; i < outIds.length; i++) {
        outShapes[i] = outIds[i] < 0 ? null : shapes[outIds[i]];
      }
      int[] inIds = in.clone();
      for (int i = 0; i < in.length; i++) {
        if (op.loadTimeInput(i)) {
          inIds[i] = -1;
        }
      }
      Binding b =
          new Binding(inShapes, outShapes, inIds, outIds.clone(), g.gemm, parallel.threads());
      if (runsBlocked[k]) {
        boolean[] inBlocked = new boolean[in.length];
        for (int i = 0; i < in.length; i++) {
          inBlocked[i] = in[i] >= 0 && blocked[in[i]];
        }
        b.runBlocked(blockedKernels, inBlocked, blocked[outIds[0]]);
      }
      bound.add(op.bind(b));
      boundOps.add(k);
      kernels.add(b.kernelName() != null ? b.kernelName() : op.node().opType());
      scratch = Math.max(scratch, b.scratch());
    }
    steps = bound.toArray(new Step[0]);
    stepOp = boundOps.stream().mapToInt(Integer::intValue).toArray();
    stepKernel = kernels.toArray(new String[0]);
    arenaSize = top;
    scratchSize = roundUp(scratch); // whole cache lines: every worker's region stays aligned
    List<Integer> aliases = new ArrayList<>();
    for (int v = 0; v < nv; v++) {
      if (root[v] != v && arenaOffset[root[v]] < 0 && g.constData.get(root[v]) == null) {
        aliases.add(v);
      }
    }
    inputAliases = aliases.stream().mapToInt(Integer::intValue).toArray();
  }

  private int[][] inShapes(CompiledGraph g, int k) {
    int[] in = g.opInputs.get(k);
    int[][] r = new int[in.length][];
    for (int i = 0; i < in.length; i++) {
      r[i] = in[i] < 0 ? null : shapes[in[i]];
    }
    return r;
  }

  private int[][] outShapes(CompiledGraph g, int k) {
    int[] out = g.opOutputs.get(k);
    int[][] r = new int[out.length][];
    for (int i = 0; i < out.length; i++) {
      r[i] = out[i] < 0 ? null : shapes[out[i]];
    }
    return r;
  }

  /** True if op k reads or writes a blocked value. */
  private static boolean touchesBlocked(CompiledGraph g, int k, boolean[] blocked) {
    for (int v : g.opInputs.get(k)) {
      if (v >= 0 && blocked[v]) {
        return true;
      }
    }
    for (int v : g.opOutputs.get(k)) {
      if (v >= 0 && blocked[v]) {
        return true;
      }
    }
    return false;
  }

  /** Floats of a 4-D value in the blocked layout: channels padded to whole blocks. */
  private static int blockedSize(int[] s) {
    return Math.toIntExact((long) s[0] * BlockedKernels.padded(s[1]) * s[2] * s[3]);
  }

  /** Number of values stored in the channel-blocked layout (for tests). */
  int blockedValues() {
    int n = 0;
    for (boolean b : blocked) {
      n += b ? 1 : 0;
    }
    return n;
  }

  private String describeInputs() {
    StringBuilder sb = new StringBuilder("{");
    for (int i = 0; i < graph.inputIds.length; i++) {
      if (i > 0) {
        sb.append(", ");
      }
      sb.append(graph.inputs.get(i).name())
          .append('=')
          .append(Shapes.str(shapes[graph.inputIds[i]]));
    }
    return sb.append('}').toString();
  }

  private static int roundUp(int n) {
    return (int) Math.min(Integer.MAX_VALUE - 8, ((long) n + ALIGN - 1) / ALIGN * ALIGN);
  }

  private static int firstFit(TreeMap<Integer, int[]> live, int size) {
    int pos = 0;
    for (Map.Entry<Integer, int[]> e : live.entrySet()) {
      if (e.getKey() - pos >= size) {
        return pos;
      }
      pos = (int) Math.min(Integer.MAX_VALUE, Math.max(pos, (long) e.getKey() + e.getValue()[0]));
    }
    return pos;
  }

  /** Floats of intermediate storage per in-flight call. */
  int arenaSize() {
    return arenaSize;
  }

  Frame acquire() {
    synchronized (pool) {
      Frame f = pool.poll();
      if (f != null) {
        return f;
      }
    }
    return newFrame();
  }

  void release(Frame f) {
    synchronized (pool) {
      if (pool.size() < 64) {
        pool.push(f);
      }
    }
  }

  private Frame newFrame() {
    int nv = graph.valueCount();
    Frame f = new Frame(nv, scratchSize, parallel, arenaSize);
    for (int v = 0; v < nv; v++) {
      int r = root[v];
      Object c = graph.constData.get(r);
      if (c instanceof float[]) {
        f.buf[v] = (float[]) c;
      } else if (arenaOffset[r] >= 0) {
        f.buf[v] = f.scratch;
        f.off[v] = f.arenaBase + arenaOffset[r];
      }
    }
    return f;
  }

  /** Runs the plan: inputs in graph-input order, outputs copied into {@code outputs}. */
  void run(float[][] inputs, float[][] outputs) {
    run(inputs, outputs, null);
  }

  /**
   * Runs the plan {@code runs} times, timing every step, and returns the per-step medians. The
   * outputs of the last run are left in {@code outputs}.
   */
  Profile profile(float[][] inputs, float[][] outputs, int runs) {
    long[][] nanos = new long[runs][steps.length];
    long[] totals = new long[runs];
    for (int r = 0; r < runs; r++) {
      run(inputs, outputs, nanos[r]);
      for (long t : nanos[r]) {
        totals[r] += t;
      }
    }
    List<Profile.Layer> layers = new ArrayList<>();
    long[] column = new long[runs];
    for (int s = 0; s < steps.length; s++) {
      int k = stepOp[s];
      Op op = graph.ops.get(k);
      for (int r = 0; r < runs; r++) {
        column[r] = nanos[r][s];
      }
      int[] outIds = graph.opOutputs.get(k);
      int[] out = shapes[outIds[0]];
      String type = op.node().opType();
      if (op.fused() != null) {
        type += "+" + op.fused().kind().name().toLowerCase(java.util.Locale.ROOT);
      }
      layers.add(
          new Profile.Layer(
              op.node().name(),
              type,
              stepKernel[s],
              Arrays.stream(out).asLongStream().toArray(),
              Flops.of(op.node().opType(), inShapes(graph, k), out),
              median(column) / 1e6));
    }
    return new Profile(layers, runs, median(totals) / 1e6);
  }

  private static double median(long[] v) {
    long[] s = v.clone();
    Arrays.sort(s);
    int n = s.length;
    return n % 2 == 1 ? s[n / 2] : (s[n / 2 - 1] + s[n / 2]) / 2.0;
  }

  /** Runs the plan; when {@code nanos} is non-null, adds each step's time to it. */
  private void run(float[][] inputs, float[][] outputs, long[] nanos) {
    Frame f = acquire();
    try {
      for (int i = 0; i < inputs.length; i++) {
        f.buf[graph.inputIds[i]] = inputs[i];
      }
      for (int v : inputAliases) {
        f.buf[v] = f.buf[root[v]];
        f.off[v] = f.off[root[v]];
      }
      if (nanos == null) {
        for (Step s : steps) {
          s.run(f);
        }
      } else {
        for (int s = 0; s < steps.length; s++) {
          long t0 = System.nanoTime();
          steps[s].run(f);
          nanos[s] += System.nanoTime() - t0;
        }
      }
      for (int i = 0; i < outputs.length; i++) {
        int v = graph.outputIds[i];
        System.arraycopy(f.buf[v], f.off[v], outputs[i], 0, Shapes.size(outputShapes[i]));
      }
    } finally {
      for (int i = 0; i < inputs.length; i++) {
        f.buf[graph.inputIds[i]] = null;
      }
      for (int v : inputAliases) {
        f.buf[v] = null;
      }
      release(f);
    }
  }
}
