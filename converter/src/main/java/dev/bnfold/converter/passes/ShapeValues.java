package dev.bnfold.converter.passes;

import dev.bnfold.converter.graph.DataType;
import dev.bnfold.converter.graph.Dim;
import dev.bnfold.converter.graph.Graph;
import dev.bnfold.converter.graph.Node;
import dev.bnfold.converter.graph.Tensor;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * The contents of small int64 shape tensors, where an element may be symbolic: {@code Shape(x)} of
 * an {@code x[N,116,28,28]} is {@code [N,116,28,28]}. Exports with a dynamic batch build Reshape
 * targets from such values (Shape -> Gather -> Unsqueeze -> Concat); tracking them keeps the batch
 * symbol and lets {@link InferShapes} and {@link FoldConstants} resolve those Reshapes.
 *
 * <p>Handled: int constants of rank 0 or 1, Shape, Gather (axis 0, constant indices), Unsqueeze,
 * Squeeze, Identity, Cast to an integer type, Concat (axis 0), Slice (constant, step 1), and
 * elementwise Add/Sub/Mul/Div (unknown where an operand is symbolic, except ×1 and ÷1).
 */
final class ShapeValues {
  private static final int MAX_LENGTH = 16;

  /**
   * The element -1 of a Reshape target ("infer this dim"), which {@link Dim} cannot hold as a size:
   * kept as a reserved symbol.
   */
  static final Dim MINUS_ONE = Dim.symbol("<-1>");

  private final Map<String, List<Dim>> values = new HashMap<>();

  /** Records the content of {@code n}'s output if it is a shape value. Call in graph order. */
  void visit(Graph g, Node n) {
    if (!n.domain().isEmpty() || n.outputs().size() != 1) {
      return;
    }
    List<Dim> v = compute(g, n);
    if (v != null && v.size() <= MAX_LENGTH) {
      values.put(n.output(0), v);
    }
  }

  /** The content of {@code value} (a rank-0 value is a list of one), or null. */
  List<Dim> get(Graph g, String value) {
    Tensor t = g.constant(value);
    if (t != null) {
      if (t.rank() > 1 || t.elementCount() > MAX_LENGTH || !isInt(t.type())) {
        return null;
      }
      List<Dim> out = new ArrayList<>();
      for (long l : t.longs()) {
        out.add(l == -1 ? MINUS_ONE : l < 0 ? Dim.unknown() : Dim.of(l));
      }
      return out;
    }
    return values.get(value);
  }

  private static boolean isInt(DataType t) {
    return t == DataType.INT64 || t == DataType.INT32;
  }

  private List<Dim> compute(Graph g, Node n) {
    switch (n.opType()) {
      case "Shape" -> {
        var info = g.info(n.input(0));
        if (info == null || info.shape() == null) {
          return null;
        }
        int r = info.shape().size();
        long start = n.attrInt("start", 0);
        long end = n.attrInt("end", r);
        start = Math.max(0, Math.min(r, start < 0 ? start + r : start));
        end = Math.max(start, Math.min(r, end < 0 ? end + r : end));
        return new ArrayList<>(info.shape().subList((int) start, (int) end));
      }
      case "Gather" -> {
        List<Dim> data = get(g, n.input(0));
        Tensor idx = g.constant(n.input(1));
        if (data == null || idx == null || n.attrInt("axis", 0) != 0 || idx.rank() > 1) {
          return null;
        }
        List<Dim> out = new ArrayList<>();
        for (long i : idx.longs()) {
          long k = i < 0 ? i + data.size() : i;
          if (k < 0 || k >= data.size()) {
            return null;
          }
          out.add(data.get((int) k));
        }
        return out;
      }
      case "Unsqueeze", "Squeeze", "Identity" -> {
        return get(g, n.input(0));
      }
      case "Cast" -> {
        DataType to = DataType.fromOnnx((int) n.attrInt("to", 0));
        return to != null && isInt(to) ? get(g, n.input(0)) : null;
      }
      case "Concat" -> {
        List<Dim> out = new ArrayList<>();
        for (String in : n.inputs()) {
          List<Dim> part = get(g, in);
          if (part == null) {
            return null;
          }
          out.addAll(part);
        }
        return out;
      }
      case "Slice" -> {
        List<Dim> data = get(g, n.input(0));
        Tensor s = n.hasInput(1) ? g.constant(n.input(1)) : null;
        Tensor e = n.hasInput(2) ? g.constant(n.input(2)) : null;
        if (data == null || s == null || e == null || n.hasInput(4)) {
          return null;
        }
        long len = data.size();
        long start = s.longs()[0];
        long end = e.longs()[0];
        start = Math.max(0, Math.min(len, start < 0 ? start + len : start));
        end = Math.max(start, Math.min(len, end < 0 ? end + len : end));
        return new ArrayList<>(data.subList((int) start, (int) end));
      }
      case "Add", "Sub", "Mul", "Div" -> {
        List<Dim> a = get(g, n.input(0));
        List<Dim> b = get(g, n.input(1));
        if (a == null || b == null || (a.size() != b.size() && a.size() != 1 && b.size() != 1)) {
          return null;
        }
        int len = Math.max(a.size(), b.size());
        List<Dim> out = new ArrayList<>();
        for (int i = 0; i < len; i++) {
          out.add(apply(n.opType(), a.get(a.size() == 1 ? 0 : i), b.get(b.size() == 1 ? 0 : i)));
        }
        return out;
      }
      default -> {
        return null;
      }
    }
  }

  private static Dim apply(String op, Dim a, Dim b) {
    if (a.equals(MINUS_ONE) || b.equals(MINUS_ONE)) {
      return Dim.unknown();
    }
    if (a.isKnown() && b.isKnown()) {
      long x = a.value();
      long y = b.value();
      return switch (op) {
        case "Add" -> Dim.of(x + y);
        case "Sub" -> Dim.of(x - y);
        case "Mul" -> Dim.of(x * y);
        default -> y == 0 ? Dim.unknown() : Dim.of(x / y);
      };
    }
    if ((op.equals("Mul") || op.equals("Div")) && b.isKnown() && b.value() == 1) {
      return a;
    }
    if (op.equals("Mul") && a.isKnown() && a.value() == 1) {
      return b;
    }
    return Dim.unknown();
  }
}
