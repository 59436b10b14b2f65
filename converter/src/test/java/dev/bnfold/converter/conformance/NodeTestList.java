package dev.bnfold.converter.conformance;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The allowlist file {@code onnx-node-tests.txt} (a test resource). In the {@code [run]} section,
 * one entry a line: a test name, optionally followed by {@code const=<input>,<input>} naming float
 * graph inputs to freeze into initializers from the test's data (a test may be listed once per
 * distinct set). In the {@code [excluded]} section, {@code name: reason} lines. {@code #} starts a
 * comment line. A malformed file is an error that names the line.
 *
 * @param run the entries that must pass, in file order
 * @param excluded the tests left out, each with its reason
 */
record NodeTestList(List<Entry> run, Map<String, String> excluded) {
  static final String RESOURCE = "/onnx-node-tests.txt";

  /**
   * One allowlisted run.
   *
   * @param test the test directory name
   * @param constants float inputs frozen into initializers (int64 inputs always are)
   */
  record Entry(String test, Set<String> constants) {
    @Override
    public String toString() {
      return constants.isEmpty() ? test : test + " const=" + String.join(",", constants);
    }
  }

  /** The names of the allowlisted tests. */
  Set<String> runNames() {
    Set<String> names = new LinkedHashSet<>();
    run.forEach(e -> names.add(e.test()));
    return names;
  }

  static NodeTestList load() {
    InputStream in = NodeTestList.class.getResourceAsStream(RESOURCE);
    if (in == null) {
      throw new IllegalStateException("test resource " + RESOURCE + " is missing");
    }
    List<Entry> run = new ArrayList<>();
    Set<String> seen = new HashSet<>();
    Map<String, String> excluded = new LinkedHashMap<>();
    try (BufferedReader r = new BufferedReader(new InputStreamReader(in, StandardCharsets.UTF_8))) {
      String section = null;
      String line;
      for (int no = 1; (line = r.readLine()) != null; no++) {
        String s = line.strip();
        if (s.isEmpty() || s.startsWith("#")) {
          continue;
        }
        String where = RESOURCE + ":" + no + ": ";
        if (s.equals("[run]") || s.equals("[excluded]")) {
          section = s;
          continue;
        }
        if (section == null) {
          throw new IllegalStateException(where + "entry before a [run] or [excluded] section");
        }
        if (section.equals("[run]")) {
          if (!s.matches("test_\\w+(\\s+const=\\w+(,\\w+)*)?")) {
            throw new IllegalStateException(
                where + "expected 'test_name' or 'test_name const=a,b', found '" + s + "'");
          }
          String[] parts = s.split("\\s+");
          Set<String> constants =
              parts.length == 1
                  ? Set.of()
                  : Collections.unmodifiableSet(
                      new LinkedHashSet<>(List.of(parts[1].substring(6).split(","))));
          Entry e = new Entry(parts[0], constants);
          if (!seen.add(e.toString())) {
            throw new IllegalStateException(where + e + " is listed twice");
          }
          run.add(e);
        } else {
          int colon = s.indexOf(':');
          String name = colon < 0 ? s : s.substring(0, colon).strip();
          String reason = colon < 0 ? "" : s.substring(colon + 1).strip();
          if (!name.matches("test_\\w+") || reason.isEmpty()) {
            throw new IllegalStateException(
                where + "expected 'test_name: reason', found '" + s + "'");
          }
          if (excluded.put(name, reason) != null) {
            throw new IllegalStateException(where + name + " is listed twice");
          }
        }
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return new NodeTestList(
        Collections.unmodifiableList(run), Collections.unmodifiableMap(excluded));
  }
}
