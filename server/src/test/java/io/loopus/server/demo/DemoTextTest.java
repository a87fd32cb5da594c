package io.loopus.server.demo;

import io.loopus.proto.v1.TokenTrace;
import io.loopus.worker.tokenizer.Tokenizer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;

/** Story openings, slices, and the two-line view of a generation with its exit depths. */
class DemoTextTest {
    @TempDir Path tmp;

    @Test void openingsAreFirstSentencesOrFirstWordsDistinctAndNotMidSentence() throws IOException {
        Path f = Files.writeString(tmp.resolve("s.txt"), """
                of his work. Then he slept.
                <|endoftext|>
                Once upon a time, there was a cat. It was big.
                <|endoftext|>
                Once upon a time, there was a cat. It was small.
                <|endoftext|>
                Tom and Sue went to the park and played on the swings all day long
                <|endoftext|>
                """);
        assertEquals(List.of("Once upon a time, there was a cat.", "Tom and Sue went to the park and"),
                DemoTexts.openings(f, 5, 8));
        assertEquals("Once upon a time, there was", DemoTexts.opening("Once upon a time, there was a cat.", 6));
        assertEquals(List.of("Once upon a time, there was a cat."), DemoTexts.openings(f, 1, 12));
        Path slice = tmp.resolve("slice.txt");
        assertEquals(2, DemoTexts.writeSlice(f, 30, slice)); // whole stories until 30 characters
        assertEquals("of his work. Then he slept.\n<|endoftext|>\nOnce upon a time, there was a cat. It was big.\n<|endoftext|>\n",
                Files.readString(slice));
        assertEquals(4, DemoTexts.writeFirst(f, 10, tmp.resolve("all.txt")));
    }

    /** One character per token, as a byte-level tokenizer would give. */
    static final Tokenizer CHARS = new Tokenizer() {
        @Override public int vocabSize() { return 256; }

        @Override public int bosId() { return 1; }

        @Override public int[] encode(String text, boolean addBos) {
            byte[] b = text.getBytes(StandardCharsets.UTF_8);
            int[] ids = new int[b.length + (addBos ? 1 : 0)];
            if (addBos) ids[0] = 1;
            for (int i = 0; i < b.length; i++) ids[i + (addBos ? 1 : 0)] = b[i] & 0xff;
            return ids;
        }

        @Override public byte[] pieceBytes(int prev, int token) { return new byte[] {(byte) token}; }
    };

    static TokenTrace depth(int d) { return TokenTrace.newBuilder().setExitDepth(d).build(); }

    @Test void depthsSitUnderTheFirstCharacterOfEachNewToken() {
        DepthText.Lines l = DepthText.render(CHARS, "Hi", List.of((int) ' ', (int) 'y', (int) 'o', (int) '\n'),
                List.of(depth(1), depth(4), depth(2), depth(3)));
        assertEquals("Hi yo¶", l.text());
        assertEquals("  1423", l.depths());
        assertEquals('c', DepthText.mark(12));
    }

    @Test void wrappingKeepsTextAndMarksTogetherAndBreaksOnlyAtUnmarkedSpaces() {
        DepthText.Lines l = new DepthText.Lines("Once upon a time there", "     1    2 3    4    ");
        List<DepthText.Lines> rows = DepthText.wrap(l, 12);
        assertEquals(List.of(new DepthText.Lines("Once upon a", "     1    2"), new DepthText.Lines("time there", "3    4")), rows);
        // a marked space is not a break
        rows = DepthText.wrap(new DepthText.Lines("ab cd ef", "   1 2  "), 4);
        assertEquals("ab", rows.get(0).text());
        assertEquals("cd ef", rows.get(1).text());
        assertEquals("1 2", rows.get(1).depths());
    }
}
