package io.loopus.worker.loop;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The exit rules of DESIGN §1, one decision at a time. */
class ExitPolicyTest {
    @Test
    void thresholdExitsAtTheFirstEvaluatedStepAboveTau() {
        ExitPolicy p = new ExitPolicy(HaltingStrategy.THRESHOLD, 8, 1, 0.6, 2, 1e-2);
        assertFalse(p.evaluatesQ(1));
        assertFalse(p.exitsAfter(1, Double.NaN, 0, 0)); // not evaluated: no exit
        assertTrue(p.evaluatesQ(2));
        assertFalse(p.exitsAfter(2, 0.6, 0, 0)); // strictly above
        assertTrue(p.exitsAfter(4, 0.61, 0, 0));
        assertTrue(p.evaluatesQ(8) && p.evaluatesQ(7) == false);
        assertTrue(p.exitsAfter(8, 0.0, 0, 0)); // max loops always ends
    }

    @Test
    void minLoopsHoldsBackAnExitButCdfStillCountsEarlierQ() {
        ExitPolicy p = new ExitPolicy(HaltingStrategy.CDF, 6, 3, 0.7, 1, 1e-2);
        double s = 0;
        s = p.survivalAfter(1, 0.5, s);
        assertFalse(p.exitsAfter(1, 0.5, 0, s)); // cdf 0.5
        s = p.survivalAfter(2, 0.5, s);
        assertFalse(p.exitsAfter(2, 0.5, 0, s)); // cdf 0.75 > tau, but min_loops = 3
        s = p.survivalAfter(3, 0.0, s);
        assertTrue(p.exitsAfter(3, 0.0, 0, s)); // cdf still 0.75: the earlier q counted
        assertTrue(Double.isFinite(p.survivalAfter(1, 1.0, 0))); // q = 1 is clamped
    }

    @Test
    void convergenceLooksAtEveryStepAndNeedsNoQ() {
        ExitPolicy p = new ExitPolicy(HaltingStrategy.CONVERGENCE, 5, 1, 0.9, 4, 1e-2);
        assertFalse(p.evaluatesQ(4));
        assertFalse(p.exitsAfter(1, Double.NaN, 0.5, 0));
        assertTrue(p.exitsAfter(1, Double.NaN, 0.005, 0));
    }

    @Test
    void fixedRunsEveryLoop() {
        ExitPolicy p = ExitPolicy.fixed(3);
        assertFalse(p.exitsAfter(2, 0.999, 0, 0));
        assertTrue(p.exitsAfter(3, 0.0, 0, 0));
    }

    @Test
    void badSettingsAreRefused() {
        assertThrows(IllegalArgumentException.class, () -> new ExitPolicy(HaltingStrategy.THRESHOLD, 0, 1, 0.5, 1, 1e-2));
        assertThrows(IllegalArgumentException.class, () -> new ExitPolicy(HaltingStrategy.THRESHOLD, 4, 5, 0.5, 1, 1e-2));
        assertThrows(IllegalArgumentException.class, () -> new ExitPolicy(HaltingStrategy.THRESHOLD, 4, 1, 1.5, 1, 1e-2));
        assertThrows(IllegalArgumentException.class, () -> HaltingStrategy.parse("sometimes"));
        assertThrows(IllegalArgumentException.class, () -> new Split(2, 2, 5));
    }
}
