package io.loopus.trainer.report;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

class MovingAverageTest {
    @Test void centredWithShorterWindowsAtTheEndsAndGapsSkipped() {
        assertArrayEquals(new double[] {1.5, 2, 3, 3.5}, MovingAverage.centred(new double[] {1, 2, 3, 4}, 1), 1e-12);
        assertArrayEquals(new double[] {1, 2, 3, 3}, MovingAverage.centred(new double[] {1, Double.NaN, 3, Double.NaN}, 1), 1e-12);
        assertEquals(Double.NaN, MovingAverage.centred(new double[] {Double.NaN}, 2)[0]);
    }

    @Test void theWindowGrowsWithTheRun() {
        assertEquals(1, MovingAverage.halfWindow(10));
        assertEquals(7, MovingAverage.halfWindow(300));
    }
}
