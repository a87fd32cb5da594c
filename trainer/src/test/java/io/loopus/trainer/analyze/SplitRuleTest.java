package io.loopus.trainer.analyze;

import io.loopus.worker.loop.Split;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class SplitRuleTest {
    @Test void thePlateauBetweenFastLayersIsTheBlock() {
        SplitRule.Choice c = SplitRule.choose(new double[] {1.2, 0.7, 0.01, 0.02, 0.01, 0.03, 0.45, 0.4});
        assertEquals(new Split(2, 6, 8), c.split());
        assertFalse(c.fallback());
        assertEquals(1.5 * (0.03 + 0.4) / 2, c.threshold(), 1e-12);
        assertEquals("--split 2:6", c.flags());
        assertTrue(c.rule().contains("median") && c.rule().endsWith("layers [2, 6)"), c.rule());
    }

    @Test void theFirstAndLastLayersStayOutEvenOnThePlateau() {
        assertEquals(new Split(1, 4, 5), SplitRule.choose(new double[] {0.1, 0.1, 0.1, 0.1, 0.1}).split());
        assertEquals(new Split(1, 3, 5), SplitRule.choose(new double[] {0.01, 0.01, 0.01, 1, 1}).split());
    }

    @Test void ofTwoRunsAsLongTheQuieterWins() {
        // median 0.2, threshold 0.3: runs [1,3) (mean 0.2) and [4,6) (mean 0.1)
        assertEquals(new Split(4, 6, 7), SplitRule.choose(new double[] {3, 0.2, 0.2, 3, 0.1, 0.1, 3}).split());
    }

    @Test void withoutAQuietInnerLayerTheMiddleThirdIsTaken() {
        SplitRule.Choice c = SplitRule.choose(new double[] {0.1, 1, 0.2});
        assertTrue(c.fallback());
        assertEquals(new Split(1, 2, 3), c.split());
        assertTrue(c.rule().contains("middle third [1, 2)"), c.rule());
        assertEquals(new Split(4, 8, 12), SplitRule.middleThird(12));
        assertEquals(new Split(1, 4, 5), SplitRule.middleThird(5));
        assertTrue(SplitRule.choose(new double[] {Double.NaN, Double.NaN, Double.NaN}).fallback());
    }

    @Test void fewerThanThreeLayersAreRefused() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> SplitRule.choose(new double[] {1, 2}));
        assertTrue(e.getMessage().contains("has 2 layers") && e.getMessage().contains("at least 3"), e.getMessage());
    }
}
