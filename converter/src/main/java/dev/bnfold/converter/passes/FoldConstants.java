package dev.bnfold.converter.passes;

import dev.bnfold.converter.graph.DataType;
import dev.bnfold.converter.graph.Graph;
import dev.bnfold.converter.graph.Node;
import dev.bnfold.converter.graph.Tensor;
import dev.bnfold.converter.graph.ValueInfo;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * Evaluates constant subgraphs at conversion time, so that shape arithmetic an exporter emitted
 * (Shape -> Gather -> Unsqueeze -> Concat -> Reshape) becomes a constant and the Reshape's shape is
 * known.
 *
 * <pre>
 * Before:  x[1,512,1,1] -> Shape -> Gather(0) -> Unsqueeze -> Concat(-1) -> Reshape(x, ·)
 * After:   Reshape(x, const [1,-1])
 * </pre>
 *
 * <p>A node is folded when every input is a constant initializer, or, for Shape, when its input's
 * shape is static, or, for Gather of a Shape, when the gathered dimensions are static (so a
 * symbolic batch elsewhere does not block it). Ops: Shape, Gather, Unsqueeze, Squeeze, Concat,
 * Cast, Slice, Add, Sub, Mul, Div, Reshape, Identity, ConstantOfShape; on int32/int64/float/double
 * values of at most 1M elements. The result becomes an initializer under the node's output name.
 */
public final class FoldConstants implements Pass {
  private static final long MAX_ELEMENTS = 1 << 20;

  @Override
  public String name() {
    return "fold-constants";
  }

  @Override
  public boolean run(Graph graph, PassContext context) {
    boolean changed = false;
    ShapeValues values = new ShapeValues();
    for (Node n : new ArrayList<>(graph.nodes())) {
      values.visit(graph, n);
      if (n.is("Reshape") && graph.constant(n.input(1)) == null) {
        changed |= constantTarget(graph, n, values);
      }
      if (!n.domain().isEmpty() || n.outputs().size() != 1 || graph.isGraphOutput(n.output(0))) {
        continue;
      }
      Tensor value;
      try {
        value = evaluate(graph, n);
      } catch (RuntimeException e) {
        value = null; // an input this pass does not handle: leave the node
      }
      if (value != null) {
        graph.nodes().remove(n);
        graph.initializers().put(n.output(0), value);
        graph.valueInfo().remove(n.output(0));
        changed = true;
      }
    }
    return changed;
  }

  /**
   * Gives a Reshape whose target is computed at run time (from Shape of a dynamic-batch value) a
   * constant target, when every element is known or is the input's own dimension at that position
   * (then 0, "copy"): {@code [N,2,58,28,28]} for an input {@code [N,116,28,28]} becomes {@code
   * [0,2,58,28,28]}. The shape arithmetic that computed it is then unused.
   */
  private static boolean constantTarget(Graph g, Node reshape, ShapeValues values) {
    List<dev.bnfold.converter.graph.Dim> target = values.get(g, reshape.input(1));
    ValueInfo in = g.info(reshape.input(0));
    if (target == null
        || in == null
        || in.shape() == null
        || reshape.attrInt("allowzero", 0) != 0) {
      return false;
    }
    long[] shape = new long[target.size()];
    for (int i = 0; i < shape.length; i++) {
      var d = target.get(i);
      if (d.isKnown()) {
        shape[i] = d.value();
      } else if (d.equals(ShapeValues.MINUS_ONE)) {
        shape[i] = -1;
      } else if (d.symbol() != null && i < in.shape().size() && d.equals(in.shape().get(i))) {
        shape[i] = 0;
      } else {
        return false;
      }
    }
    String name =
        g.addConstant(
            reshape.input(1) + "_static", Tensor.ofLongs(new long[] {shape.length}, shape));
    reshape.inputs().set(1, name);
    return true;
  }

