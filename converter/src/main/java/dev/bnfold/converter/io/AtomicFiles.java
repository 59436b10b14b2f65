package dev.bnfold.converter.io;

import dev.bnfold.runtime.BnfoldIOException;
import dev.bnfold.runtime.InvalidInputException;
import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Set;

/**
 * Writes files so that readers never see a half-written one: the content goes to a temporary file
 * in the target's directory, which is then moved over the target. If writing fails, the previous
 * file (if any) is left as it was and the temporary file is removed.
 */
public final class AtomicFiles {
  private AtomicFiles() {}

  /** Produces the content of a file. */
  @FunctionalInterface
  public interface Content {
    void writeTo(OutputStream out) throws IOException;
  }

  /**
   * Writes {@code target} atomically.
   *
   * @param forbiddenSame files that must not be overwritten (e.g. the input of a conversion)
   * @throws BnfoldIOException if the directory is not writable or the write fails
   * @throws InvalidInputException if {@code target} is one of {@code forbiddenSame}
   */
  public static void write(Path target, Content content, Path... forbiddenSame) {
    Path abs = target.toAbsolutePath().normalize();
    for (Path f : forbiddenSame) {
      if (isSameFile(abs, f)) {
        throw new InvalidInputException(
            target + ": refusing to overwrite the input file; choose another output path");
      }
    }
    Path dir = abs.getParent();
    if (dir == null || !Files.isDirectory(dir)) {
      throw new BnfoldIOException(target + ": output directory " + dir + " does not exist");
    }
    Path tmp;
    try {
      tmp = Files.createTempFile(dir, "." + abs.getFileName() + ".", ".tmp");
    } catch (IOException e) {
      throw new BnfoldIOException(
          target + ": cannot write to directory " + dir + ": " + reason(e), e);
    }
    try {
      copyPermissions(abs, tmp);
      try (OutputStream out = new BufferedOutputStream(Files.newOutputStream(tmp), 1 << 16)) {
        content.writeTo(out);
      }
      try {
        Files.move(tmp, abs, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
      } catch (AtomicMoveNotSupportedException e) {
        Files.move(tmp, abs, StandardCopyOption.REPLACE_EXISTING);
      }
    } catch (IOException e) {
      throw new BnfoldIOException(target + ": write failed: " + reason(e), e);
    } finally {
      try {
        Files.deleteIfExists(tmp);
      } catch (IOException ignored) {
        // best effort: the temporary file is hidden and named after the target
      }
    }
  }

  /**
   * Temporary files are created owner-only; give the new file the permissions of the one it
   * replaces, or rw-r--r-- for a new file, as a plain write would.
   */
  private static void copyPermissions(Path target, Path tmp) throws IOException {
    if (!tmp.getFileSystem().supportedFileAttributeViews().contains("posix")) {
      return;
    }
    Set<PosixFilePermission> perms =
        Files.exists(target)
            ? Files.getPosixFilePermissions(target)
            : PosixFilePermissions.fromString("rw-r--r--");
    Files.setPosixFilePermissions(tmp, perms);
  }

  private static boolean isSameFile(Path a, Path b) {
    try {
      return Files.exists(a) && Files.exists(b) && Files.isSameFile(a, b);
    } catch (IOException e) {
      return a.equals(b.toAbsolutePath().normalize());
    }
  }

  private static String reason(IOException e) {
    String m = e.getMessage();
    return e.getClass().getSimpleName() + (m == null ? "" : " " + m);
  }
}
