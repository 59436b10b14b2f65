package dev.bnfold.converter.passes;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * State shared by the passes of one conversion: which folds are disabled (by BN node name, with the
 * reason) and the explain record of every BN seen so far. A later pass overwrites the record of a
 * node it rewrites again, so that each BN ends with exactly one outcome.
 */
public final class PassContext {
  private final Map<String, String> disabled;
  private final Map<String, FoldRecord> records = new LinkedHashMap<>();

  /** A context with no fold disabled. */
  public PassContext() {
    this(Map.of());
  }

  /**
   * A context in which the BN nodes named in {@code disabled} are left untouched.
   *
   * @param disabled reason by node name, e.g. "numerics: ..." for folds undone by verification
   */
  public PassContext(Map<String, String> disabled) {
    this.disabled = new LinkedHashMap<>(disabled);
  }

  /** Whether folding the node named {@code node} is disabled. */
  public boolean isDisabled(String node) {
    return disabled.containsKey(node);
  }

  /** Why folding {@code node} is disabled, or null. */
  public String disabledReason(String node) {
    return disabled.get(node);
  }

  /** Records (or replaces) the outcome for {@code node}. */
  public void record(FoldRecord r) {
    records.put(r.node(), r);
  }

  /** The record for {@code node}, or null. */
  public FoldRecord recordOf(String node) {
    return records.get(node);
  }

  /** All records in the order the nodes were first seen. */
  public List<FoldRecord> records() {
    return new ArrayList<>(records.values());
  }
}
