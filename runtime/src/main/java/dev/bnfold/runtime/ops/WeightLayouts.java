package dev.bnfold.runtime.ops;

import dev.bnfold.runtime.DType;
import dev.bnfold.runtime.ValueInfo;
import dev.bnfold.runtime.format.Attribute;
import dev.bnfold.runtime.format.ConstantDef;
import dev.bnfold.runtime.format.ModelFile;
import dev.bnfold.runtime.format.NodeDef;
import dev.bnfold.runtime.kernels.GemmMicroKernel;
import dev.bnfold.runtime.kernels.PanelLayout;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;

/**
 * The panel layouts a model file should store its weights in so that the runtime loads them with
 * one bulk copy and no repacking: the weights of Conv, Gemm and MatMul nodes in the layout their
 * packed paths read with a given micro-kernel (the ops' own {@code weightLayout}, so the writer and
 * the ops cannot disagree). A constant gets a layout only when every use of it wants that same
 * layout: a constant also read by another node input, or that is a graph output, stays row-major. A
 * runtime whose kernel has other panel widths repacks at load, so any choice here runs everywhere.
 */
public final class WeightLayouts {
  private WeightLayouts() {}

  /**
   * The layout to store each constant in, by constant name; constants not in the map stay
   * row-major. Never throws for a malformed node: such weights simply stay row-major.
   */
  public static Map<String, PanelLayout> choose(ModelFile model, GemmMicroKernel gemm) {
    Map<String, ConstantDef> floats = new HashMap<>();
    for (ConstantDef c : model.constants()) {
      if (c.dtype() == DType.FLOAT32) {
        floats.put(c.name(), c);
      }
    }
    Map<String, PanelLayout> chosen = new LinkedHashMap<>();
    Set<String> rowMajor = new HashSet<>();
    for (NodeDef n : model.nodes()) {
      for (int i = 0; i < n.inputs().size(); i++) {
        ConstantDef c = floats.get(n.inputs().get(i));
        if (c == null) {
          continue;
        }
        PanelLayout want = i == 1 ? wanted(n, c.shape(), gemm) : null;
        PanelLayout had = chosen.putIfAbsent(c.name(), want);
        if (want == null || (had != null && !had.equals(want))) {
          rowMajor.add(c.name());
        }
      }
    }
    for (ValueInfo v : model.outputs()) {
      rowMajor.add(v.name());
    }
    chosen.keySet().removeAll(rowMajor);
    return chosen;
  }

  /** The layout node {@code n} reads its weights (input 1) of {@code shape} in, or null. */
  private static PanelLayout wanted(NodeDef n, long[] shape, GemmMicroKernel gemm) {
    int[] s = new int[shape.length];
    for (int d = 0; d < s.length; d++) {
      if (shape[d] > Integer.MAX_VALUE) {
        return null;
      }
      s[d] = (int) shape[d];
    }
    PanelLayout layout = null;
    if (n.opType().equals("Conv") && s.length >= 3 && s.length <= 5) {
      long group = intAttribute(n, "group", 1);
      if (group >= 1 && group <= Integer.MAX_VALUE && s[0] % group == 0) {
        layout = ConvOp.weightLayout(s, group, gemm);
      }
    } else if (n.opType().equals("Gemm") && s.length == 2) {
      layout = GemmOp.weightLayout(intAttribute(n, "transB", 0) != 0, gemm);
    } else if (n.opType().equals("MatMul") && s.length == 2) {
      layout = MatMulOp.weightLayout(gemm);
    }
    return layout == null || layout.misfit(shape) != null ? null : layout;
  }

  private static long intAttribute(NodeDef n, String name, long dflt) {
    Attribute a = n.attributes().get(name);
    return a == null ? dflt : a.type() == Attribute.Type.INT ? a.intValue() : -1;
  }
}
