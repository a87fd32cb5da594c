package io.loopus.trainer.analyze;

import io.loopus.trainer.data.StoryReader;
import io.loopus.worker.tokenizer.Tokenizer;

import java.nio.file.Path;
import java.util.Arrays;

/**
 * Calibration sequences from a text file of stories (see {@link StoryReader}): each story is
 * encoded with BOS and cut to the model's context, and the last one is cut so the total is exactly
 * the token budget.
 */
final class CalibrationText implements AutoCloseable {
    private final StoryReader stories;
    private final Tokenizer tokenizer;
    private final int maxLength;
    private final long budget;
    private long used;

    private CalibrationText(StoryReader stories, Tokenizer tokenizer, int maxLength, long budget) {
        this.stories = stories;
        this.tokenizer = tokenizer;
        this.maxLength = maxLength;
        this.budget = budget;
    }

    /** Opens {@code file}; a missing or unreadable file is an error that names it. */
    static CalibrationText open(Path file, Tokenizer tokenizer, int maxLength, long budget) {
        StoryReader.checkReadable(file);
        if (maxLength < 1 || budget < 1) {
            throw new IllegalArgumentException("calibration needs a positive length and budget, got " + maxLength + " and " + budget);
        }
        return new CalibrationText(StoryReader.open(file), tokenizer, maxLength, budget);
    }

    /** The next sequence (BOS first), or null when the text or the budget is used up. */
    int[] next() {
        if (used >= budget) return null;
        String story = stories.next();
        if (story == null) return null;
        int[] ids = tokenizer.encode(story, true);
        int length = (int) Math.min(Math.min(ids.length, maxLength), budget - used);
        used += length;
        return length == ids.length ? ids : Arrays.copyOf(ids, length);
    }

    /** Tokens handed out so far. */
    long used() { return used; }

    @Override public void close() {
        stories.close();
    }
}
