package dev.bnfold.converter.io;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.bnfold.converter.graph.DataType;
import dev.bnfold.converter.testing.SampleModels;
import dev.bnfold.runtime.InvalidInputException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class NpyTest {
  @TempDir Path dir;

  @Test
  void roundTripsEverySupportedType() {
    NdArray[] arrays = {
      NdArray.ofFloats(new long[] {2, 3}, new float[] {1, -2, 3.5f, Float.NaN, 0, 1e-30f}),
      NdArray.ofInts(new long[] {4}, new int[] {1, -1, Integer.MAX_VALUE, Integer.MIN_VALUE}),
      NdArray.ofLongs(new long[] {1, 2}, new long[] {Long.MIN_VALUE, 42}),
      NdArray.ofFloats(new long[] {}, new float[] {7}),
      NdArray.ofFloats(new long[] {0, 5}, new float[0]),
    };
    for (NdArray a : arrays) {
      Path f = dir.resolve("a.npy");
      Npy.write(f, a);
      assertEquals(a, Npy.read(f));
      byte[] bytes = Npy.toBytes(a);
      int headerEnd = 10 + ((bytes[8] & 0xFF) | (bytes[9] & 0xFF) << 8);
      assertEquals(0, headerEnd % 64, "data is 64-byte aligned");
    }
  }

  @Test
  void readsFilesWrittenByNumpy() {
    NdArray x = Npy.read(SampleModels.file("digits-cnn", "test-x.npy"));
    NdArray y = Npy.read(SampleModels.file("digits-cnn", "test-y.npy"));
    assertEquals(DataType.FLOAT, x.type());
    assertEquals(DataType.INT64, y.type());
    long n = x.shape()[0];
    assertArrayEquals(new long[] {n, 1, 8, 8}, x.shape());
    assertArrayEquals(new long[] {n}, y.shape());
    for (long label : y.longs()) {
      assertTrue(label >= 0 && label < 10);
    }
  }

  @Test
  void refusesWhatItCannotRead() {
    byte[] good = Npy.toBytes(NdArray.ofFloats(new long[] {2}, new float[] {1, 2}));
    String header = new String(good, 0, good.length - 8, StandardCharsets.ISO_8859_1);
    assertRefused(
        header.replace("False", "True ").getBytes(StandardCharsets.ISO_8859_1), "Fortran");
    assertRefused(header.replace("<f4", ">f4").getBytes(StandardCharsets.ISO_8859_1), "dtype");
    assertRefused(header.replace("<f4", "<f8").getBytes(StandardCharsets.ISO_8859_1), "dtype");
    assertRefused(java.util.Arrays.copyOf(good, good.length - 1), "data bytes");
    assertRefused("hello world, not numpy".getBytes(StandardCharsets.US_ASCII), "magic");
    assertRefused(new byte[3], "too short");
  }

  private static void assertRefused(byte[] bytes, String why) {
    InvalidInputException e =
        assertThrows(InvalidInputException.class, () -> Npy.parse(bytes, "x.npy"));
    assertTrue(e.getMessage().startsWith("x.npy: "), e.getMessage());
    assertTrue(e.getMessage().contains(why), e.getMessage());
  }
}
