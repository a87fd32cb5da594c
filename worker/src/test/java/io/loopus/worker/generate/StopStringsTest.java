package io.loopus.worker.generate;

import org.junit.jupiter.api.Test;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class StopStringsTest {
    @Test
    void stopsAtTheFirstStopStringSplitAcrossPieces() {
        StopStrings s = new StopStrings(List.of("The end", "\n\n"));
        StringBuilder out = new StringBuilder();
        for (String piece : new String[] {"They played. T", "he e", "nd of it"}) out.append(s.push(piece));
        assertTrue(s.stopped());
        assertEquals("They played. ", out.toString());
        assertEquals("", s.push("more"));
    }

    @Test
    void holdsBackOnlyWhatCouldStartAStopString() {
        StopStrings s = new StopStrings(List.of("abc"));
        assertEquals("xy", s.push("xyab"));
        assertEquals("abd", s.push("d"));
        assertEquals("", s.push("a"));
        assertFalse(s.stopped());
        assertEquals("a", s.flush());
    }

    @Test
    void withoutStopStringsEverythingPassesAtOnce() {
        StopStrings s = new StopStrings(List.of());
        assertEquals("hello", s.push("hello"));
        assertThrows(IllegalArgumentException.class, () -> new StopStrings(List.of("")));
    }
}
