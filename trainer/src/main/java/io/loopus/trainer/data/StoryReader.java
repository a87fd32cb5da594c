package io.loopus.trainer.data;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * The stories of a text file separated by lines {@code <|endoftext|>} (DESIGN §8): each story is
 * its lines joined and stripped; empty pieces are dropped. Read lazily, one story at a time.
 */
public final class StoryReader implements AutoCloseable {
    public static final String SEPARATOR = "<|endoftext|>";

    private final Path file;
    private final BufferedReader reader;

    private StoryReader(Path file, BufferedReader reader) {
        this.file = file;
        this.reader = reader;
    }

    /** Opens {@code file}; a missing or unreadable file is an error that names it. */
    public static StoryReader open(Path file) {
        checkReadable(file);
        try {
            return new StoryReader(file, Files.newBufferedReader(file, StandardCharsets.UTF_8));
        } catch (IOException e) {
            throw new UncheckedIOException("data file " + file + ": cannot read: " + e.getMessage(), e);
        }
    }

    /** Fails, naming the file, unless it is a readable regular file (before any slow work starts). */
    public static void checkReadable(Path file) {
        if (!Files.exists(file)) throw new IllegalArgumentException("data file " + file + ": no such file");
        if (!Files.isRegularFile(file)) throw new IllegalArgumentException("data file " + file + ": not a regular file");
        if (!Files.isReadable(file)) throw new IllegalArgumentException("data file " + file + ": not readable");
    }

    public Path file() { return file; }

    /** The next non-empty story, or null at the end of the file. */
    public String next() {
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
