package io.loopus.trainer.analyze;

import io.loopus.worker.tokenizer.Tokenizer;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;

/**
 * Calibration sequences from a text file of stories separated by lines {@code <|endoftext|>}
 * (DESIGN §8): empty pieces are dropped, each story is encoded with BOS and cut to the model's
 * context, and the last one is cut so the total is exactly the token budget. The file is read
 * lazily, one story at a time.
 */
final class CalibrationText implements AutoCloseable {
    static final String SEPARATOR = "<|endoftext|>";

    private final Path file;
    private final BufferedReader reader;
    private final Tokenizer tokenizer;
    private final int maxLength;
    private final long budget;
    private long used;

    private CalibrationText(Path file, BufferedReader reader, Tokenizer tokenizer, int maxLength, long budget) {
        this.file = file;
        this.reader = reader;
        this.tokenizer = tokenizer;
        this.maxLength = maxLength;
        this.budget = budget;
    }

    /** Opens {@code file}; a missing or unreadable file is an error that names it. */
    static CalibrationText open(Path file, Tokenizer tokenizer, int maxLength, long budget) {
        checkReadable(file);
        if (maxLength < 1 || budget < 1) {
            throw new IllegalArgumentException("calibration needs a positive length and budget, got " + maxLength + " and " + budget);
        }
        try {
            return new CalibrationText(file, Files.newBufferedReader(file, StandardCharsets.UTF_8), tokenizer, maxLength, budget);
        } catch (IOException e) {
            throw new UncheckedIOException("data file " + file + ": cannot read: " + e.getMessage(), e);
        }
    }

    /** Fails, naming the file, unless it is a readable regular file (before any slow work starts). */
    static void checkReadable(Path file) {
        if (!Files.exists(file)) throw new IllegalArgumentException("data file " + file + ": no such file");
        if (!Files.isRegularFile(file)) throw new IllegalArgumentException("data file " + file + ": not a regular file");
        if (!Files.isReadable(file)) throw new IllegalArgumentException("data file " + file + ": not readable");
    }

    /** The next sequence (BOS first), or null when the text or the budget is used up. */
    int[] next() {
        if (used >= budget) return null;
        String story = nextStory();
        if (story == null) return null;
        int[] ids = tokenizer.encode(story, true);
        int length = (int) Math.min(Math.min(ids.length, maxLength), budget - used);
        used += length;
        return length == ids.length ? ids : Arrays.copyOf(ids, length);
    }

    /** Tokens handed out so far. */
    long used() { return used; }

    private String nextStory() {
        try {
            StringBuilder story = new StringBuilder();
            for (String line = reader.readLine(); line != null; line = reader.readLine()) {
                if (line.strip().equals(SEPARATOR)) {
                    if (!story.toString().isBlank()) return story.toString().strip();
                    story.setLength(0);
                } else {
                    story.append(line).append('\n');
                }
            }
            return story.toString().isBlank() ? null : story.toString().strip();
        } catch (IOException e) {
            throw new UncheckedIOException("data file " + file + ": cannot read: " + e.getMessage(), e);
        }
    }

    @Override public void close() {
        try {
            reader.close();
        } catch (IOException ignored) {
            // read-only: nothing is lost
        }
    }
}
