package io.loopus.trainer.grad;

import jdk.incubator.vector.FloatVector;
import org.junit.jupiter.api.Test;

import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

class VectorExpTest {
    @Test void withinTwoUlpOfMathExpAndClampedOutside() {
        Random random = new Random(7);
        int lanes = FloatVector.SPECIES_PREFERRED.length();
        float[] x = new float[lanes], out = new float[lanes];
        for (int trial = 0; trial < 3000; trial++) {
            for (int i = 0; i < lanes; i++) x[i] = (float) (random.nextDouble() * 180 - 90);
            VectorExp.exp(FloatVector.fromArray(FloatVector.SPECIES_PREFERRED, x, 0)).intoArray(out, 0);
            for (int i = 0; i < lanes; i++) {
                if (x[i] <= -87f || x[i] >= 88f) continue;
                float expected = (float) Math.exp(x[i]);
                assertTrue(Math.abs(out[i] - expected) <= 2 * Math.ulp(expected), "x = " + x[i] + ": " + out[i] + " vs " + expected);
            }
        }
        float[] edges = new float[lanes];
        edges[0] = 0;
        edges[1 % lanes] = -1000;
        VectorExp.exp(FloatVector.fromArray(FloatVector.SPECIES_PREFERRED, edges, 0)).intoArray(out, 0);
        assertEquals(1f, out[0]);
        if (lanes > 1) assertTrue(out[1] >= 0 && out[1] < 1e-37f);
    }
}
