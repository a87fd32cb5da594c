package io.loopus.trainer.chart;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;

class TextTest {
    @Test void ticksAreShort() {
        assertEquals("0.8", Text.tick(0.8000000001));
        assertEquals("0", Text.tick(0));
        assertEquals("20", Text.tick(20));
        assertEquals("1.25", Text.tick(1.25));
        assertEquals("4.025", Text.tick(4.025));
        assertEquals("0.3", Text.tick(0.1 * 3));
        assertEquals("12000", Text.tick(12000));
    }

    @Test void numbersKeepTheirDigitsWithoutExponents() {
        assertEquals("4.200", Text.number(4.2, 4));
        assertEquals("4.500", Text.number(4.5, 4));
        assertEquals("2.00", Text.number(2, 3));
        assertEquals("3.871", Text.number(3.87149, 4));
        assertEquals("31620", Text.number(31623.4, 4));
        assertEquals("0.001230", Text.number(0.00123, 4));
        assertEquals("0", Text.number(0, 4));
        assertEquals("\u2013", Text.number(Double.NaN, 4));
    }

    @Test void textIsEscapedAndLongNamesKeepTheirEnd() {
        assertEquals("a &lt;b&gt; &amp; &quot;c&quot; &#39;d&#39;", Text.escape("a <b> & \"c\" 'd'"));
        assertEquals("\u2026/model.bin", Text.shortened("/very/long/path/model.bin", 11));
        assertEquals("short", Text.shortened("short", 11));
    }
}
