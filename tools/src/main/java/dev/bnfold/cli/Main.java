package dev.bnfold.cli;

import dev.bnfold.runtime.BnfoldException;
import java.io.PrintWriter;
import java.util.Arrays;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * Entry point of the {@code bnfold} command line. Exit codes: 0 success, 1 verification failed, 2
 * bad input or model (including I/O problems with the files named), 3 internal error.
 */
@Command(
    name = "bnfold",
    mixinStandardHelpOptions = true,
    versionProvider = Main.Version.class,
    description = "Fold BatchNormalization into neighbouring layers and run models in pure Java.",
    subcommands = {
      DemoCommand.class,
      InspectCommand.class,
      ConvertCommand.class,
      VerifyCommand.class,
      RunCommand.class,
      BenchCommand.class,
      CommandLine.HelpCommand.class
    })
public final class Main {
  /** Verification failed: outputs differ beyond the tolerance. */
  public static final int EXIT_VERIFY_FAILED = 1;

  /** Bad input, model or file. */
  public static final int EXIT_BAD_INPUT = 2;

  /** A bug in bnfold. */
  public static final int EXIT_INTERNAL = 3;

  @Option(
      names = "--verbose",
      scope = CommandLine.ScopeType.INHERIT,
      description = "Print stack traces for errors.")
  boolean verbose;

  public static void main(String[] args) {
    System.exit(run(args, new PrintWriter(System.out, true), new PrintWriter(System.err, true)));
  }

  /** Runs the CLI with the given streams and returns the exit code (used by tests). */
  public static int run(String[] args, PrintWriter out, PrintWriter err) {
    Main main = new Main();
    CommandLine cli = new CommandLine(main);
    cli.setOut(out);
    cli.setErr(err);
    cli.setExecutionExceptionHandler(
        (e, commandLine, parseResult) -> {
          boolean verbose = parseResult.originalArgs().contains("--verbose");
          int code = exitCode(e);
          String message = e.getMessage() == null ? e.toString() : e.getMessage();
          err.println("bnfold: " + (code == EXIT_INTERNAL ? "internal error: " + e : message));
          if (verbose) {
            e.printStackTrace(err);
          } else if (code == EXIT_INTERNAL) {
            err.println("(run again with --verbose for the stack trace)");
          }
          err.flush();
          return code;
        });
    cli.setParameterExceptionHandler(
        (e, args2) -> {
          err.println("bnfold: " + e.getMessage());
          err.println("Try 'bnfold " + e.getCommandLine().getCommandName() + " --help'.");
          err.flush();
          return EXIT_BAD_INPUT;
        });
    try {
      return cli.execute(args);
    } catch (OutOfMemoryError e) {
      // picocli passes Errors through; without this the JVM would print a stack trace and exit
      // with 1, which means "verification failed".
      long maxMiB = Runtime.getRuntime().maxMemory() >> 20;
      err.println(
          "bnfold: out of memory (Java heap limit "
              + maxMiB
              + " MiB): the model or inputs are too large for this JVM; give it more with"
              + " BNFOLD_JAVA_OPTS=-Xmx<size>");
      if (Arrays.asList(args).contains("--verbose")) {
        e.printStackTrace(err);
      }
      err.flush();
      return EXIT_BAD_INPUT;
    } catch (Error e) {
      err.println("bnfold: internal error: " + e);
      if (Arrays.asList(args).contains("--verbose")) {
        e.printStackTrace(err);
      } else {
        err.println("(run again with --verbose for the stack trace)");
      }
      err.flush();
      return EXIT_INTERNAL;
    }
  }

  static int exitCode(Throwable e) {
    if (e instanceof BnfoldException b) {
      return b.code() == BnfoldException.ErrorCode.INTERNAL ? EXIT_INTERNAL : EXIT_BAD_INPUT;
    }
    return EXIT_INTERNAL;
  }

  /** Reports the version from the jar manifest. */
  static final class Version implements CommandLine.IVersionProvider {
    @Override
    public String[] getVersion() {
      String v = Main.class.getPackage().getImplementationVersion();
      return new String[] {"bnfold " + (v == null ? "(development build)" : v)};
    }
  }
}
