package io.loopus.worker.hub;

import io.loopus.worker.io.AtomicFiles;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.Writer;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Splits a story file (stories separated by lines {@code <|endoftext|>}) into a training file and a
 * held-out file of its last stories, in the same format, so the eval protocol (DESIGN §8) reads them.
 */
final class StorySplit {
    static final String SEPARATOR = "<|endoftext|>";

    private StorySplit() {}

    /** The stories of {@code file} in order: pieces between separator lines, blank pieces dropped, each stripped. */
    static List<String> read(Path file) throws IOException {
        // Replace rather than fail on a stray bad byte: one odd character must not lose a 19 MB download.
        var decoder = StandardCharsets.UTF_8.newDecoder()
                .onMalformedInput(CodingErrorAction.REPLACE).onUnmappableCharacter(CodingErrorAction.REPLACE);
        List<String> stories = new ArrayList<>();
        StringBuilder story = new StringBuilder();
        try (BufferedReader r = new BufferedReader(new InputStreamReader(Files.newInputStream(file), decoder))) {
            for (String line; (line = r.readLine()) != null; ) {
                if (line.strip().equals(SEPARATOR)) {
                    add(stories, story);
                } else {
                    story.append(line).append('\n');
                }
            }
        }
        add(stories, story);
        return stories;
    }

    /**
     * Writes all stories of {@code source} but the last {@code heldOut} to {@code train} and those last
     * ones to {@code valid}, each story followed by a separator line; each file appears atomically.
     */
    static void split(Path source, int heldOut, Path train, Path valid) throws IOException {
        List<String> stories = read(source);
        if (stories.size() <= heldOut)
            throw new IOException(source + ": has " + stories.size() + " stories, needs more than " + heldOut
                    + " to hold " + heldOut + " out for evaluation");
        int cut = stories.size() - heldOut;
        write(valid, stories.subList(cut, stories.size()));
        write(train, stories.subList(0, cut));
    }

    private static void write(Path target, List<String> stories) throws IOException {
        AtomicFiles.writeFile(target, temp -> {
            try (Writer w = Files.newBufferedWriter(temp, StandardCharsets.UTF_8)) {
                for (String s : stories) w.append(s).append('\n').append(SEPARATOR).append('\n');
            }
        });
    }

    private static void add(List<String> stories, StringBuilder story) {
        String s = story.toString().strip();
        if (!s.isEmpty()) stories.add(s);
        story.setLength(0);
    }
}
