package io.loopus.trainer.eval;

import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The search over threshold rules, on made-up perplexity surfaces (the real one runs in ConversionTest). */
class ExitCalibrationTest {
    /** Best fixed N = 4 and 5 (4.50); within 1% (4.545) from N = 3 on, and at N = 6. */
    private static final double[] FIXED = {5.0, 4.60, 4.52, 4.50, 4.50, 4.51};

    /** min_loops 2: a fraction tau of the tokens goes on to N = 6, and perplexity falls from fixed 2's towards fixed 6's. */
    private static ExitCalibration.RuleMeasure surface(double exponent, List<Double> asked) {
        return (minLoops, tau) -> {
            assertEquals(2, minLoops);
            asked.add(tau);
            return new ExitCalibration.Point(minLoops, tau, 4.60 - 0.09 * Math.pow(tau, exponent), 2 + 4 * tau);
        };
    }

    @Test
    void qDecidesOneDepthShallowerWhenThatSavesPasses() {
        List<Double> asked = new ArrayList<>();
        ExitCalibration.Result r = ExitCalibration.choose(FIXED, 0.01, 7, surface(0.25, asked), 3, 100);
        // within 4.545 needs tau^0.25 >= 0.611, tau >= 0.1394: 2.56 passes, fewer than fixed 3
        assertEquals(2, r.chosen().minLoops());
        assertTrue(r.chosen().tau() >= 0.1394 && r.chosen().tau() <= 0.1394 + 1.0 / 64, r.toString());
        assertTrue(r.chosen().ppl() <= 4.50 * 1.01);
        assertEquals(7, r.tried().size());
        assertEquals(0.5, asked.get(0));
        assertEquals(4, r.bestFixedLoops());
    }

    @Test
    void aFixedDepthWinsWhenQCostsMorePasses() {
        // within 4.545 needs tau >= 0.3735: 3.49 passes, more than fixed 3's
        ExitCalibration.Result r = ExitCalibration.choose(FIXED, 0.01, 7, surface(0.5, new ArrayList<>()), 3, 100);
        assertEquals(new ExitCalibration.Point(3, 0, 4.52, 3), r.chosen());
        assertEquals(7, r.tried().size());
    }

    @Test
    void nothingIsBisectedWhenNoRuleOneDepthShallowerCanBeWithinTheTolerance() {
        double[] drifting = {5.0, 4.60, 4.52, 4.50, 4.50, 4.60}; // fixed 6, where tau 1 leads, is outside 4.545
        ExitCalibration.Result r = ExitCalibration.choose(drifting, 0.01, 7, (m, t) -> {
            throw new AssertionError("measured " + m + " " + t);
        }, 3, 100);
        assertEquals(new ExitCalibration.Point(3, 0, 4.52, 3), r.chosen());
        assertTrue(r.tried().isEmpty());
        // one loop within the tolerance: every token leaves after it
        ExitCalibration.Result flat = ExitCalibration.choose(new double[] {4.51, 4.50, 4.50}, 0.01, 7, (m, t) -> {
            throw new AssertionError("measured " + m + " " + t);
        }, 3, 100);
        assertEquals(new ExitCalibration.Point(1, 0, 4.51, 1), flat.chosen());
    }

    @Test
    void aNegativeToleranceIsRefused() {
        assertThrows(IllegalArgumentException.class, () -> ExitCalibration.choose(FIXED, -0.01, 7, (m, t) -> null, 3, 100));
    }
}
