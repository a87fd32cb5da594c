package io.loopus.worker.tokenizer;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;

/**
 * Turns a stream of tokens into text that never splits a UTF-8 character: bytes of an
 * unfinished character wait for the tokens that complete it.
 */
public final class TextStream {
    private final Tokenizer tokenizer;
    private final ByteArrayOutputStream pending = new ByteArrayOutputStream();

    public TextStream(Tokenizer tokenizer) {
        this.tokenizer = tokenizer;
    }

    /** Adds a token and returns the text that is now complete (possibly empty). */
    public String push(int prev, int token) {
        byte[] piece = tokenizer.pieceBytes(prev, token);
        if (pending.size() == 0 && completePrefix(piece) == piece.length) {
            return new String(piece, StandardCharsets.UTF_8); // the common case: nothing waiting, nothing cut
        }
        pending.write(piece, 0, piece.length);
        byte[] bytes = pending.toByteArray();
        int complete = completePrefix(bytes);
        pending.reset();
        pending.write(bytes, complete, bytes.length - complete);
        return new String(bytes, 0, complete, StandardCharsets.UTF_8);
    }

    /** Whatever is left (an unfinished character decodes to U+FFFD). */
    public String flush() {
        String s = pending.toString(StandardCharsets.UTF_8);
        pending.reset();
        return s;
    }

    /** Length of the longest prefix that does not end inside a multi-byte character. */
    static int completePrefix(byte[] b) {
        int n = b.length;
        // look back at most 3 bytes for the lead byte of a character that is not yet complete
        for (int back = 1; back <= Math.min(4, n); back++) {
            int c = b[n - back] & 0xff;
            if ((c & 0xc0) == 0x80) continue; // continuation byte
            int need = c >= 0xf0 ? 4 : c >= 0xe0 ? 3 : c >= 0xc0 ? 2 : 1;
            return need > back ? n - back : n;
        }
        return n;
    }
}
