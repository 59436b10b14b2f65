package dev.bnfold.converter.passes;

import dev.bnfold.converter.graph.DataType;
import dev.bnfold.converter.graph.Dim;
import dev.bnfold.converter.graph.Graph;
import dev.bnfold.converter.graph.Node;
import dev.bnfold.converter.graph.Tensor;
import dev.bnfold.converter.graph.ValueInfo;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Set;

/**
 * Static shape inference for the ops of CNNs, stored in {@link Graph#valueInfo()}. Symbolic
 * dimensions (a dynamic batch {@code N}) are carried through as {@link Dim#symbol}; a dimension
 * that cannot be derived becomes unknown, and an op this pass does not know leaves its outputs
 * without info. Declared shapes of graph inputs and outputs are never overwritten.
 *
 * <p>Ops: Conv, ConvTranspose, MaxPool/AveragePool/LpPool, Global*Pool, Gemm, MatMul, elementwise
 * (broadcast), unary ops and activations, BatchNormalization, Flatten, Reshape, Transpose, Concat,
 * Split, Slice, Pad, Squeeze, Unsqueeze, Reduce*, Softmax, Shape, Gather, Cast, ConstantOfShape,
 * and the internal ChannelAffine.
 */
public final class InferShapes implements Pass {
  private static final Set<String> SAME_SHAPE =
      Set.of(
          "Relu",
          "LeakyRelu",
          "PRelu",
          "Sigmoid",
          "HardSigmoid",
          "HardSwish",
          "Tanh",
          "Clip",
          "Elu",
          "Selu",
          "Celu",
          "Softplus",
          "Softsign",
          "Exp",
          "Log",
          "Sqrt",
          "Neg",
          "Abs",
          "Erf",
          "Gelu",
          "Mish",
          "Softmax",
          "LogSoftmax",
          "Hardmax",
          "Identity",
          "Dropout",
          "BatchNormalization",
          "LRN",
          "InstanceNormalization",
          "LayerNormalization",
          "Floor",
          "Ceil",
          "Reciprocal",
          "Sign",
          "Round",
          "Sin",
          "Cos",
          "ThresholdedRelu",
          "Shrink",
          "Not",
          "IsNaN",
          "IsInf",
          "Swish");
  private static final Set<String> BROADCAST =
      Set.of(
          "Add",
          "Sub",
          "Mul",
          "Div",
          "Pow",
          "Max",
          "Min",
          "Sum",
          "Mean",
          "Mod",
          "And",
          "Or",
          "Xor",
          "Equal",
          "Less",
          "Greater",
          "LessOrEqual",
          "GreaterOrEqual",
          "Where",
          "Expand");
  private static final Set<String> BOOLEAN =
      Set.of(
          "Equal",
          "Less",
          "Greater",
          "LessOrEqual",
          "GreaterOrEqual",
          "And",
          "Or",
          "Xor",
          "Not",
          "IsNaN",
          "IsInf");

  @Override
  public String name() {
    return "infer-shapes";
  }

  @Override
  public boolean run(Graph graph, PassContext context) {
    boolean changed = false;
    ShapeValues values = new ShapeValues();
    for (Node n : graph.nodes()) {
      List<ValueInfo> out;
      try {
        out = infer(graph, n, values);
      } catch (RuntimeException e) {
        out = List.of(); // inconsistent or unusual attributes: leave the shape unknown
      }
      for (ValueInfo v : out) {
        if (v == null || v.name().isEmpty()) {
          continue;
        }
        if (graph.isGraphOutput(v.name())) {
          changed |= completeOutput(graph, v);
          continue;
        }
        ValueInfo old = graph.valueInfo().put(v.name(), v);
        changed |= !v.equals(old);
      }
      values.visit(graph, n);
    }
    return changed;
  }

  /** Gives a graph output declared without a shape the inferred one. */
  private static boolean completeOutput(Graph graph, ValueInfo inferred) {
    List<ValueInfo> outputs = graph.outputs();
    for (int i = 0; i < outputs.size(); i++) {
      ValueInfo declared = outputs.get(i);
      if (declared.name().equals(inferred.name())
          && declared.shape() == null
          && inferred.shape() != null) {
        DataType t = declared.type() == DataType.UNDEFINED ? inferred.type() : declared.type();
        outputs.set(i, new ValueInfo(declared.name(), t, inferred.shape()));
        return true;
      }
    }
    return false;
  }