  /** The value of {@code n}'s output, or null when it is not a foldable constant. */
  static Tensor evaluate(Graph g, Node n) {
    if (n.is("Shape")) {
      return shape(g, n);
    }
    if (n.is("Gather") && shapeGather(g, n) != null) {
      return shapeGather(g, n);
    }
    List<Tensor> in = new ArrayList<>();
    for (String name : n.inputs()) {
      if (name.isEmpty()) {
        in.add(null);
        continue;
      }
      Tensor t = g.constant(name);
      if (t == null || t.elementCount() > MAX_ELEMENTS || !numeric(t.type())) {
        return null;
      }
      in.add(t);
    }
    if (in.isEmpty()) {
      return null;
    }
    Tensor x = in.get(0);
    return switch (n.opType()) {
      case "Identity" -> x;
      case "Cast" -> cast(x, DataType.fromOnnx((int) n.attrInt("to", 0)));
      case "Unsqueeze", "Squeeze" -> withDims(x, squeezeDims(n, x, in));
      case "Reshape" ->
          withDims(x, reshapeDims(x, in.get(1).longs(), n.attrInt("allowzero", 0) != 0));
      case "Concat" -> concat(in, (int) n.attrInt("axis", 0));
      case "Gather" -> gather(x, in.get(1), (int) n.attrInt("axis", 0));
      case "Slice" -> slice(n, x, in);
      case "Add", "Sub", "Mul", "Div" -> arithmetic(n.opType(), x, in.get(1));
      case "ConstantOfShape" -> constantOfShape(n, x);
      default -> null;
    };
  }

  private static boolean numeric(DataType t) {
    return t == DataType.FLOAT
        || t == DataType.DOUBLE
        || t == DataType.INT64
        || t == DataType.INT32;
  }

  private static boolean isFloat(DataType t) {
    return t == DataType.FLOAT || t == DataType.DOUBLE;
  }

  private static Tensor shape(Graph g, Node n) {
    ValueInfo v = g.info(n.input(0));
    if (v == null || !v.hasStaticShape()) {
      return null;
    }
    long[] d = v.dims();
    int r = d.length;
    long start = n.attrInt("start", 0);
    long end = n.attrInt("end", r);
    start = Math.max(0, Math.min(r, start < 0 ? start + r : start));
    end = Math.max(start, Math.min(r, end < 0 ? end + r : end));
    long[] s = Arrays.copyOfRange(d, (int) start, (int) end);
    return Tensor.ofLongs(new long[] {s.length}, s);
  }

  /** Gather(Shape(x), const indices) when the indexed dims of x are static. */
  private static Tensor shapeGather(Graph g, Node n) {
    Node shape = g.producer(n.input(0));
    Tensor idx = g.constant(n.input(1));
    if (shape == null
        || !shape.is("Shape")
        || idx == null
        || shape.hasAttribute("start")
        || shape.hasAttribute("end")) {
      return null;
    }
    ValueInfo v = g.info(shape.input(0));
    if (v == null || v.shape() == null) {
      return null;
    }
    long[] d = v.dims();
    long[] ix = idx.longs();
    long[] out = new long[ix.length];
    for (int i = 0; i < ix.length; i++) {
      long k = ix[i] < 0 ? ix[i] + d.length : ix[i];
      if (k < 0 || k >= d.length || d[(int) k] < 0) {
        return null;
      }
      out[i] = d[(int) k];
    }
    return Tensor.ofLongs(idx.dims(), out);
  }

  private static Tensor cast(Tensor x, DataType to) {
    if (to == null || !numeric(to)) {
      return null;
    }
    if (isFloat(to)) {
      double[] v =
          isFloat(x.type()) ? x.doubles() : Arrays.stream(x.longs()).asDoubleStream().toArray();
      return make(to, x.dims(), v, null);
    }
    long[] v =
        isFloat(x.type())
            ? Arrays.stream(x.doubles()).mapToLong(d -> (long) d).toArray()
            : x.longs();
    return make(to, x.dims(), null, v);
  }

  private static Tensor make(DataType type, long[] dims, double[] f, long[] l) {
    switch (type) {
      case FLOAT -> {
        float[] v = new float[f.length];
        for (int i = 0; i < v.length; i++) {
          v[i] = (float) f[i];
        }
        return Tensor.ofFloats(dims, v);
      }
      case DOUBLE -> {
        return ChannelAffine.doubles(dims, f);
      }
      case INT64 -> {
        return Tensor.ofLongs(dims, l);
      }
      case INT32 -> {
        int[] v = new int[l.length];
        for (int i = 0; i < v.length; i++) {
          v[i] = (int) l[i];
        }
        return Tensor.ofInts(dims, v);
      }
      default -> throw new IllegalArgumentException(type.onnxName());
    }
  }

