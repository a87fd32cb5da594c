package io.loopus.worker.tokenizer;

/** Text to token ids and back. Implementations are immutable and thread-safe. */
public interface Tokenizer {
    int vocabSize();

    int bosId();

    /** Encodes text, with the BOS id first when {@code addBos}. */
    int[] encode(String text, boolean addBos);

    /**
     * The bytes token {@code token} contributes to the text when it follows {@code prev}
     * (the llama2.c convention drops the leading space of the first piece after BOS). Ids at or
     * past {@link #vocabSize()}, in the padded part of a model's vocabulary, contribute nothing;
     * a negative id is an error. The array may be shared: callers must not modify it.
     */
    byte[] pieceBytes(int prev, int token);

    /** Decodes ids (a leading BOS contributes nothing) to text. */
    default String decode(int[] ids) {
        TextStream stream = new TextStream(this);
        StringBuilder sb = new StringBuilder();
        int prev = -1;
        for (int id : ids) {
            sb.append(stream.push(prev, id));
            prev = id;
        }
        return sb.append(stream.flush()).toString();
    }
}