  /** The inferred infos of {@code n}'s outputs (possibly fewer than it has, or none). */
  static List<ValueInfo> infer(Graph g, Node n, ShapeValues values) {
    if (!n.domain().isEmpty() && !ChannelAffine.is(n)) {
      return List.of();
    }
    String op = ChannelAffine.is(n) ? "Identity" : n.opType();
    ValueInfo x = g.info(n.input(0));
    List<Dim> xs = x == null ? null : x.shape();
    DataType xt = x == null ? DataType.UNDEFINED : x.type();
    String y = n.outputs().isEmpty() ? "" : n.output(0);
    if (SAME_SHAPE.contains(op)) {
      return List.of(new ValueInfo(y, BOOLEAN.contains(op) ? DataType.BOOL : xt, xs));
    }
    if (BROADCAST.contains(op)) {
      List<Dim> s = xs;
      DataType t = xt;
      for (int i = 1; i < n.inputs().size(); i++) {
        ValueInfo v = g.info(n.input(i));
        if (op.equals("Expand") && i == 1) {
          Tensor shape = g.constant(n.input(1));
          s = shape == null ? null : broadcast(s, dims(shape.longs()));
          continue;
        }
        s = v == null ? null : broadcast(s, v.shape());
        if (op.equals("Where") && i == 1 && v != null) {
          t = v.type();
        }
      }
      return List.of(new ValueInfo(y, BOOLEAN.contains(op) ? DataType.BOOL : t, s));
    }
    if (xs == null && !op.equals("Shape") && !op.equals("ConstantOfShape")) {
      return List.of();
    }
    int r = xs == null ? -1 : xs.size();
    switch (op) {
      case "Conv", "ConvTranspose", "MaxPool", "AveragePool", "LpPool" -> {
        return List.of(new ValueInfo(y, xt, window(g, n, xs)));
      }
      case "GlobalAveragePool", "GlobalMaxPool", "GlobalLpPool" -> {
        List<Dim> s = new ArrayList<>(xs.subList(0, 2));
        for (int i = 2; i < r; i++) {
          s.add(Dim.of(1));
        }
        return List.of(new ValueInfo(y, xt, s));
      }
      case "Gemm" -> {
        List<Dim> b = shapeOf(g, n.input(1));
        if (b == null) {
          return List.of();
        }
        Dim m = xs.get(n.attrInt("transA", 0) != 0 ? 1 : 0);
        Dim nn = b.get(n.attrInt("transB", 0) != 0 ? 0 : 1);
        return List.of(new ValueInfo(y, xt, List.of(m, nn)));
      }
      case "MatMul" -> {
        List<Dim> b = shapeOf(g, n.input(1));
        if (b == null || r < 1 || b.isEmpty()) {
          return List.of();
        }
        List<Dim> a = r == 1 ? List.of(Dim.of(1), xs.get(0)) : xs;
        List<Dim> bb = b.size() == 1 ? List.of(b.get(0), Dim.of(1)) : b;
        List<Dim> batch = broadcast(a.subList(0, a.size() - 2), bb.subList(0, bb.size() - 2));
        if (batch == null) {
          return List.of();
        }
        List<Dim> s = new ArrayList<>(batch);
        if (r != 1) {
          s.add(a.get(a.size() - 2));
        }
        if (b.size() != 1) {
          s.add(bb.get(bb.size() - 1));
        }
        return List.of(new ValueInfo(y, xt, s));
      }
      case "Flatten" -> {
        int axis = (int) axis(n.attrInt("axis", 1), r);
        return List.of(
            new ValueInfo(
                y, xt, List.of(product(xs.subList(0, axis)), product(xs.subList(axis, r)))));
      }
      case "Reshape" -> {
        List<Dim> shape = values.get(g, n.input(1));
        if (shape == null) {
          return List.of();
        }
        return List.of(new ValueInfo(y, xt, reshape(xs, shape, n.attrInt("allowzero", 0) != 0)));
      }
      case "Transpose" -> {
        long[] perm = n.attrInts("perm", null);
        List<Dim> s = new ArrayList<>();
        for (int i = 0; i < r; i++) {
          s.add(xs.get(perm == null ? r - 1 - i : (int) perm[i]));
        }
        return List.of(new ValueInfo(y, xt, s));
      }
      case "Concat" -> {
        int axis = (int) axis(n.attrInt("axis", 0), r);
        List<Dim> s = new ArrayList<>(xs);
        long total = 0;
        for (String in : n.inputs()) {
          List<Dim> d = shapeOf(g, in);
          if (d == null || d.size() != r) {
            return List.of();
          }
          total = d.get(axis).isKnown() && total >= 0 ? total + d.get(axis).value() : -1;
          for (int i = 0; i < r; i++) {
            if (i != axis && !s.get(i).isKnown() && d.get(i).isKnown()) {
              s.set(i, d.get(i));
            }
          }
        }
        s.set(axis, total >= 0 ? Dim.of(total) : Dim.unknown());
        return List.of(new ValueInfo(y, xt, s));
      }
      case "Split" -> {
        int axis = (int) axis(n.attrInt("axis", 0), r);
        long[] split = n.attrInts("split", null);
        if (split == null && n.hasInput(1)) {
          Tensor t = g.constant(n.input(1));
          split = t == null ? null : t.longs();
        }
        int k = n.outputs().size();
        List<ValueInfo> out = new ArrayList<>();
        for (int j = 0; j < k; j++) {
          List<Dim> s = new ArrayList<>(xs);
          if (split != null) {
            s.set(axis, Dim.of(split[j]));
          } else if (xs.get(axis).isKnown()) {
            long len = xs.get(axis).value();
            long chunk = (len + k - 1) / k;
            s.set(axis, Dim.of(Math.min(chunk, len - chunk * j)));
          } else {
            s.set(axis, Dim.unknown());
          }
          out.add(new ValueInfo(n.output(j), xt, s));
        }
        return out;
      }
      case "Slice" -> {
        return List.of(new ValueInfo(y, xt, slice(g, n, xs, values)));
      }
      case "Pad" -> {
        long[] pads = n.attrInts("pads", null);
        if (pads == null && n.hasInput(1)) {
          Tensor t = g.constant(n.input(1));
          pads = t == null ? null : t.longs();
        }
        if (pads == null || n.hasInput(3)) {
          return List.of();
        }
        List<Dim> s = new ArrayList<>();
        for (int i = 0; i < r; i++) {
          Dim d = xs.get(i);
          s.add(
              d.isKnown()
                  ? Dim.of(d.value() + pads[i] + pads[i + r])
                  : (pads[i] + pads[i + r] == 0 ? d : Dim.unknown()));
        }
        return List.of(new ValueInfo(y, xt, s));
      }
      case "Squeeze", "Unsqueeze" -> {
        long[] axes = axesOf(g, n);
        if (op.equals("Squeeze")) {
          List<Dim> s = new ArrayList<>();
          for (int i = 0; i < r; i++) {
            boolean drop = axes == null ? xs.get(i).value() == 1 : contains(axes, i, r);
            if (axes == null && !xs.get(i).isKnown()) {
              return List.of();
            }
            if (!drop) {
              s.add(xs.get(i));
            }
          }
          return List.of(new ValueInfo(y, xt, s));
        }
        if (axes == null) {
          return List.of();
        }
        int outRank = r + axes.length;
        List<Dim> s = new ArrayList<>();
        int src = 0;
        for (int i = 0; i < outRank; i++) {
          s.add(contains(axes, i, outRank) ? Dim.of(1) : xs.get(src++));
        }
        return List.of(new ValueInfo(y, xt, s));
      }
      case "ReduceMean",
          "ReduceSum",
          "ReduceMax",
          "ReduceMin",
          "ReduceProd",
          "ReduceL2",
          "ReduceL1",
          "ReduceLogSumExp",
          "ReduceSumSquare",
          "ArgMax",
          "ArgMin" -> {
        long[] axes = axesOf(g, n);
        if (op.startsWith("Arg")) {
          axes = new long[] {n.attrInt("axis", 0)};
        }
        boolean keep = n.attrInt("keepdims", 1) != 0;
        List<Dim> s = new ArrayList<>();
        for (int i = 0; i < r; i++) {
          if (axes == null || axes.length == 0
              ? n.attrInt("noop_with_empty_axes", 0) == 0
              : contains(axes, i, r)) {
            if (keep) {
              s.add(Dim.of(1));
            }
          } else {
            s.add(xs.get(i));
          }
        }
        return List.of(new ValueInfo(y, op.startsWith("Arg") ? DataType.INT64 : xt, s));
      }
      case "Shape" -> {
        if (xs == null) {
          return List.of();
        }
        long start = n.attrInt("start", 0);
        long end = n.attrInt("end", r);
        start = Math.max(0, Math.min(r, start < 0 ? start + r : start));
        end = Math.max(0, Math.min(r, end < 0 ? end + r : end));
        return List.of(new ValueInfo(y, DataType.INT64, List.of(Dim.of(Math.max(0, end - start)))));
      }
      case "Gather" -> {
        ValueInfo idx = g.info(n.input(1));
        if (idx == null || idx.shape() == null) {
          return List.of();
        }
        int axis = (int) axis(n.attrInt("axis", 0), r);
        List<Dim> s = new ArrayList<>(xs.subList(0, axis));
        s.addAll(idx.shape());
        s.addAll(xs.subList(axis + 1, r));
        return List.of(new ValueInfo(y, xt, s));
      }
      case "Resize", "Upsample" -> {
        return List.of(new ValueInfo(y, xt, resize(g, n, xs)));
      }
      case "Tile" -> {
        Tensor reps = g.constant(n.input(1));
        if (reps == null || reps.elementCount() != r) {
          return List.of();
        }
        long[] k = reps.longs();
        List<Dim> s = new ArrayList<>();
        for (int i = 0; i < r; i++) {
          s.add(k[i] == 1 ? xs.get(i) : times(xs.get(i), k[i]));
        }
        return List.of(new ValueInfo(y, xt, s));
      }
      case "Cast" -> {
        DataType to = DataType.fromOnnx((int) n.attrInt("to", 0));
        return List.of(new ValueInfo(y, to == null ? DataType.UNDEFINED : to, xs));
      }
      case "ConstantOfShape" -> {
        Tensor shape = g.constant(n.input(0));
        return shape == null
            ? List.of()
            : List.of(new ValueInfo(y, DataType.FLOAT, dims(shape.longs())));
      }
      default -> {
        return List.of();
      }
    }
  }

