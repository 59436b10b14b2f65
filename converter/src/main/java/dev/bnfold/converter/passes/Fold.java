package dev.bnfold.converter.passes;

import dev.bnfold.converter.graph.Graph;
import java.util.function.Consumer;

/**
 * The result of matching and checking one fold: either the reason it does not apply, or a patch
 * whose tensors are all computed already, so that applying it cannot fail half-way.
 *
 * @param target the node folded into (for the explain table), or null
 * @param reason why the fold does not apply, or null when it does
 * @param patch the graph edit; null when the fold does not apply
 * @param detail how the fold was done, for the explain table
 */
record Fold(String target, String reason, Consumer<Graph> patch, String detail) {

  static Fold no(String reason) {
    return new Fold(null, reason, null, null);
  }

  static Fold of(String target, String detail, Consumer<Graph> patch) {
    return new Fold(target, null, patch, detail);
  }

  boolean applies() {
    return patch != null;
  }

  /** A base for the names of new values derived from {@code n}: its name, or its first output. */
  static String base(dev.bnfold.converter.graph.Node n) {
    return n.name().isEmpty() ? n.output(0) : n.name();
  }

  /** Name of a node for the explain table: its name, or its description when unnamed. */
  static String label(dev.bnfold.converter.graph.Node n) {
    return n.name().isEmpty() ? n.describe() : n.name();
  }
}
