package io.loopus.trainer.grad;

import org.junit.jupiter.api.Test;

import java.util.Random;

import static io.loopus.trainer.grad.TestData.gaussian;
import static org.junit.jupiter.api.Assertions.assertEquals;

/** The tiled kernel against a plain double loop, at shapes that take every tile and tail path. */
class GemmTest {
    final Random r = new Random(91);

    @Test void everyTileAndTailAgainstDoubleSums() {
        int[] sizes = {1, 3, 7, 8, 12, 15, 16, 17, 21, 32, 40};
        for (int rows : new int[] {1, 3, 4, 5, 8, 11, 19}) {
            for (int cols : sizes) {
                for (int depth : new int[] {1, 6, Gemm.DEPTH_CHUNK + 5}) {
                    check(rows, cols, depth, false);
                    check(rows, cols, depth, true);
                }
            }
        }
    }

    /**
     * C starts non-zero (the product is added); A is read either way round; in the second case A,
     * B and C also start at an offset and B and C have rows longer than cols, whose extra values
     * must stay untouched.
     */
    private void check(int rows, int cols, int depth, boolean strided) {
        int aOff = strided ? 3 : 0, bOff = strided ? 2 : 0, cOff = strided ? 1 : 0;
        int ldb = strided ? cols + 5 : cols, ldc = strided ? cols + 3 : cols;
        int aRow = strided ? 1 : depth, aCol = strided ? rows : 1;
        float[] a = gaussian(r, aOff + rows * depth), b = gaussian(r, bOff + depth * ldb), c = gaussian(r, cOff + rows * ldc);
        double[] expected = new double[c.length];
        for (int i = 0; i < c.length; i++) expected[i] = c[i];
        for (int i = 0; i < rows; i++) {
            for (int j = 0; j < cols; j++) {
                for (int k = 0; k < depth; k++) {
                    expected[cOff + i * ldc + j] += (double) a[aOff + i * aRow + k * aCol] * b[bOff + k * ldb + j];
                }
            }
        }
        if (strided) Gemm.multiplyAdd(rows, cols, depth, a, aOff, aRow, aCol, b, bOff, ldb, c, cOff, ldc);
        else Gemm.multiplyAdd(rows, cols, depth, a, aRow, aCol, b, c);
        String what = rows + " x " + cols + " x " + depth + (strided ? ", strided" : "");
        for (int i = 0; i < c.length; i++) {
            assertEquals(expected[i], c[i], 1e-5 * Math.sqrt(depth) * (1 + Math.abs(expected[i])), what + ", entry " + i);
        }
    }
}