  static List<Dim> shapeOf(Graph g, String value) {
    ValueInfo v = g.info(value);
    return v == null ? null : v.shape();
  }

  private static List<Dim> dims(long[] values) {
    List<Dim> s = new ArrayList<>();
    for (long v : values) {
      s.add(Dim.of(v));
    }
    return s;
  }

  private static long axis(long a, int rank) {
    return a < 0 ? a + rank : a;
  }

  private static boolean contains(long[] axes, int i, int rank) {
    for (long a : axes) {
      if (axis(a, rank) == i) {
        return true;
      }
    }
    return false;
  }

  /** The axes of Squeeze/Unsqueeze/Reduce*: the attribute or (opset 13+/18+) a constant input. */
  private static long[] axesOf(Graph g, Node n) {
    long[] axes = n.attrInts("axes", null);
    if (axes == null && n.hasInput(1)) {
      Tensor t = g.constant(n.input(1));
      return t == null ? null : t.longs();
    }
    return axes;
  }

  /** The numpy broadcast of two shapes, or null when a rank is unknown. */
  static List<Dim> broadcast(List<Dim> a, List<Dim> b) {
    if (a == null || b == null) {
      return null;
    }
    int r = Math.max(a.size(), b.size());
    List<Dim> out = new ArrayList<>();
    for (int i = 0; i < r; i++) {
      int ia = i - (r - a.size());
      int ib = i - (r - b.size());
      Dim da = ia < 0 ? Dim.of(1) : a.get(ia);
      Dim db = ib < 0 ? Dim.of(1) : b.get(ib);
      if (da.isKnown() && da.value() == 1) {
        out.add(db);
      } else if (db.isKnown() && db.value() == 1) {
        out.add(da);
      } else if (da.isKnown()) {
        out.add(da);
      } else if (db.isKnown()) {
        out.add(db);
      } else {
        out.add(da.equals(db) ? da : Dim.unknown());
      }
    }
    return out;
  }

