package io.loopus.server.client;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class PercentilesTest {
    @Test
    void nearestRank() {
        Percentiles p = new Percentiles(new double[] {15, 20, 35, 40, 50}); // the textbook example
        assertEquals(20, p.get(30));
        assertEquals(20, p.get(40));
        assertEquals(35, p.get(50));
        assertEquals(50, p.get(100));
        assertEquals(15, p.get(5));
    }

    @Test
    void unsortedInputAndExactRanks() {
        double[] v = new double[100];
        for (int i = 0; i < 100; i++) v[i] = 100 - i; // 100..1
        Percentiles p = new Percentiles(v);
        assertEquals(50, p.get(50));
        assertEquals(99, p.get(99)); // ceil(99 * 100 / 100) = 99 exactly, not 100
        assertEquals(1, p.get(0.5));
    }

    @Test
    void emptyAndBadP() {
        assertTrue(Double.isNaN(new Percentiles(new double[0]).get(50)));
        assertEquals(7, new Percentiles(new double[] {7}).get(99));
        assertThrows(IllegalArgumentException.class, () -> new Percentiles(new double[] {1}).get(0));
        assertThrows(IllegalArgumentException.class, () -> new Percentiles(new double[] {1}).get(101));
    }
}
