package dev.bnfold.converter.onnx;

import dev.bnfold.runtime.ModelFormatException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.InvalidPathException;
import java.nio.file.Path;

/** Resolves ONNX external-data locations, refusing any that leave the model's directory. */
final class ExternalData {
  private ExternalData() {}

  /**
   * Resolves {@code location} against {@code modelDir}. The location must be relative, must not
   * climb out with {@code ..}, and after following symbolic links must still name a regular file
   * inside the directory.
   *
   * @throws ModelFormatException naming {@code context} and the location otherwise
   */
  static Path resolveInside(Path modelDir, String location, String context) {
    Path rel;
    try {
      rel = Path.of(location);
    } catch (InvalidPathException e) {
      throw new ModelFormatException(
          context + ": external data location '" + location + "' is not a valid path");
    }
    if (rel.isAbsolute() || location.startsWith("/") || location.startsWith("\\")) {
      throw new ModelFormatException(
          context
              + ": external data location '"
              + location
              + "' is absolute; it must be relative to the model's directory");
    }
    Path dir = modelDir.toAbsolutePath().normalize();
    Path resolved = dir.resolve(rel).normalize();
    if (!resolved.startsWith(dir) || resolved.equals(dir)) {
      throw new ModelFormatException(
          context
              + ": external data location '"
              + location
              + "' points outside the model's directory");
    }
    try {
      Path realDir = dir.toRealPath();
      Path real = resolved.toRealPath();
      if (!real.startsWith(realDir)) {
        throw new ModelFormatException(
            context
                + ": external data location '"
                + location
                + "' is a link to outside the model's directory");
      }
      if (!Files.isRegularFile(real)) {
        throw new ModelFormatException(
            context + ": external data '" + location + "' is not a regular file");
      }
      return real;
    } catch (IOException e) {
      throw new ModelFormatException(context + ": external data file '" + location + "' not found");
    }
  }
}
