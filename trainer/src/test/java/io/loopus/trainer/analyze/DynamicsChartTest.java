package io.loopus.trainer.analyze;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;

class DynamicsChartTest {
    @Test void axisTopsAreRoundNumbers() {
        assertEquals(2, DynamicsChart.niceCeiling(1.24), 1e-12);
        assertEquals(0.25, DynamicsChart.niceCeiling(0.21), 1e-12);
        assertEquals(5, DynamicsChart.niceCeiling(5), 1e-12);
        assertEquals(10, DynamicsChart.niceCeiling(5.01), 1e-12);
        assertEquals(1, DynamicsChart.niceCeiling(0), 1e-12);
    }

    @Test void ticksAndTextAreShortAndEscaped() {
        assertEquals("0.8", DynamicsChart.tick(0.8000000001));
        assertEquals("0", DynamicsChart.tick(0));
        assertEquals("20", DynamicsChart.tick(20));
        assertEquals("1.25", DynamicsChart.tick(1.25));
        assertEquals("a &lt;b&gt; &amp; &quot;c&quot;", DynamicsChart.escape("a <b> & \"c\""));
        assertEquals("\u2026/model.bin", DynamicsChart.shortened("/very/long/path/model.bin", 11));
    }
}
