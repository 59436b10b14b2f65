package dev.bnfold.converter.verify;

import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OnnxValue;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import ai.onnxruntime.OrtSession.SessionOptions.OptLevel;
import ai.onnxruntime.TensorInfo;
import dev.bnfold.converter.io.NdArray;
import dev.bnfold.runtime.BnfoldException;
import dev.bnfold.runtime.InvalidInputException;
import java.nio.FloatBuffer;
import java.nio.IntBuffer;
import java.nio.LongBuffer;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Runs an ONNX model in ONNX Runtime: the reference every conversion is checked against. Holds a
 * native session; close it.
 */
public final class OrtRunner implements AutoCloseable {
  private final OrtSession session;

  /**
   * Creates a session for the model bytes.
   *
   * @param optimize false for the reference run (no graph optimizations, so ONNX Runtime does not
   *     fold BN itself); true for all optimizations, as a user would deploy it
   * @param threads intra-op threads (0 = ONNX Runtime's default)
   */
  public OrtRunner(byte[] model, boolean optimize, int threads) {
    this(model, optimize, threads, null);
  }

  /**
   * {@link #OrtRunner(byte[], boolean, int)} with ONNX Runtime's own profiler on: every run's node
   * timings go to a JSON file whose name starts with {@code profilePrefix} (may be null for no
   * profiling); {@link #endProfiling} closes it and returns its path.
   */
  public OrtRunner(byte[] model, boolean optimize, int threads, java.nio.file.Path profilePrefix) {
    try (OrtSession.SessionOptions options = new OrtSession.SessionOptions()) {
      options.setOptimizationLevel(optimize ? OptLevel.ALL_OPT : OptLevel.NO_OPT);
      if (profilePrefix != null) {
        options.enableProfiling(profilePrefix.toString());
      }
      if (threads > 0) {
        options.setIntraOpNumThreads(threads);
        options.setInterOpNumThreads(1);
      }
      session = OrtEnvironment.getEnvironment().createSession(model, options);
    } catch (OrtException e) {
      throw new BnfoldException(
          BnfoldException.ErrorCode.UNSUPPORTED,
          "ONNX Runtime cannot load the model: " + e.getMessage(),
          e);
    }
  }

  /** Ends profiling (see the profiling constructor) and returns the file it was written to. */
  public java.nio.file.Path endProfiling() {
    try {
      return java.nio.file.Path.of(session.endProfiling());
    } catch (OrtException e) {
      throw new BnfoldException(BnfoldException.ErrorCode.INTERNAL, e.getMessage(), e);
    }
  }

  /** Input names in model order. */
  public java.util.Set<String> inputNames() {
    return session.getInputNames();
  }

  /** Output names in model order. */
  public java.util.Set<String> outputNames() {
    return session.getOutputNames();
  }

  /** Declared input shapes (-1 for dynamic dimensions), by name. */
  public Map<String, long[]> inputShapes() {
    try {
      Map<String, long[]> out = new LinkedHashMap<>();
      session.getInputInfo().forEach((k, v) -> out.put(k, ((TensorInfo) v.getInfo()).getShape()));
      return out;
    } catch (OrtException e) {
      throw new BnfoldException(BnfoldException.ErrorCode.INTERNAL, e.getMessage(), e);
    }
  }

  /** Runs the model on {@code inputs} and returns every output, by name, in model order. */
  public Map<String, NdArray> run(Map<String, NdArray> inputs) {
    OrtEnvironment env = OrtEnvironment.getEnvironment();
    Map<String, OnnxTensor> feeds = new HashMap<>();
    try {
      for (Map.Entry<String, NdArray> e : inputs.entrySet()) {
        feeds.put(e.getKey(), toOrt(env, e.getValue()));
      }
      try (OrtSession.Result result = session.run(feeds)) {
        Map<String, NdArray> out = new LinkedHashMap<>();
        for (Map.Entry<String, OnnxValue> e : result) {
          out.put(e.getKey(), fromOrt(e.getKey(), (OnnxTensor) e.getValue()));
        }
        return out;
      }
    } catch (OrtException e) {
      throw new InvalidInputException("ONNX Runtime failed to run the model: " + e.getMessage(), e);
    } finally {
      feeds.values().forEach(OnnxTensor::close);
    }
  }

