package io.loopus.trainer.train;

import org.junit.jupiter.api.Test;

import java.util.LinkedHashMap;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** AdamW against its formulas, decay only where asked, exact state round trip, clipping, schedule. */
class AdamWTest {
    @Test
    void firstStepsFollowTheFormulas() {
        float[] w = {1f, -2f}, b = {0.5f};
        Map<String, float[]> params = new LinkedHashMap<>(Map.of("w", w, "b", b));
        Map<String, float[]> grads = Map.of("w", new float[] {0.1f, -0.3f}, "b", new float[] {2f});
        AdamW opt = new AdamW(AdamW.Settings.defaults(), name -> name.equals("w"));
        opt.step(params, grads, 1e-2);
        // step 1: m/(1-b1) = g and sqrt(v/(1-b2)) = |g|, so every weight moves by lr * sign(g) (+ decay)
        assertEquals(1f * (1 - 1e-2f * 0.01f) - 1e-2f, w[0], 1e-6);
        assertEquals(-2f * (1 - 1e-2f * 0.01f) + 1e-2f, w[1], 1e-6);
        assertEquals(0.5f - 1e-2f, b[0], 1e-6); // no decay on b
        // step 2 by hand, in double
        double m = 0.9 * 0.1 * 2 + 0.1 * 2, v = 0.999 * 0.001 * 4 + 0.001 * 4;
        double expected = (0.5 - 1e-2) - 1e-2 * (m / (1 - 0.81)) / (Math.sqrt(v / (1 - 0.999 * 0.999)) + 1e-8);
        opt.step(params, grads, 1e-2);
        assertEquals(expected, b[0], 1e-6);
    }

    @Test
    void restoredStateContinuesBitIdentically() {
        Map<String, float[]> a = Map.of("w", new float[] {1f, 2f, 3f}), g = Map.of("w", new float[] {0.3f, -0.1f, 0.7f});
        AdamW one = new AdamW(AdamW.Settings.defaults(), n -> true);
        one.step(a, g, 1e-3);
        AdamW two = new AdamW(AdamW.Settings.defaults(), n -> true);
        two.restore(one.state());
        Map<String, float[]> b = Map.of("w", a.get("w").clone());
        one.step(a, g, 1e-3);
        two.step(b, g, 1e-3);
        assertArrayEquals(a.get("w"), b.get("w"));
        assertEquals(2, two.steps());
    }

    @Test
    void clippingScalesToTheMaximumNorm() {
        Map<String, float[]> g = Map.of("a", new float[] {3f}, "b", new float[] {4f});
        assertEquals(5.0, AdamW.clipGlobalNorm(g, 1.0), 1e-9);
        assertEquals(0.6f, g.get("a")[0], 1e-5);
        assertEquals(0.8f, g.get("b")[0], 1e-5);
        assertEquals(1.0, AdamW.clipGlobalNorm(g, 10.0), 1e-5); // under the limit: untouched
    }

    @Test
    void cosineScheduleWarmsUpThenDecaysToZero() {
        CosineSchedule s = new CosineSchedule(1e-3, 10, 110);
        assertTrue(s.lr(0) > 0 && s.lr(0) < s.lr(9));
        assertEquals(1e-3, s.lr(10), 1e-12);
        assertEquals(0.5e-3, s.lr(60), 1e-12);
        assertTrue(s.lr(109) < 1e-5);
    }
}
