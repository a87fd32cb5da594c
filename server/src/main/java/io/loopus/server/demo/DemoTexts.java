package io.loopus.server.demo;

import io.loopus.trainer.data.StoryReader;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

/** The pieces of story text the demo uses: a slice of the training text, the first held-out stories, prompts. */
public final class DemoTexts {
    private DemoTexts() {}

    /** Writes whole stories from the start of {@code source} until {@code chars} characters; returns how many. */
    public static int writeSlice(Path source, long chars, Path target) {
        return write(source, target, Integer.MAX_VALUE, chars);
    }

    /** Writes the first {@code stories} stories of {@code source}; returns how many there were. */
    public static int writeFirst(Path source, int stories, Path target) {
        return write(source, target, stories, Long.MAX_VALUE);
    }

    private static int write(Path source, Path target, int maxStories, long maxChars) {
        int n = 0;
        long chars = 0;
        try (StoryReader r = StoryReader.open(source);
             Writer w = Files.newBufferedWriter(target, StandardCharsets.UTF_8)) {
            for (String s = r.next(); s != null && n < maxStories && chars < maxChars; s = r.next()) {
                w.append(s).append('\n').append(StoryReader.SEPARATOR).append('\n');
                n++;
                chars += s.length();
            }
        } catch (IOException e) {
            throw new UncheckedIOException(target + ": cannot write: " + e.getMessage(), e);
        }
        if (n == 0) throw new IllegalArgumentException("data file " + source + ": no stories (separated by "
                + StoryReader.SEPARATOR + " lines)");
        return n;
    }

    /**
     * Distinct story openings to prompt with: each story's first sentence, or its first
     * {@code maxWords} words when the sentence is longer; pieces that start mid-sentence (a lower-case
     * first letter) are skipped. Reads stories until {@code count} are found, or the file ends.
     */
    public static List<String> openings(Path file, int count, int maxWords) {
        Set<String> out = new LinkedHashSet<>();
        try (StoryReader r = StoryReader.open(file)) {
            for (String s = r.next(); s != null && out.size() < count; s = r.next()) {
                String o = opening(s, maxWords);
                if (!o.isEmpty() && !Character.isLowerCase(o.codePointAt(0))) out.add(o);
            }
        }
        return new ArrayList<>(out);
    }

    static String opening(String story, int maxWords) {
        String[] words = story.strip().split("\\s+");
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < Math.min(words.length, maxWords); i++) {
            if (i > 0) sb.append(' ');
            sb.append(words[i]);
            if (words[i].matches(".*[.!?][\"']?")) break;
        }
        return sb.toString();
    }
}
