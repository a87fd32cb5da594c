package io.loopus.trainer.eval;

import io.loopus.trainer.data.StoryReader;
import io.loopus.worker.tokenizer.Tokenizer;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * A held-out text encoded for perplexity (DESIGN §8): each story with BOS, cut to the model's
 * context; stories of a single token predict nothing and are left out.
 */
public record HeldOutText(Path file, List<int[]> stories, long predictedTokens) {
    /** The first {@code count} stories (all when count is 0 or more than there are). */
    public HeldOutText first(int count) {
        if (count <= 0 || count >= stories.size()) return this;
        List<int[]> some = stories.subList(0, count);
        return new HeldOutText(file, some, some.stream().mapToLong(s -> s.length - 1).sum());
    }

    public static HeldOutText load(Path file, Tokenizer tokenizer, int contextLength) {
        return load(file, tokenizer, contextLength, Integer.MAX_VALUE);
    }

    /** The first {@code limit} usable stories of {@code file} only. */
    public static HeldOutText load(Path file, Tokenizer tokenizer, int contextLength, int limit) {
        List<int[]> stories = new ArrayList<>();
        long predicted = 0;
        try (StoryReader reader = StoryReader.open(file)) {
            for (String s = reader.next(); s != null && stories.size() < limit; s = reader.next()) {
                int[] ids = tokenizer.encode(s, true);
                if (ids.length > contextLength) ids = Arrays.copyOf(ids, contextLength);
                if (ids.length < 2) continue;
                stories.add(ids);
                predicted += ids.length - 1;
            }
        }
        if (stories.isEmpty()) {
            throw new IllegalArgumentException("data file " + file + ": no usable text (no story of two tokens or more"
                    + " between " + StoryReader.SEPARATOR + " lines)");
        }
        return new HeldOutText(file, List.copyOf(stories), predicted);
    }
}
