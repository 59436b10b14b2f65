package dev.bnfold.converter;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import dev.bnfold.converter.graph.Graph;
import dev.bnfold.converter.io.AtomicFiles;
import dev.bnfold.converter.passes.FoldOutcome;
import dev.bnfold.converter.passes.FoldRecord;
import dev.bnfold.converter.verify.OutputComparison;
import dev.bnfold.converter.verify.Verification;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * What {@link Converter#convert} produced: the rewritten graph, the explain table (one record per
 * BN of the input), model statistics before and after, and the verification outcome (null when
 * verification was off).
 */
public final class ConversionResult {
  private final Graph graph;
  private final List<FoldRecord> explain;
  private final ConversionStats before;
  private final ConversionStats after;
  private final Verification verification;
  private final long foldNanos;
  private final long verifyNanos;

  ConversionResult(
      Graph graph,
      List<FoldRecord> explain,
      ConversionStats before,
      ConversionStats after,
      Verification verification,
      long foldNanos,
      long verifyNanos) {
    this.graph = graph;
    this.explain = List.copyOf(explain);
    this.before = before;
    this.after = after;
    this.verification = verification;
    this.foldNanos = foldNanos;
    this.verifyNanos = verifyNanos;
  }

  /** Wall time of the first conversion (statistics and passes), in nanoseconds. */
  public long foldNanos() {
    return foldNanos;
  }

  /**
   * Wall time of verification, including the reference runs and any bisection (0 when off), in
   * nanoseconds.
   */
  public long verifyNanos() {
    return verifyNanos;
  }

  /** The converted graph (standard ONNX; write it with OnnxWriter). */
  public Graph graph() {
    return graph;
  }

  /** One record per BN (and per absorbed Mul+Add pair), in graph order. */
  public List<FoldRecord> explain() {
    return explain;
  }

  public ConversionStats before() {
    return before;
  }

  public ConversionStats after() {
    return after;
  }

  /** The verification against ONNX Runtime, or null when it was not requested. */
  public Verification verification() {
    return verification;
  }

  /** The record of the node named {@code node}, or null. */
  public FoldRecord record(String node) {
    return explain.stream().filter(r -> r.node().equals(node)).findFirst().orElse(null);
  }

  /** Number of records with the given outcome. */
  public long count(FoldOutcome outcome) {
    return explain.stream().filter(r -> r.outcome() == outcome).count();
  }

  /** The explain table as aligned text, followed by a summary, for {@code --explain}. */
  public String explainTable() {
    List<String[]> rows = new ArrayList<>();
    rows.add(new String[] {"node", "op", "outcome", "target", "reason"});
    for (FoldRecord r : explain) {
      rows.add(
          new String[] {
            r.node(),
            r.op(),
            outcomeLabel(r.outcome()),
            r.target() == null ? "-" : r.target(),
            r.reason()
          });
    }
    int[] width = new int[4];
    for (String[] row : rows) {
      for (int i = 0; i < 4; i++) {
        width[i] = Math.max(width[i], row[i].length());
      }
    }
    StringBuilder sb = new StringBuilder();
    for (String[] row : rows) {
      for (int i = 0; i < 4; i++) {
        sb.append(row[i]).append(" ".repeat(width[i] - row[i].length() + 2));
      }
      sb.append(row[4]).append('\n');
    }
    sb.append(
        String.format(
            "BN nodes: %d -> %d; nodes: %d -> %d; parameters: %d -> %d; FLOPs: %d -> %d%n",
            before.batchNorms(),
            after.batchNorms(),
            before.nodes(),
            after.nodes(),
            before.parameters(),
            after.parameters(),
            before.flops(),
            after.flops()));
    if (verification != null) {
      sb.append(
          String.format(
              "verification: %s on %d sample(s)%s%n",
              verification.passed() ? "passed" : "FAILED",
              verification.samples(),
              verification.undone().isEmpty()
                  ? ""
                  : ", undone for numerics: " + String.join(", ", verification.undone())));
      for (OutputComparison o : verification.comparison().outputs()) {
        sb.append("  ").append(o.summary()).append('\n');
      }
    }
    return sb.toString();
  }

  /** Lower-case, hyphenated outcome name: {@code folded-into-producer}. */
  public static String outcomeLabel(FoldOutcome o) {
    return o.name().toLowerCase(java.util.Locale.ROOT).replace('_', '-');
  }

  /** The report as a JSON tree of maps and lists. */
  public Map<String, Object> toJsonTree() {
    Map<String, Object> root = new LinkedHashMap<>();
    List<Map<String, Object>> records = new ArrayList<>();
    for (FoldRecord r : explain) {
      Map<String, Object> m = new LinkedHashMap<>();
      m.put("node", r.node());
      m.put("op", r.op());
      m.put("outcome", outcomeLabel(r.outcome()));
      m.put("target", r.target());
      m.put("reason", r.reason());
      records.add(m);
    }
    root.put("explain", records);
    root.put("before", before);
    root.put("after", after);
    if (verification != null) {
      Map<String, Object> v = new LinkedHashMap<>();
      v.put("passed", verification.passed());
      v.put("samples", verification.samples());
      v.put("attempts", verification.attempts());
      v.put("undone", verification.undone());
      v.put("outputs", verification.comparison().outputs());
      root.put("verification", v);
    }
    return root;
  }

  /** The report as pretty-printed JSON, for {@code --report FILE.json}. */
  public String toJson() {
    try {
      return new ObjectMapper()
          .enable(SerializationFeature.INDENT_OUTPUT)
          .writeValueAsString(toJsonTree());
    } catch (JsonProcessingException e) {
      throw new IllegalStateException("cannot serialize the report: " + e.getMessage(), e);
    }
  }

  /** Writes {@link #toJson()} to {@code file} atomically. */
  public void writeJson(Path file) {
    byte[] bytes = (toJson() + "\n").getBytes(StandardCharsets.UTF_8);
    AtomicFiles.write(file, out -> out.write(bytes));
  }
}