  /**
   * Inputs converted to ONNX Runtime tensors once, for timing: {@link #run(Map)} copies each input
   * into a new native buffer per call, which in a long benchmark ran ONNX Runtime 1.6x slower
   * (mobilenet_v3_small 2.0 -> 3.3 ms after about 8 s: freeing the buffers waits for the garbage
   * collector). Close it.
   */
  public Feed feed(Map<String, NdArray> inputs) {
    OrtEnvironment env = OrtEnvironment.getEnvironment();
    Map<String, OnnxTensor> tensors = new HashMap<>();
    try {
      for (Map.Entry<String, NdArray> e : inputs.entrySet()) {
        tensors.put(e.getKey(), toOrt(env, e.getValue()));
      }
    } catch (OrtException e) {
      tensors.values().forEach(OnnxTensor::close);
      throw new InvalidInputException("ONNX Runtime rejected an input: " + e.getMessage(), e);
    }
    return new Feed(tensors);
  }

  /** Prepared inputs (see {@link #feed}). */
  public static final class Feed implements AutoCloseable {
    private final Map<String, OnnxTensor> tensors;

    private Feed(Map<String, OnnxTensor> tensors) {
      this.tensors = tensors;
    }

    @Override
    public void close() {
      tensors.values().forEach(OnnxTensor::close);
    }
  }

  /**
   * Runs the model on a prepared feed and copies its first output into {@code out} (as many floats
   * as both hold); returns out. The timing counterpart of {@code PreparedRun.run}.
   */
  public float[] run(Feed feed, float[] out) {
    try (OrtSession.Result result = session.run(feed.tensors)) {
      FloatBuffer b = ((OnnxTensor) result.get(0)).getFloatBuffer();
      b.get(out, 0, Math.min(out.length, b.remaining()));
      return out;
    } catch (OrtException e) {
      throw new InvalidInputException("ONNX Runtime failed to run the model: " + e.getMessage(), e);
    }
  }

  private static OnnxTensor toOrt(OrtEnvironment env, NdArray a) throws OrtException {
    return switch (a.type()) {
      case FLOAT -> OnnxTensor.createTensor(env, FloatBuffer.wrap(a.floats()), a.shape());
      case INT64 -> OnnxTensor.createTensor(env, LongBuffer.wrap(a.longs()), a.shape());
      case INT32 -> OnnxTensor.createTensor(env, IntBuffer.wrap((int[]) a.data()), a.shape());
      default -> throw new IllegalArgumentException("unsupported input type " + a.type());
    };
  }

  private static NdArray fromOrt(String name, OnnxTensor t) {
    long[] shape = t.getInfo().getShape();
    return switch (t.getInfo().type) {
      case FLOAT -> {
        FloatBuffer b = t.getFloatBuffer();
        float[] f = new float[b.remaining()];
        b.get(f);
        yield NdArray.ofFloats(shape, f);
      }
      case INT64 -> {
        LongBuffer b = t.getLongBuffer();
        long[] l = new long[b.remaining()];
        b.get(l);
        yield NdArray.ofLongs(shape, l);
      }
      case INT32 -> {
        IntBuffer b = t.getIntBuffer();
        int[] i = new int[b.remaining()];
        b.get(i);
        yield NdArray.ofInts(shape, i);
      }
      default ->
          throw new BnfoldException(
              BnfoldException.ErrorCode.UNSUPPORTED,
              "output '"
                  + name
                  + "' has type "
                  + t.getInfo().type
                  + ", which bnfold cannot compare");
    };
  }

  @Override
  public void close() {
    try {
      session.close();
    } catch (OrtException e) {
      throw new BnfoldException(BnfoldException.ErrorCode.INTERNAL, e.getMessage(), e);
    }
  }
}
