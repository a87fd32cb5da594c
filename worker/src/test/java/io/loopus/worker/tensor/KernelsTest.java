package io.loopus.worker.tensor;

import org.junit.jupiter.api.Test;

import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

class KernelsTest {
    private static final Random RNG = new Random(1);

    private static float[] random(int n) {
        float[] x = new float[n];
        for (int i = 0; i < n; i++) x[i] = (float) RNG.nextGaussian();
        return x;
    }

    @Test
    void everyHalfAndBf16BitPatternWidensExactly() {
        short[] all = new short[65536];
        for (int i = 0; i < all.length; i++) all[i] = (short) i;
        float[] f16 = new float[all.length], bf16 = new float[all.length];
        Kernels.f16ToFloat(all, 0, f16, 0, all.length);
        Kernels.bf16ToFloat(all, 0, bf16, 0, all.length);
        for (int i = 0; i < all.length; i++) {
            float expected = referenceHalf(i);
            if (Float.isNaN(expected)) {
                assertTrue(Float.isNaN(f16[i]) && Float.isNaN(HalfFloats.f16ToFloat(all[i])), "half " + i);
            } else {
                assertEquals(Float.floatToIntBits(expected), Float.floatToIntBits(f16[i]), "vector half " + Integer.toHexString(i));
                assertEquals(Float.floatToIntBits(expected), Float.floatToIntBits(HalfFloats.f16ToFloat(all[i])));
                assertEquals((short) i, HalfFloats.floatToF16(expected), "half round trip " + Integer.toHexString(i));
            }
            assertEquals(Float.floatToIntBits(Float.intBitsToFloat(i << 16)), Float.floatToIntBits(bf16[i]));
        }
    }

    /** Straight from the IEEE 754 definition. */
    private static float referenceHalf(int h) {
        int sign = (h >> 15) & 1, exp = (h >> 10) & 0x1f, mant = h & 0x3ff;
        double v;
        if (exp == 0) v = mant * Math.pow(2, -24);
        else if (exp == 31) v = mant == 0 ? Double.POSITIVE_INFINITY : Double.NaN;
        else v = (1 + mant / 1024.0) * Math.pow(2, exp - 15);
        return (float) (sign == 1 ? -v : v);
    }

    @Test
    void floatToHalfRoundsToNearestEven() {
        assertEquals(0x3c00, HalfFloats.floatToF16(1f) & 0xffff);
        assertEquals(0x3c00, HalfFloats.floatToF16(1f + 0x1p-11f) & 0xffff); // tie, even stays
        assertEquals(0x3c02, HalfFloats.floatToF16(1f + 3 * 0x1p-11f) & 0xffff); // tie, odd rounds up
        assertEquals(0x7c00, HalfFloats.floatToF16(70000f) & 0xffff);
        assertEquals(0x0001, HalfFloats.floatToF16(0x1p-24f) & 0xffff);
        assertEquals(0x3f80, HalfFloats.floatToBf16(1f) & 0xffff);
    }

    @Test
    void multiplyMatchesDoubleReferenceForEveryDtype() {
        int rows = 37, cols = 173, n = 9; // odd sizes exercise every tail
        float[] w = random(rows * cols);
        short[] h = new short[w.length], b = new short[w.length];
        for (int i = 0; i < w.length; i++) {
            h[i] = HalfFloats.floatToF16(w[i]);
            b[i] = HalfFloats.floatToBf16(w[i]);
        }
        Matrix[] ms = {new F32Matrix(rows, cols, w), new HalfMatrix(rows, cols, h, DType.F16), new HalfMatrix(rows, cols, b, DType.BF16)};
        float[] x = random(n * cols);
        for (Matrix m : ms) {
            float[] out = new float[n * rows];
            m.multiply(x, cols, n, out, rows, 0, rows);
            for (int t = 0; t < n; t++) {
                for (int j = 0; j < rows; j++) {
                    double ref = 0;
                    for (int i = 0; i < cols; i++) ref += (double) m.get(j, i) * x[t * cols + i];
                    assertEquals(ref, out[t * rows + j], 1e-4 * Math.max(1, Math.abs(ref)), m.dtype() + " row " + j);
                }
            }
        }
    }