  private static Tensor withDims(Tensor x, long[] dims) {
    return dims == null ? null : Tensor.ofRaw(x.type(), dims, x.rawBytes());
  }

  private static long[] squeezeDims(Node n, Tensor x, List<Tensor> in) {
    long[] axes = n.attrInts("axes", null);
    if (axes == null && in.size() > 1 && in.get(1) != null) {
      axes = in.get(1).longs();
    }
    long[] d = x.dims();
    List<Long> out = new ArrayList<>();
    if (n.is("Squeeze")) {
      for (int i = 0; i < d.length; i++) {
        if (!(axes == null ? d[i] == 1 : has(axes, i, d.length))) {
          out.add(d[i]);
        }
      }
    } else {
      if (axes == null) {
        return null;
      }
      int r = d.length + axes.length;
      int src = 0;
      for (int i = 0; i < r; i++) {
        out.add(has(axes, i, r) ? 1L : d[src++]);
      }
    }
    return out.stream().mapToLong(Long::longValue).toArray();
  }

  private static boolean has(long[] axes, int i, int r) {
    for (long a : axes) {
      if ((a < 0 ? a + r : a) == i) {
        return true;
      }
    }
    return false;
  }

  private static long[] reshapeDims(Tensor x, long[] shape, boolean allowZero) {
    long[] out = shape.clone();
    int inferred = -1;
    long known = 1;
    for (int i = 0; i < out.length; i++) {
      if (out[i] == 0 && !allowZero) {
        out[i] = x.dim(i);
      }
      if (out[i] == -1) {
        inferred = i;
      } else {
        known *= out[i];
      }
    }
    if (inferred >= 0) {
      out[inferred] = x.elementCount() / known;
    }
    return Tensor.elementCount(out) == x.elementCount() ? out : null;
  }

  private static Tensor concat(List<Tensor> in, int axis) {
    Tensor first = in.get(0);
    int r = first.rank();
    int ax = axis < 0 ? axis + r : axis;
    long[] dims = first.dims();
    long total = 0;
    for (Tensor t : in) {
      if (t.type() != first.type() || t.rank() != r) {
        return null;
      }
      total += t.dim(ax);
    }
    dims[ax] = total;
    long outer = 1;
    for (int i = 0; i < ax; i++) {
      outer *= dims[i];
    }
    int size = first.type().byteSize();
    byte[] out = new byte[Math.toIntExact(Tensor.elementCount(dims) * size)];
    int pos = 0;
    for (long o = 0; o < outer; o++) {
      for (Tensor t : in) {
        int chunk = (int) (t.elementCount() / Math.max(1, outer)) * size;
        System.arraycopy(t.rawBytes(), (int) (o * chunk), out, pos, chunk);
        pos += chunk;
      }
    }
    return Tensor.ofRaw(first.type(), dims, out);
  }

  private static Tensor gather(Tensor x, Tensor indices, int axis) {
    int r = x.rank();
    int ax = axis < 0 ? axis + r : axis;
    long[] d = x.dims();
    long outer = 1;
    for (int i = 0; i < ax; i++) {
      outer *= d[i];
    }
    long inner = 1;
    for (int i = ax + 1; i < r; i++) {
      inner *= d[i];
    }
    long[] idx = indices.longs();
    int size = x.type().byteSize();
    byte[] src = x.rawBytes();
    byte[] out = new byte[Math.toIntExact(outer * idx.length * inner * size)];
    int pos = 0;
    for (long o = 0; o < outer; o++) {
      for (long i : idx) {
        long k = i < 0 ? i + d[ax] : i;
        if (k < 0 || k >= d[ax]) {
          return null;
        }
        int chunk = (int) (inner * size);
        System.arraycopy(src, (int) (((o * d[ax]) + k) * inner * size), out, pos, chunk);
        pos += chunk;
      }
    }
    List<Long> dims = new ArrayList<>();
    for (int i = 0; i < ax; i++) {
      dims.add(d[i]);
    }
    for (long v : indices.dims()) {
      dims.add(v);
    }
    for (int i = ax + 1; i < r; i++) {
      dims.add(d[i]);
    }
    return Tensor.ofRaw(x.type(), dims.stream().mapToLong(Long::longValue).toArray(), out);
  }

