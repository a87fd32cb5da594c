package io.loopus.server.demo;

import io.loopus.worker.loop.ExitPolicy;
import io.loopus.worker.loop.HaltingStrategy;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Choosing tau so that exit depths vary, on synthetic q traces. */
class TauChoiceTest {
    static final ExitPolicy N4 = new ExitPolicy(HaltingStrategy.THRESHOLD, 4, 1, 0.9, 1, 1e-2);

    @Test void replayExitsAtTheFirstStepOverTau() {
        List<float[]> traces = List.of(
                new float[] {0.9f, 0.1f, 0.1f, 0.1f},  // out after 1
                new float[] {0.1f, 0.7f, 0.1f, 0.1f},  // out after 2
                new float[] {0.1f, 0.1f, 0.1f, 0.1f},  // never confident: N
                new float[] {0.5f, 0.5f, 0.5f, 0.5f}); // q == tau is not > tau: N
        assertArrayEquals(new long[] {1, 1, 0, 2}, TauChoice.replay(traces, N4, 0.5));
        // min_loops: no exit before step 2
        ExitPolicy min2 = new ExitPolicy(HaltingStrategy.THRESHOLD, 4, 2, 0.9, 1, 1e-2);
        assertArrayEquals(new long[] {0, 1, 0, 3}, TauChoice.replay(traces, min2, 0.5));
    }

    @Test void spreadQValuesGiveSeveralDepths() {
        Random r = new Random(1);
        List<float[]> traces = new ArrayList<>();
        for (int i = 0; i < 400; i++) {
            float[] q = new float[4];
            for (int t = 0; t < 4; t++) q[t] = 0.2f + 0.5f * r.nextFloat();
            traces.add(q);
        }
        TauChoice.Choice c = TauChoice.choose(traces, N4);
        assertTrue(c.varies());
        assertEquals(4, c.distinctDepths(), "every depth is used: " + Demo.shares(c.depthCounts()));
        assertEquals(400, c.tokens());
        assertEquals(1600, c.qValues());
        assertTrue(c.tau() > 0.2 && c.tau() < 0.7, "tau " + c.tau() + " is among the observed q");
        for (long n : c.depthCounts()) assertTrue(n >= 40, "no depth is nearly empty: " + Demo.shares(c.depthCounts()));
        // the quantile reported is the share of q at or below tau
        long below = traces.stream().flatMapToDouble(q -> {
            double[] d = new double[q.length];
            for (int i = 0; i < q.length; i++) d[i] = q[i];
            return java.util.Arrays.stream(d);
        }).filter(v -> v <= c.tau()).count();
        assertEquals(below / 1600.0, c.quantile(), 1e-12);
    }

    @Test void theCheckpointsOwnHighTauWouldNotVaryButTheChoiceDoes() {
        // q in [0.3, 0.6]: the reference tau 0.9 sends every token through all N loops
        Random r = new Random(2);
        List<float[]> traces = new ArrayList<>();
        for (int i = 0; i < 200; i++) traces.add(new float[] {0.3f + 0.3f * r.nextFloat(), 0.3f + 0.3f * r.nextFloat(),
                0.3f + 0.3f * r.nextFloat(), 0.3f + 0.3f * r.nextFloat()});
        assertArrayEquals(new long[] {0, 0, 0, 200}, TauChoice.replay(traces, N4, 0.9));
        assertTrue(TauChoice.choose(traces, N4).distinctDepths() >= 3);
    }

    @Test void identicalQValuesCannotVary() {
        List<float[]> traces = new ArrayList<>();
        for (int i = 0; i < 10; i++) traces.add(new float[] {0.4f, 0.4f, 0.4f, 0.4f});
        TauChoice.Choice c = TauChoice.choose(traces, N4);
        assertFalse(c.varies());
        assertEquals(10, c.tokens());
    }

    @Test void qNotEvaluatedIsSkipped() {
        // q_eval_interval 2: q only after steps 2 and 4 (NaN elsewhere); exits only after even steps
        ExitPolicy every2 = new ExitPolicy(HaltingStrategy.THRESHOLD, 4, 1, 0.9, 2, 1e-2);
        Random r = new Random(3);
        List<float[]> traces = new ArrayList<>();
        for (int i = 0; i < 100; i++) traces.add(new float[] {Float.NaN, r.nextFloat(), Float.NaN, r.nextFloat()});
        TauChoice.Choice c = TauChoice.choose(traces, every2);
        assertEquals(200, c.qValues());
        assertEquals(0, c.depthCounts()[0]);
        assertEquals(0, c.depthCounts()[2]);
        assertTrue(c.depthCounts()[1] > 0 && c.depthCounts()[3] > 0);
    }
}