    @Test
    void singleTokenAndBlockedKernelsAreBitIdentical() {
        int rows = 64, cols = 200, n = 11;
        float[] w = random(rows * cols);
        short[] h = new short[w.length];
        for (int i = 0; i < w.length; i++) h[i] = HalfFloats.floatToBf16(w[i]);
        float[] x = random(n * cols);
        for (Matrix m : new Matrix[] {new F32Matrix(rows, cols, w), new HalfMatrix(rows, cols, h, DType.BF16)}) {
            float[] batched = new float[n * rows];
            m.multiply(x, cols, n, batched, rows, 0, rows);
            for (int t = 0; t < n; t++) {
                float[] one = new float[rows];
                float[] xt = java.util.Arrays.copyOfRange(x, t * cols, (t + 1) * cols);
                m.multiply(xt, cols, 1, one, rows, 0, rows);
                for (int j = 0; j < rows; j++) {
                    assertEquals(Float.floatToIntBits(one[j]), Float.floatToIntBits(batched[t * rows + j]), m.dtype() + " t" + t + " j" + j);
                }
            }
        }
    }

    @Test
    void backendMatmulSplitsRowsOverThreadsWithoutChangingResults() {
        int rows = 1024, cols = 512, n = 3; // large enough to run in parallel
        float[] w = random(rows * cols);
        Matrix m = new F32Matrix(rows, cols, w);
        CpuTensor x = new CpuTensor(n, cols, random(n * cols));
        CpuTensor out = new CpuTensor(n, rows);
        CpuBackend.INSTANCE.matmul(x, n, m, out);
        float[] serial = new float[n * rows];
        m.multiply(x.data(), cols, n, serial, rows, 0, rows);
        for (int i = 0; i < serial.length; i++) assertEquals(serial[i], out.data()[i]);
    }

    @Test
    void largeBatchesThroughOpenBlasAgreeWithTheVectorKernels() {
        int rows = 1024, cols = 768, n = 32; // over OpenBlasGemm's thresholds
        assertTrue(OpenBlasGemm.worthIt(new F32Matrix(rows, cols, new float[rows * cols]), n));
        Matrix m = new F32Matrix(rows, cols, random(rows * cols));
        CpuTensor x = new CpuTensor(n, cols, random(n * cols));
        CpuTensor out = new CpuTensor(n, rows);
        CpuBackend.INSTANCE.matmul(x, n, m, out);
        float[] reference = new float[n * rows];
        m.multiply(x.data(), cols, n, reference, rows, 0, rows);
        for (int i = 0; i < reference.length; i++) {
            assertEquals(reference[i], out.data()[i], 1e-4f * Math.max(1f, Math.abs(reference[i])), "element " + i);
        }
    }

    @Test
    void weightsChangedInPlaceAreSeenAfterInvalidate() {
        int rows = 1024, cols = 768, n = 32; // the OpenBLAS path, which keeps an off-heap copy
        F32Matrix m = new F32Matrix(rows, cols, random(rows * cols));
        CpuTensor x = new CpuTensor(n, cols, random(n * cols));
        CpuTensor out = new CpuTensor(n, rows);
        CpuBackend.INSTANCE.matmul(x, n, m, out);
        java.util.Arrays.fill(m.data(), 0f); // a training update, in place
        CpuBackend.INSTANCE.invalidate(m);
        CpuBackend.INSTANCE.matmul(x, n, m, out);
        for (float v : out.data()) assertEquals(0f, v);
    }

    @Test
    void aFailingChunkFailsTheWholeKernelAndThePoolKeepsWorking() {
        RuntimeException e = org.junit.jupiter.api.Assertions.assertThrows(IllegalStateException.class,
                () -> Parallel.DEFAULT.forRange(1 << 12, 1L << 30, 1, (from, to) -> {
                    if (from > 0) throw new IllegalStateException("chunk at " + from);
                }));
        assertTrue(e.getMessage().startsWith("chunk at"));
        int[] sum = new int[1 << 12];
        Parallel.DEFAULT.forRange(sum.length, 1L << 30, 1, (from, to) -> {
            for (int i = from; i < to; i++) sum[i] = i;
        });
        for (int i = 0; i < sum.length; i++) assertEquals(i, sum[i]);
    }
}
