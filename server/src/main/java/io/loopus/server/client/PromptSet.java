package io.loopus.server.client;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/** The prompts a load test cycles through. */
public record PromptSet(List<String> prompts) {
    /** Short story openings, the kind of text the small story models continue well. */
    public static final PromptSet DEFAULT = new PromptSet(List.of(
            "Once upon a time", "The little dog", "One day, a girl named Lily", "Tom had a big red ball",
            "In a small house by the sea", "The sun was shining and", "A cat sat on the wall",
            "Ben and his mom went to the park", "There was a tiny bird who", "The old tree in the garden",
            "Sara found a shiny stone", "It was a rainy day, so", "The boy wanted to fly", "Max the bear was hungry",
            "Mia liked to draw pictures", "Far away, in a big forest,"));

    public PromptSet {
        if (prompts.isEmpty()) throw new IllegalArgumentException("no prompts");
        prompts = List.copyOf(prompts);
    }

    /** One prompt per line; blank lines are skipped. */
    public static PromptSet fromFile(Path file) {
        List<String> lines;
        try {
            lines = Files.readAllLines(file, StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException(file + ": cannot read prompts: " + e.getMessage(), e);
        }
        List<String> prompts = lines.stream().filter(l -> !l.isBlank()).toList();
        if (prompts.isEmpty()) throw new IllegalArgumentException(file + ": holds no prompts (one per line)");
        return new PromptSet(prompts);
    }

    public String get(int i) {
        return prompts.get(i % prompts.size());
    }
}
