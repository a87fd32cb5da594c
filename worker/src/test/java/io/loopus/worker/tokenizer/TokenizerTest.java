package io.loopus.worker.tokenizer;

import io.loopus.worker.TestData;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

class TokenizerTest {
    @Test
    void byteFallbackPiecesDecodeToBytesAndRoundTripNonAscii() {
        Llama2cTokenizer tok = Llama2cTokenizer.load(TestData.tokenizer(), 512);
        assertArrayEquals(new byte[] {0x0a}, tok.pieceBytes(5, 3 + 0x0a));
        String text = "Lily said: \"héllo 世界\" 🙂\nthe end";
        int[] ids = tok.encode(text, true);
        assertEquals(1, ids[0]);
        assertEquals(text, tok.decode(ids));
    }

    @Test
    void streamNeverSplitsAUtf8Character() {
        Llama2cTokenizer tok = Llama2cTokenizer.load(TestData.tokenizer(), 512);
        int[] ids = tok.encode("a 世界 🙂 b", true);
        TextStream stream = new TextStream(tok);
        StringBuilder all = new StringBuilder();
        int prev = -1;
        for (int id : ids) {
            String piece = stream.push(prev, id);
            for (int i = 0; i < piece.length(); i++) assertTrue(piece.charAt(i) != '\uFFFD', "split character in " + piece);
            all.append(piece);
            prev = id;
        }
        assertEquals("a 世界 🙂 b", all.append(stream.flush()).toString());
    }

    @Test
    void completePrefixStopsBeforeAnUnfinishedCharacter() {
        byte[] euro = "x€".getBytes(StandardCharsets.UTF_8); // 'x' + 3 bytes
        assertEquals(1, TextStream.completePrefix(java.util.Arrays.copyOf(euro, 2)));
        assertEquals(1, TextStream.completePrefix(java.util.Arrays.copyOf(euro, 3)));
        assertEquals(4, TextStream.completePrefix(euro));
    }

    @Test
    void emptyTextEncodesToBosOnly() {
        Llama2cTokenizer tok = Llama2cTokenizer.load(TestData.tokenizer(), 512);
        assertArrayEquals(new int[] {1}, tok.encode("", true));
        assertArrayEquals(new int[0], tok.encode("", false));
    }
}