  private static Dim product(List<Dim> dims) {
    long p = 1;
    Dim symbolic = null;
    for (Dim d : dims) {
      if (d.isKnown()) {
        p *= d.value();
      } else if (symbolic == null) {
        symbolic = d;
      } else {
        return Dim.unknown();
      }
    }
    if (symbolic != null) {
      return p == 1 ? symbolic : Dim.unknown();
    }
    return Dim.of(p);
  }

  /** Reshape's output: {@code shape} entries may be symbolic (copied as they are). */
  static List<Dim> reshape(List<Dim> in, List<Dim> shape, boolean allowZero) {
    List<Dim> out = new ArrayList<>();
    int inferred = -1;
    for (int i = 0; i < shape.size(); i++) {
      Dim s = shape.get(i);
      if (s.isKnown() && s.value() == 0 && !allowZero) {
        out.add(i < in.size() ? in.get(i) : Dim.unknown());
      } else if (s.equals(ShapeValues.MINUS_ONE)) {
        inferred = i;
        out.add(Dim.unknown());
      } else {
        out.add(s);
      }
    }
    if (inferred >= 0) {
      long knownIn = 1;
      List<Dim> unknownIn = new ArrayList<>();
      for (Dim d : in) {
        if (d.isKnown()) {
          knownIn *= d.value();
        } else {
          unknownIn.add(d);
        }
      }
      // Dims copied by 0 that are symbolic cancel against the same dims of the input.
      List<Dim> unknownOut = new ArrayList<>();
      long knownOutAll = 1;
      for (int i = 0; i < out.size(); i++) {
        if (i == inferred) {
          continue;
        }
        Dim d = out.get(i);
        if (d.isKnown()) {
          knownOutAll *= d.value();
        } else {
          unknownOut.add(d);
        }
      }
      for (Dim d : unknownOut) {
        if (d.symbol() == null || !unknownIn.remove(d)) {
          return out;
        }
      }
      if (knownOutAll == 0 || knownIn % knownOutAll != 0) {
        return out;
      }
      long q = knownIn / knownOutAll;
      if (unknownIn.isEmpty()) {
        out.set(inferred, Dim.of(q));
      } else if (unknownIn.size() == 1 && q == 1) {
        out.set(inferred, unknownIn.get(0));
      }
    }
    return out;
  }

