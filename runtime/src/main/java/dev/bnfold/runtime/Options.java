package dev.bnfold.runtime;

/**
 * Load options: threads, kernel choice, resource caps and checks. Immutable; build with {@link
 * #builder()}, or use {@link #defaults()}.
 *
 * <pre>{@code
 * Options o = Options.builder().threads(4).checkNaN(true).build();
 * }</pre>
 */
public final class Options {
  private static final Options DEFAULTS = builder().build();

  private final int threads;
  private final boolean scalarOnly;
  private final long maxTensorElements;
  private final long maxWeightBytes;
  private final int maxNodes;
  private final boolean checkNaN;
  private final int maxCachedPlans;

  private Options(Builder b) {
    this.threads = b.threads;
    this.scalarOnly = b.scalarOnly;
    this.maxTensorElements = b.maxTensorElements;
    this.maxWeightBytes = b.maxWeightBytes;
    this.maxNodes = b.maxNodes;
    this.checkNaN = b.checkNaN;
    this.maxCachedPlans = b.maxCachedPlans;
  }

  /** Default options: 1 thread, fastest kernels, caps of 2^28 elements, 2 GiB, 100 000 nodes. */
  public static Options defaults() {
    return DEFAULTS;
  }

  /** A builder starting from the defaults. */
  public static Builder builder() {
    return new Builder();
  }

  /** Intra-op threads (1 = run on the calling thread only). */
  public int threads() {
    return threads;
  }

  /** True if only the plain-Java kernels are used, even when the Vector API is available. */
  public boolean scalarOnly() {
    return scalarOnly;
  }

  /** Largest number of elements allowed in any tensor (constants and intermediates). */
  public long maxTensorElements() {
    return maxTensorElements;
  }

  /** Largest total size of the constants in bytes. */
  public long maxWeightBytes() {
    return maxWeightBytes;
  }

  /** Largest number of nodes. */
  public int maxNodes() {
    return maxNodes;
  }

  /** True if inputs and outputs are checked for NaN and infinity on every run. */
  public boolean checkNaN() {
    return checkNaN;
  }

  /** How many per-input-shape execution plans are kept before the cache is cleared. */
  public int maxCachedPlans() {
    return maxCachedPlans;
  }

  /** Builder for {@link Options}. */
  public static final class Builder {
    private int threads = 1;
    private boolean scalarOnly = Boolean.getBoolean("bnfold.scalar");
    private long maxTensorElements = 1L << 28;
    private long maxWeightBytes = Integer.MAX_VALUE;
    private int maxNodes = 100_000;
    private boolean checkNaN;
    private int maxCachedPlans = 16;

    private Builder() {}

    /** Intra-op threads, 1 to 256; the model owns a fixed pool when above 1. */
    public Builder threads(int threads) {
      if (threads < 1 || threads > 256) {
        throw new InvalidInputException("threads must be in [1, 256], got " + threads);
      }
      this.threads = threads;
      return this;
    }

    /** Use only the plain-Java kernels (also set by the system property bnfold.scalar=true). */
    public Builder scalarOnly(boolean scalarOnly) {
      this.scalarOnly = scalarOnly;
      return this;
    }

    /** Cap on elements in any one tensor, at most 2^31 - 9. */
    public Builder maxTensorElements(long n) {
      if (n < 1) {
        throw new InvalidInputException("maxTensorElements must be positive, got " + n);
      }
      this.maxTensorElements = Math.min(n, Integer.MAX_VALUE - 8);
      return this;
    }

    /** Cap on the total bytes of constants. */
    public Builder maxWeightBytes(long n) {
      if (n < 0) {
        throw new InvalidInputException("maxWeightBytes must be >= 0, got " + n);
      }
      this.maxWeightBytes = n;
      return this;
    }

    /** Cap on the number of nodes. */
    public Builder maxNodes(int n) {
      if (n < 0) {
        throw new InvalidInputException("maxNodes must be >= 0, got " + n);
      }
      this.maxNodes = n;
      return this;
    }

    /** Check inputs and outputs for NaN and infinity on every run. */
    public Builder checkNaN(boolean check) {
      this.checkNaN = check;
      return this;
    }

    /** Number of per-shape plans cached, at least 1. */
    public Builder maxCachedPlans(int n) {
      if (n < 1) {
        throw new InvalidInputException("maxCachedPlans must be >= 1, got " + n);
      }
      this.maxCachedPlans = n;
      return this;
    }

    /** The options. */
    public Options build() {
      return new Options(this);
    }
  }
}
