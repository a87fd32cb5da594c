package io.loopus.trainer.analyze;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class CalibrationTextTest {
    @TempDir Path tmp;
    final ByteTokenizer tok = new ByteTokenizer();

    List<int[]> read(String text, int maxLength, long budget) throws IOException {
        Path file = tmp.resolve("data.txt");
        Files.writeString(file, text);
        List<int[]> out = new ArrayList<>();
        try (CalibrationText t = CalibrationText.open(file, tok, maxLength, budget)) {
            for (int[] ids = t.next(); ids != null; ids = t.next()) out.add(ids);
        }
        return out;
    }

    @Test void storiesAreSplitAtSeparatorLinesAndEmptyOnesDropped() throws IOException {
        List<int[]> s = read("ab\n<|endoftext|>\n\n<|endoftext|>\ncd\nef\n<|endoftext|>\n", 100, 100);
        assertEquals(2, s.size());
        assertArrayEquals(tok.encode("ab", true), s.get(0));
        assertArrayEquals(tok.encode("cd\nef", true), s.get(1));
    }

    @Test void eachStoryIsCutToTheContextAndTheLastToTheBudget() throws IOException {
        List<int[]> s = read("abcdefgh\n<|endoftext|>\nxyz\n<|endoftext|>\nlast one", 5, 8);
        assertEquals(2, s.size());
        assertArrayEquals(tok.encode("abcd", true), s.get(0)); // 5 tokens: BOS + 4 bytes
        assertArrayEquals(tok.encode("xy", true), s.get(1)); // the 3 tokens left of the budget
    }

    @Test void aMissingFileIsNamed() {
        Path missing = tmp.resolve("nope.txt");
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> CalibrationText.open(missing, tok, 5, 5));
        assertTrue(e.getMessage().contains(missing.toString()) && e.getMessage().contains("no such file"), e.getMessage());
    }
}
