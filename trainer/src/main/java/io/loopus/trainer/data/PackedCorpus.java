package io.loopus.trainer.data;

import io.loopus.worker.tokenizer.Tokenizer;

import java.nio.file.Path;
import java.util.Arrays;

/**
 * Training text packed into fixed-length sequences: every story is encoded with BOS (the document
 * separator) and the stories are laid end to end; sequence i is tokens [iL, iL + L) with the
 * tokens one place later as labels. The tail of the last sequence is padding, with label
 * {@link #IGNORE}, and is masked out of every loss term.
 */
public final class PackedCorpus {
    public static final int IGNORE = -1;

    private final int[] stream;
    private final int seqLen;
    private final int sequences;
    private final int stories;

    private PackedCorpus(int[] stream, int seqLen, int stories) {
        this.stream = stream;
        this.seqLen = seqLen;
        this.sequences = (stream.length - 1 + seqLen - 1) / seqLen;
        this.stories = stories;
    }

    /** Reads and encodes every story of {@code file}; no usable text is an error naming the file. */
    public static PackedCorpus load(Path file, Tokenizer tokenizer, int seqLen) {
        if (seqLen < 2) throw new IllegalArgumentException("--seq-len must be >= 2, got " + seqLen);
        int[] stream = new int[1 << 16];
        int length = 0, stories = 0;
        try (StoryReader reader = StoryReader.open(file)) {
            for (String s = reader.next(); s != null; s = reader.next()) {
                int[] ids = tokenizer.encode(s, true);
                if (length + ids.length > stream.length) stream = Arrays.copyOf(stream, Math.max(2 * stream.length, length + ids.length));
                System.arraycopy(ids, 0, stream, length, ids.length);
                length += ids.length;
                stories++;
            }
        }
        if (length < 2) {
            throw new IllegalArgumentException("data file " + file + ": no usable text (stories separated by "
                    + StoryReader.SEPARATOR + " lines; found " + length + " tokens)");
        }
        return new PackedCorpus(Arrays.copyOf(stream, length), seqLen, stories);
    }

    public int sequences() { return sequences; }

    public int seqLen() { return seqLen; }

    public int stories() { return stories; }

    public long tokens() { return stream.length; }

    /**
     * Writes sequence i's inputs and labels into row {@code row} of the [rows x seqLen] arrays and
     * returns its number of valid (labelled) positions; padding inputs are 0.
     */
    public int copy(int i, int[] inputs, int[] labels, int row) {
        int from = i * seqLen, off = row * seqLen;
        int valid = Math.min(seqLen, stream.length - 1 - from);
        System.arraycopy(stream, from, inputs, off, valid);
        System.arraycopy(stream, from + 1, labels, off, valid);
        Arrays.fill(inputs, off + valid, off + seqLen, 0);
        Arrays.fill(labels, off + valid, off + seqLen, IGNORE);
        return valid;
    }
}
