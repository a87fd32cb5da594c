package io.loopus.trainer.chart;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

class AxisTest {
    @Test void roundCeilings() {
        assertEquals(2, Axis.niceCeiling(1.24), 1e-12);
        assertEquals(0.25, Axis.niceCeiling(0.21), 1e-12);
        assertEquals(5, Axis.niceCeiling(5), 1e-12);
        assertEquals(10, Axis.niceCeiling(5.01), 1e-12);
        assertEquals(1, Axis.niceCeiling(0), 1e-12);
    }

    @Test void ticksAtRoundNumbersCoverTheValues() {
        Axis a = Axis.around(3.87, 4.2, 5);
        assertEquals(3.8, a.low(), 1e-9);
        assertEquals(4.2, a.high(), 1e-9);
        assertEquals(5, a.ticks().length);
        Axis negative = Axis.around(-0.013, 2.3, 5);
        assertEquals(-0.5, negative.low(), 1e-9);
        assertEquals(2.5, negative.high(), 1e-9);
    }

    @Test void wholeAxesHaveWholeTicks() {
        assertArrayEquals(new double[] {0, 2, 4, 6, 8, 10}, Axis.whole(0, 10, 5).ticks(), 1e-9);
        assertArrayEquals(new double[] {0, 5, 10, 15}, Axis.whole(1, 12, 5).ticks(), 1e-9);
        assertArrayEquals(new double[] {0, 1, 2}, Axis.whole(1, 1, 5).ticks(), 1e-9);
    }

    @Test void bandsCentreEachWholeNumber() {
        Axis a = Axis.bands(1, 4, 20);
        assertEquals(0.5, a.low(), 0);
        assertEquals(4.5, a.high(), 0);
        assertArrayEquals(new double[] {1, 2, 3, 4}, a.ticks(), 0);
        assertArrayEquals(new double[] {0, 2, 4, 6, 8}, Axis.bands(0, 9, 5).ticks(), 0);
        assertEquals(0.125, a.fraction(1), 1e-12);
    }

    @Test void oneValueGetsABandAroundIt() {
        Axis a = Axis.around(2, 2, 5);
        assertEquals(1.8, a.low(), 1e-9);
        assertEquals(2.2, a.high(), 1e-9);
        Axis zero = Axis.fromZero(0, 5, true);
        assertEquals(0, zero.low(), 0);
        assertEquals(1, zero.high(), 0);
    }
}
