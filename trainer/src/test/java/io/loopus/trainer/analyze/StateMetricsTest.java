package io.loopus.trainer.analyze;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;

class StateMetricsTest {
    @Test void cosineOfHandPickedVectors() {
        float[] a = {3, 4};
        assertEquals(1, StateMetrics.cosine(a, a), 1e-15);
        assertEquals(1, StateMetrics.cosine(a, new float[] {6, 8}), 1e-15);
        assertEquals(-1, StateMetrics.cosine(a, new float[] {-3, -4}), 1e-15);
        assertEquals(0, StateMetrics.cosine(a, new float[] {-4, 3}), 1e-15);
        assertEquals(0.6, StateMetrics.cosine(a, new float[] {1, 0}), 1e-15);
        assertEquals(0, StateMetrics.cosine(a, new float[] {0, 0}), "a zero state has no direction");
    }

    @Test void relativeUpdateOfHandPickedVectors() {
        float[] a = {3, 4};
        assertEquals(0, StateMetrics.relativeUpdate(a, a));
        assertEquals(1, StateMetrics.relativeUpdate(a, new float[] {3, 9}), 1e-15); // |(0,5)| / |(3,4)|
        assertEquals(2, StateMetrics.relativeUpdate(a, new float[] {-3, -4}), 1e-15);
        assertEquals(0, StateMetrics.relativeUpdate(new float[] {0, 0}, new float[] {0, 0}));
        assertEquals(Double.POSITIVE_INFINITY, StateMetrics.relativeUpdate(new float[] {0, 0}, new float[] {0, 1}));
    }

    @Test void argmaxTakesTheFirstOfEquals() {
        assertEquals(2, StateMetrics.argmax(new float[] {1, -2, 5, 5, 0}));
        assertEquals(0, StateMetrics.argmax(new float[] {7}));
    }
}
