package dev.bnfold.cli;

import java.io.PrintWriter;
import java.io.StringWriter;

/** Runs the CLI in-process and captures what it prints. */
record CliRunner(int exitCode, String out, String err) {

  static CliRunner run(String... args) {
    StringWriter out = new StringWriter();
    StringWriter err = new StringWriter();
    int code = Main.run(args, new PrintWriter(out, true), new PrintWriter(err, true));
    return new CliRunner(code, out.toString(), err.toString());
  }

  /** The lines printed on standard error, without blank ones. */
  String[] errLines() {
    return err.lines().filter(l -> !l.isBlank()).toArray(String[]::new);
  }
}
