package dev.bnfold.converter.graph;

import java.util.List;
import java.util.stream.Collectors;

/**
 * Name, element type and (possibly partial) shape of a value in the graph.
 *
 * @param name the value name
 * @param type the element type; UNDEFINED when not known
 * @param shape the dimensions, or null when even the rank is unknown
 */
public record ValueInfo(String name, DataType type, List<Dim> shape) {

  public ValueInfo {
    shape = shape == null ? null : List.copyOf(shape);
  }

  /** Whether the rank and every dimension are known. */
  public boolean hasStaticShape() {
    return shape != null && shape.stream().allMatch(Dim::isKnown);
  }

  /** The dimensions as longs (-1 for non-static ones); null when the rank is unknown. */
  public long[] dims() {
    return shape == null ? null : shape.stream().mapToLong(Dim::value).toArray();
  }

  /** Shape in the form {@code [N,3,224,224]}, or {@code ?} when unknown. */
  public String shapeString() {
    if (shape == null) {
      return "?";
    }
    return shape.stream().map(Dim::toString).collect(Collectors.joining(",", "[", "]"));
  }
}
