package io.loopus.trainer.analyze;

import io.loopus.worker.tokenizer.Tokenizer;

import java.nio.charset.StandardCharsets;

/** A test tokenizer: BOS is 1, byte b is token 3 + b; one token per UTF-8 byte, so lengths are easy to predict. */
final class ByteTokenizer implements Tokenizer {
    static final int VOCAB = 259;

    @Override public int vocabSize() { return VOCAB; }

    @Override public int bosId() { return 1; }

    @Override public int[] encode(String text, boolean addBos) {
        byte[] bytes = text.getBytes(StandardCharsets.UTF_8);
        int off = addBos ? 1 : 0;
        int[] ids = new int[bytes.length + off];
        if (addBos) ids[0] = 1;
        for (int i = 0; i < bytes.length; i++) ids[i + off] = 3 + (bytes[i] & 0xff);
        return ids;
    }

    @Override public byte[] pieceBytes(int prev, int token) {
        return token < 3 ? new byte[0] : new byte[] {(byte) (token - 3)};
    }
}
