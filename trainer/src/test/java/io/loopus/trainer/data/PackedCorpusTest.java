package io.loopus.trainer.data;

import io.loopus.worker.tokenizer.Tokenizer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.HashSet;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Packing stories into sequences, and the seeded order of micro-batches. */
class PackedCorpusTest {
    @TempDir Path tmp;

    /** One token per character, BOS = 1. */
    private static final Tokenizer CHARS = new Tokenizer() {
        @Override public int[] encode(String text, boolean addBos) {
            int[] ids = new int[text.length() + (addBos ? 1 : 0)];
            int o = 0;
            if (addBos) ids[o++] = 1;
            for (char c : text.toCharArray()) ids[o++] = c;
            return ids;
        }

        @Override public byte[] pieceBytes(int prev, int token) { return new byte[] {(byte) token}; }

        @Override public int vocabSize() { return 256; }

        @Override public int bosId() { return 1; }
    };

    @Test
    void storiesAreLaidEndToEndWithBosAndTheTailIsPadding() throws Exception {
        Path f = tmp.resolve("t.txt");
        Files.writeString(f, "abc\n<|endoftext|>\n\n<|endoftext|>\nde\n", StandardCharsets.UTF_8);
        PackedCorpus c = PackedCorpus.load(f, CHARS, 3);
        // stream: 1 a b c 1 d e  (7 tokens) -> 6 predictions -> 2 sequences of 3
        assertEquals(2, c.stories());
        assertEquals(2, c.sequences());
        int[] in = new int[6], lab = new int[6];
        assertEquals(3, c.copy(0, in, lab, 0));
        assertEquals(3, c.copy(1, in, lab, 1));
        assertArrayEquals(new int[] {1, 'a', 'b', 'c', 1, 'd'}, in);
        assertArrayEquals(new int[] {'a', 'b', 'c', 1, 'd', 'e'}, lab);

        PackedCorpus c4 = PackedCorpus.load(f, CHARS, 4);
        int[] in4 = new int[4], lab4 = new int[4];
        assertEquals(2, c4.copy(1, in4, lab4, 0)); // 1 d | e -> two labelled, two padded
        assertArrayEquals(new int[] {1, 'd', 0, 0}, in4);
        assertArrayEquals(new int[] {'d', 'e', PackedCorpus.IGNORE, PackedCorpus.IGNORE}, lab4);
    }

    @Test
    void noUsableTextIsAClearError() throws Exception {
        Path f = tmp.resolve("empty.txt");
        Files.writeString(f, "<|endoftext|>\n  \n<|endoftext|>\n");
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> PackedCorpus.load(f, CHARS, 8));
        assertTrue(e.getMessage().contains("empty.txt") && e.getMessage().contains("no usable text"), e.getMessage());
    }

    @Test
    void everyEpochVisitsEverySequenceOnceInASeededOrder() {
        MicroBatchOrder a = new MicroBatchOrder(10, 3, 7), b = new MicroBatchOrder(10, 3, 7), other = new MicroBatchOrder(10, 3, 8);
        Set<Integer> epoch0 = new HashSet<>();
        int[] first = new int[12], again = new int[12], different = new int[12];
        for (int g = 0; g < 4; g++) {
            for (int j = 0; j < 3; j++) {
                first[g * 3 + j] = a.sequence(g, j);
                if (g * 3 + j < 10) epoch0.add(a.sequence(g, j));
            }
        }
        for (int g = 3; g >= 0; g--) for (int j = 0; j < 3; j++) again[g * 3 + j] = b.sequence(g, j); // any order of asking
        for (int g = 0; g < 4; g++) for (int j = 0; j < 3; j++) different[g * 3 + j] = other.sequence(g, j);
        assertEquals(10, epoch0.size());
        assertArrayEquals(first, again);
        assertTrue(!Arrays.equals(first, different));
    }
}