  /** Slice of a 1-D constant (the shape-arithmetic case). */
  private static Tensor slice(Node n, Tensor x, List<Tensor> in) {
    if (x.rank() != 1) {
      return null;
    }
    long start;
    long end;
    long step = 1;
    if (n.hasAttribute("starts")) {
      start = n.attrInts("starts", null)[0];
      end = n.attrInts("ends", null)[0];
    } else {
      start = in.get(1).longs()[0];
      end = in.get(2).longs()[0];
      if (in.size() > 4 && in.get(4) != null) {
        step = in.get(4).longs()[0];
      }
    }
    long len = x.dim(0);
    long count = InferShapes.sliceLength(len, start, end, step);
    long first = start < 0 ? start + len : start;
    first = step > 0 ? Math.max(0, Math.min(len, first)) : Math.max(-1, Math.min(len - 1, first));
    long[] idx = new long[(int) count];
    for (int i = 0; i < count; i++) {
      idx[i] = first + i * step;
    }
    return gather(x, Tensor.ofLongs(new long[] {count}, idx), 0);
  }

  private static Tensor arithmetic(String op, Tensor a, Tensor b) {
    if (a.type() != b.type()) {
      return null;
    }
    long[] dims = broadcastDims(a.dims(), b.dims());
    if (dims == null) {
      return null;
    }
    int count = Math.toIntExact(Tensor.elementCount(dims));
    boolean fl = isFloat(a.type());
    boolean single = a.type() == DataType.FLOAT; // round every result to float, as ORT computes
    double[] fa = fl ? a.doubles() : null;
    double[] fb = fl ? b.doubles() : null;
    long[] la = fl ? null : a.longs();
    long[] lb = fl ? null : b.longs();
    double[] fo = fl ? new double[count] : null;
    long[] lo = fl ? null : new long[count];
    for (int i = 0; i < count; i++) {
      int ia = index(i, dims, a.dims());
      int ib = index(i, dims, b.dims());
      if (fl) {
        double r =
            switch (op) {
              case "Add" -> fa[ia] + fb[ib];
              case "Sub" -> fa[ia] - fb[ib];
              case "Mul" -> fa[ia] * fb[ib];
              default -> fa[ia] / fb[ib];
            };
        // For float inputs the double result of one operation rounds to the float result.
        fo[i] = single ? (float) r : r;
      } else {
        // Integer Div truncates toward zero, like C and ONNX Runtime.
        lo[i] =
            switch (op) {
              case "Add" -> la[ia] + lb[ib];
              case "Sub" -> la[ia] - lb[ib];
              case "Mul" -> la[ia] * lb[ib];
              default -> la[ia] / lb[ib];
            };
      }
    }
    return make(a.type(), dims, fo, lo);
  }

  private static long[] broadcastDims(long[] a, long[] b) {
    int r = Math.max(a.length, b.length);
    long[] out = new long[r];
    for (int i = 0; i < r; i++) {
      long da = i - (r - a.length) < 0 ? 1 : a[i - (r - a.length)];
      long db = i - (r - b.length) < 0 ? 1 : b[i - (r - b.length)];
      if (da != db && da != 1 && db != 1) {
        return null;
      }
      out[i] = da == 1 ? db : da;
    }
    return out;
  }

  /** Flat index into a tensor of shape {@code src} broadcast to {@code dims}. */
  private static int index(int flat, long[] dims, long[] src) {
    int idx = 0;
    int stride = 1;
    for (int i = dims.length - 1, j = src.length - 1; i >= 0; i--, j--) {
      long coord = flat % dims[i];
      flat /= dims[i];
      if (j >= 0) {
        if (src[j] != 1) {
          idx += (int) coord * stride;
        }
        stride *= (int) src[j];
      }
    }
    return idx;
  }

  private static Tensor constantOfShape(Node n, Tensor shape) {
    long[] dims = shape.longs();
    long count = Tensor.elementCount(dims);
    if (count > MAX_ELEMENTS) {
      return null;
    }
    var attr = n.attribute("value");
    if (attr == null) {
      return Tensor.ofFloats(dims, new float[(int) count]);
    }
    return null; // a typed fill value: rare in CNN exports, left to the runtime
  }
}