  private static List<Dim> slice(Graph g, Node n, List<Dim> xs, ShapeValues values) {
    int r = xs.size();
    long[] starts;
    long[] ends;
    long[] axes;
    long[] steps = null;
    if (n.hasAttribute("starts")) {
      starts = n.attrInts("starts", null);
      ends = n.attrInts("ends", null);
      axes = n.attrInts("axes", null);
    } else {
      starts = known(values.get(g, n.input(1)));
      ends = known(values.get(g, n.input(2)));
      axes = n.hasInput(3) ? known(values.get(g, n.input(3))) : null;
      steps = n.hasInput(4) ? known(values.get(g, n.input(4))) : null;
      if (starts == null
          || ends == null
          || (n.hasInput(3) && axes == null)
          || (n.hasInput(4) && steps == null)) {
        return null;
      }
    }
    List<Dim> out = new ArrayList<>(xs);
    for (int j = 0; j < starts.length; j++) {
      int ax = (int) (axes == null ? j : axis(axes[j], r));
      long step = steps == null ? 1 : steps[j];
      Dim d = xs.get(ax);
      if (!d.isKnown()) {
        out.set(ax, Dim.unknown());
        continue;
      }
      out.set(ax, Dim.of(sliceLength(d.value(), starts[j], ends[j], step)));
    }
    return out;
  }

  /** The values of a shape value whose elements are all known (-1 allowed), or null. */
  private static long[] known(List<Dim> v) {
    if (v == null) {
      return null;
    }
    long[] out = new long[v.size()];
    for (int i = 0; i < out.length; i++) {
      Dim d = v.get(i);
      if (d.equals(ShapeValues.MINUS_ONE)) {
        out[i] = -1;
      } else if (d.isKnown()) {
        out[i] = d.value();
      } else {
        return null;
      }
    }
    return out;
  }

  /** Number of elements Slice selects from a dimension of length {@code len}. */
  static long sliceLength(long len, long start, long end, long step) {
    if (start < 0) {
      start += len;
    }
    if (end < 0) {
      end += len;
    }
    if (step > 0) {
      start = Math.max(0, Math.min(len, start));
      end = Math.max(0, Math.min(len, end));
      return Math.max(0, (end - start + step - 1) / step);
    }
    start = Math.max(-1, Math.min(len - 1, start));
    end = Math.max(-1, Math.min(len - 1, end));
    return Math.max(0, (start - end + (-step) - 1) / (-step));
  }

