package io.loopus.trainer.grad;

import org.junit.jupiter.api.Test;

import java.util.Random;

import static io.loopus.trainer.grad.TestData.gaussian;
import static org.junit.jupiter.api.Assertions.assertEquals;

/** The tiled kernel against a plain double loop, at shapes that take every tile and tail path. */
class GemmTest {
    final Random r = new Random(91);

    @Test void everyTileAndTailAgainstDoubleSums() {
        int[] sizes = {1, 3, 7, 8, 15, 16, 17, 21, 32, 40};
        for (int rows : new int[] {1, 3, 4, 5, 8, 11}) {
            for (int cols : sizes) {
                for (int depth : new int[] {1, 6, Gemm.DEPTH_CHUNK + 5}) {
                    check(rows, cols, depth, false);
                    check(rows, cols, depth, true);
                }
            }
        }
    }

    /** C starts non-zero (the product is added) and A is read either way round. */
    private void check(int rows, int cols, int depth, boolean aTransposed) {
        float[] a = gaussian(r, rows * depth), b = gaussian(r, depth * cols), c = gaussian(r, rows * cols);
        int aRow = aTransposed ? 1 : depth, aCol = aTransposed ? rows : 1;
        double[] expected = new double[c.length];
        for (int i = 0; i < rows; i++) {
            for (int j = 0; j < cols; j++) {
                double s = c[i * cols + j];
                for (int k = 0; k < depth; k++) s += (double) a[i * aRow + k * aCol] * b[k * cols + j];
                expected[i * cols + j] = s;
            }
        }
        Gemm.multiplyAdd(rows, cols, depth, a, aRow, aCol, b, c);
        String what = rows + " x " + cols + " x " + depth + (aTransposed ? ", A transposed" : "");
        for (int i = 0; i < c.length; i++) {
            assertEquals(expected[i], c[i], 1e-5 * Math.sqrt(depth) * (1 + Math.abs(expected[i])), what + ", entry " + i);
        }
    }
}
