package dev.bnfold.converter.export;

import dev.bnfold.converter.Converter;
import dev.bnfold.converter.graph.DataType;
import dev.bnfold.converter.graph.Graph;
import dev.bnfold.converter.io.NdArray;
import dev.bnfold.converter.onnx.OnnxReader;
import dev.bnfold.runtime.BnfoldIOException;
import dev.bnfold.runtime.DType;
import dev.bnfold.runtime.InvalidInputException;
import dev.bnfold.runtime.Model;
import dev.bnfold.runtime.Options;
import dev.bnfold.runtime.Tensor;
import dev.bnfold.runtime.format.ModelReader;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Opens a model for the Java runtime from either kind of file the CLI accepts: the runtime format
 * (detected by its magic bytes, whatever the file is called) or ONNX, which is converted in memory
 * first. Also converts between the CLI's {@link NdArray} and the runtime's {@link Tensor}.
 */
public final class RuntimeModels {
  private RuntimeModels() {}

  /** Whether {@code file} starts with the runtime format's magic bytes. */
  public static boolean isRuntimeFormat(Path file) {
    byte[] head = new byte[16];
    try (InputStream in = Files.newInputStream(file)) {
      int n = in.readNBytes(head, 0, head.length);
      return ModelReader.hasMagic(java.util.Arrays.copyOf(head, n));
    } catch (NoSuchFileException e) {
      throw new BnfoldIOException(file + ": no such file");
    } catch (IOException e) {
      throw new BnfoldIOException(file + ": cannot read: " + e.getMessage(), e);
    }
  }

  /**
   * Loads {@code file} into the runtime: directly if it is in the runtime format, otherwise as an
   * ONNX model converted in memory (folding without verification).
   */
  public static Model open(Path file, Options options) {
    if (isRuntimeFormat(file)) {
      return Model.load(file, options);
    }
    Graph graph = OnnxReader.load(file);
    Graph converted =
        Converter.convert(graph, Converter.Options.defaults().withVerify(false)).graph();
    return fromGraph(converted, file.toString(), options);
  }

  /** Loads a converted graph into the runtime. */
  public static Model fromGraph(Graph converted, String name, Options options) {
    return Model.fromFile(RuntimeExporter.toModel(converted), name, options);
  }

  /** Runs {@code model} on arrays and returns its outputs as arrays, by name. */
  public static Map<String, NdArray> run(Model model, Map<String, NdArray> inputs) {
    Map<String, Tensor> in = new LinkedHashMap<>();
    inputs.forEach((k, v) -> in.put(k, toTensor(k, v)));
    Map<String, NdArray> out = new LinkedHashMap<>();
    model.run(in).forEach((k, v) -> out.put(k, fromTensor(v)));
    return out;
  }

  /** The runtime tensor holding {@code a} (float32 as is, integers as int64). */
  public static Tensor toTensor(String name, NdArray a) {
    return switch (a.type()) {
      case FLOAT -> Tensor.of(a.floats(), a.shape());
      case INT64, INT32 -> Tensor.ofLongs(a.longs(), a.shape());
      default ->
          throw new InvalidInputException("input '" + name + "' has unsupported type " + a.type());
    };
  }

  /** The array holding {@code t}. */
  public static NdArray fromTensor(Tensor t) {
    return t.dtype() == DType.FLOAT32
        ? new NdArray(DataType.FLOAT, t.shape(), t.floatData())
        : new NdArray(DataType.INT64, t.shape(), t.longData());
  }
}