  /** Output shape of Conv, ConvTranspose and the windowed pools. */
  private static List<Dim> window(Graph g, Node n, List<Dim> xs) {
    int spatial = xs.size() - 2;
    boolean transpose = n.is("ConvTranspose");
    boolean conv = n.is("Conv") || transpose;
    long[] kernel = n.attrInts("kernel_shape", null);
    Dim channels = xs.get(1);
    if (conv) {
      List<Dim> w = shapeOf(g, n.input(1));
      if (w == null) {
        return null;
      }
      if (kernel == null) {
        kernel = new long[spatial];
        for (int i = 0; i < spatial; i++) {
          kernel[i] = w.get(i + 2).value();
        }
      }
      channels = transpose ? times(w.get(1), n.attrInt("group", 1)) : w.get(0);
    }
    long[] strides = orOnes(n.attrInts("strides", null), spatial);
    long[] dil = orOnes(n.attrInts("dilations", null), spatial);
    long[] pads = n.attrInts("pads", new long[2 * spatial]);
    String autoPad = n.attrString("auto_pad", "NOTSET");
    boolean ceil = n.attrInt("ceil_mode", 0) != 0;
    long[] outPad = n.attrInts("output_padding", new long[spatial]);
    long[] outShape = n.attrInts("output_shape", null);
    List<Dim> out = new ArrayList<>(List.of(xs.get(0), channels));
    for (int i = 0; i < spatial; i++) {
      Dim d = xs.get(i + 2);
      if (transpose && outShape != null) {
        out.add(Dim.of(outShape[outShape.length - spatial + i]));
        continue;
      }
      if (!d.isKnown()) {
        out.add(Dim.unknown());
        continue;
      }
      long in = d.value();
      long k = (kernel[i] - 1) * dil[i] + 1;
      long size;
      if (transpose) {
        size =
            autoPad.startsWith("SAME")
                ? in * strides[i]
                : strides[i] * (in - 1) + outPad[i] + k - pads[i] - pads[i + spatial];
      } else if (autoPad.startsWith("SAME")) {
        size = (in + strides[i] - 1) / strides[i];
      } else if (autoPad.equals("VALID")) {
        size = (in - k) / strides[i] + 1;
      } else {
        long num = in + pads[i] + pads[i + spatial] - k;
        size =
            (ceil
                    ? Math.floorDiv(num + strides[i] - 1, strides[i])
                    : Math.floorDiv(num, strides[i]))
                + 1;
        if (ceil && (size - 1) * strides[i] >= in + pads[i]) {
          size--; // the last window must start inside the input or the left padding
        }
      }
      out.add(Dim.of(size));
    }
    return out;
  }

  /** Resize (sizes, or scales) and Upsample (scales): {@code floor(dim * scale)}. */
  private static List<Dim> resize(Graph g, Node n, List<Dim> xs) {
    int r = xs.size();
    boolean upsample = n.is("Upsample") || g.onnxOpset() < 11;
    Tensor sizes = !upsample && n.hasInput(3) ? g.constant(n.input(3)) : null;
    if (sizes != null && sizes.elementCount() == r) {
      List<Dim> out = new ArrayList<>();
      for (long v : sizes.longs()) {
        out.add(Dim.of(v));
      }
      return out;
    }
    int scalesInput = upsample ? 1 : 2;
    Tensor scales = n.hasInput(scalesInput) ? g.constant(n.input(scalesInput)) : null;
    float[] f =
        scales != null && scales.elementCount() == r
            ? scales.floats()
            : n.attrFloats("scales", null);
    if (f == null || f.length != r) {
      return null;
    }
    List<Dim> out = new ArrayList<>();
    for (int i = 0; i < r; i++) {
      Dim d = xs.get(i);
      out.add(
          f[i] == 1f
              ? d
              : d.isKnown() ? Dim.of((long) Math.floor(d.value() * (double) f[i])) : Dim.unknown());
    }
    return out;
  }

  private static Dim times(Dim d, long f) {
    return d.isKnown() ? Dim.of(d.value() * f) : Dim.unknown();
  }

  private static long[] orOnes(long[] v, int n) {
    if (v != null) {
      return v;
    }
    long[] ones = new long[n];
    Arrays.fill(ones, 1);
    return ones;
  }
}
