package io.loopus.worker.model;

import org.junit.jupiter.api.Test;

import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;

class RopeTableTest {

    /** Rotations are orthogonal: the inverse is the transpose, which is what a backward pass applies. */
    @Test void rotateInverseUndoesRotateAndIsItsTranspose() {
        for (RopeConvention convention : RopeConvention.values()) {
            int heads = 3, headDim = 8;
            RopeTable table = new RopeTable(new LlamaConfig("llama", heads * headDim, 8, 1, heads, heads, headDim, 16, 64,
                    1e-5f, 10000.0, null, convention, false, false, true, 1, new int[] {2}));
            Random r = new Random(3);
            float[] x = new float[2 + heads * headDim], y = new float[x.length];
            for (int i = 0; i < x.length; i++) {
                x[i] = (float) r.nextGaussian();
                y[i] = (float) r.nextGaussian();
            }
            float[] rx = x.clone(), iy = y.clone();
            table.rotate(rx, 2, heads, 37);
            table.rotateInverse(iy, 2, heads, 37);
            assertNotEquals(x[3], rx[3]);
            // <R x, y> = <x, R^-1 y>
            assertEquals(dot(rx, y), dot(x, iy), 1e-5, convention.name());
            table.rotateInverse(rx, 2, heads, 37);
            for (int i = 0; i < x.length; i++) assertEquals(x[i], rx[i], 1e-6, convention + " channel " + i);
        }
    }

    private static double dot(float[] a, float[] b) {
        double s = 0;
        for (int i = 2; i < a.length; i++) s += (double) a[i] * b[i];
        return s;
    }
}
