package io.loopus.worker.tokenizer;

import io.loopus.worker.TestData;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
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

    /** <unk>, <s>, </s>, the 256 byte pieces, then a few ordinary pieces. */
    private static Llama2cTokenizer small() {
        java.util.List<String> p = new java.util.ArrayList<>(java.util.List.of("<unk>", "\n<s>\n", "\n</s>\n"));
        for (int b = 0; b < 256; b++) p.add(String.format("<0x%02X>", b));
        p.addAll(java.util.List.of(" ", "a", " a", "b", " ab"));
        float[] scores = new float[p.size()];
        for (int i = 259; i < scores.length; i++) scores[i] = -(i - 259);
        return new Llama2cTokenizer(p.toArray(String[]::new), scores);
    }

    @Test
    void pieceBytesAreComputedOnceAndDropTheLeadingSpaceAfterBos() {
        Llama2cTokenizer tok = small();
        int ab = 263; // " ab"
        assertArrayEquals(" ab".getBytes(StandardCharsets.US_ASCII), tok.pieceBytes(5, ab));
        assertArrayEquals("ab".getBytes(StandardCharsets.US_ASCII), tok.pieceBytes(1, ab));
        assertSame(tok.pieceBytes(5, ab), tok.pieceBytes(7, ab));
        assertSame(tok.pieceBytes(1, ab), tok.pieceBytes(1, ab));
        assertArrayEquals(new byte[] {(byte) 0xe9}, tok.pieceBytes(1, 3 + 0xe9)); // byte pieces are bytes, after BOS too
        assertArrayEquals(new byte[] {' '}, tok.pieceBytes(5, 3 + ' '));
        assertArrayEquals(new byte[0], tok.pieceBytes(5, 1)); // BOS
        assertArrayEquals(new byte[0], tok.pieceBytes(5, 2)); // EOS
        assertArrayEquals("<unk>".getBytes(StandardCharsets.US_ASCII), tok.pieceBytes(5, 0));
        assertEquals("ab a", tok.decode(tok.encode("ab a", true)));
    }

    @Test
    void idsInAModelsPaddedVocabularyDecodeToNothing() {
        Llama2cTokenizer tok = small();
        assertArrayEquals(new byte[0], tok.pieceBytes(5, tok.vocabSize()));
        assertArrayEquals(new byte[0], tok.pieceBytes(1, tok.vocabSize() + 100));
        assertEquals("a", tok.decode(new int[] {1, 260, tok.vocabSize() + 1}));
        assertThrows(IllegalArgumentException.class, () -> tok.pieceBytes(5, -1));
    }
}
