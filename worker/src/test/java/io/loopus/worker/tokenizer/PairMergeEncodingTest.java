package io.loopus.worker.tokenizer;

import io.loopus.worker.TestData;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.util.Arrays;
import java.util.HashMap;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;

/**
 * The encoder merges through a table of id pairs; these tests hold it to the plain algorithm
 * (look up the concatenation of every adjacent pair's pieces, merge the best, repeat).
 */
class PairMergeEncodingTest {
    @Test
    void storiesEncodeAsThePlainMergeLoopEncodesThem() throws Exception {
        Llama2cTokenizer tok = Llama2cTokenizer.load(TestData.tokenizer(), 512);
        String valid = Files.readString(TestData.stories().resolve("../../data/tinystories/valid.txt").normalize());
        String[] stories = valid.split("<\\|endoftext\\|>");
        for (int i = 0; i < Math.min(60, stories.length); i++) {
            assertArrayEquals(plainEncode(tok, stories[i]), tok.encode(stories[i], true), "story " + i);
        }
        String odd = "Tom's café — 世界 🙂\n\n  x\ty  \u0000end";
        assertArrayEquals(plainEncode(tok, odd), tok.encode(odd, true));
    }

    @Test
    void duplicateAndEmptyPiecesMergeAsTheirConcatenationLooksUp() {
        // 0 <unk>, 1 BOS, 2 EOS, 3..258 byte fallback, then pieces with a duplicate ("ab") and an empty one.
        String[] pieces = new String[266];
        float[] scores = new float[266];
        pieces[0] = "<unk>";
        pieces[1] = "<s>";
        pieces[2] = "</s>";
        for (int b = 0; b < 256; b++) pieces[3 + b] = String.format("<0x%02X>", b);
        String[] extra = {" ", "a", "b", "ab", "ab", "", "aba"};
        float[] extraScores = {-1, -2, -2, -0.5f, -0.1f, -3, -0.2f};
        for (int i = 0; i < extra.length; i++) {
            pieces[259 + i] = extra[i];
            scores[259 + i] = extraScores[i];
        }
        Llama2cTokenizer tok = new Llama2cTokenizer(pieces, scores);
        for (String text : new String[] {"ab", "abab", "aba ba", "bbaabba", "aé"}) {
            assertArrayEquals(plainEncode(tok, text), tok.encode(text, true), text);
        }
    }

    /** llama2.c's encode, written the slow and obvious way. */
    private static int[] plainEncode(Llama2cTokenizer tok, String text) {
        Map<String, Integer> ids = new HashMap<>();
        for (int i = tok.vocabSize() - 1; i >= 0; i--) ids.put(tok.piece(i), i);
        byte[] utf8 = text.getBytes(StandardCharsets.UTF_8);
        int[] t = new int[utf8.length + 3];
        int n = 0;
        t[n++] = 1;
        if (utf8.length > 0 && ids.containsKey(" ")) t[n++] = ids.get(" ");
        for (int i = 0; i < utf8.length; ) {
            int c = utf8[i] & 0xff;
            int len = c >= 0xf0 ? 4 : c >= 0xe0 ? 3 : c >= 0xc0 ? 2 : 1;
            len = Math.min(len, utf8.length - i);
            Integer id = ids.get(new String(utf8, i, len, StandardCharsets.ISO_8859_1));
            if (id != null) t[n++] = id;
            else for (int k = 0; k < len; k++) t[n++] = (utf8[i + k] & 0xff) + 3;
            i += len;
        }
        while (true) {
            float best = Float.NEGATIVE_INFINITY;
            int bestId = -1, at = -1;
            for (int k = 1; k < n - 1; k++) {
                Integer id = ids.get(tok.piece(t[k]) + tok.piece(t[k + 1]));
                if (id != null && tok.score(id) > best) {
                    best = tok.score(id);
                    bestId = id;
                    at = k;
                }
            }
            if (at < 0) return Arrays.copyOf(t, n);
            t[at] = bestId;
            System.arraycopy(t, at + 2, t, at + 1, n - at - 2);
            n--;
        }
    }
}
