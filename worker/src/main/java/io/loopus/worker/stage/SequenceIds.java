package io.loopus.worker.stage;

import io.loopus.worker.model.PagedKvCache;

import java.util.HashMap;
import java.util.Map;

/**
 * A stage's sequences in one paged cache: the scheduler's sequence ids mapped to the cache's own,
 * opened on a sequence's first position and freed on release.
 */
final class SequenceIds {
    private final PagedKvCache cache;
    private final Map<Long, Integer> ids = new HashMap<>();

    SequenceIds(PagedKvCache cache) {
        this.cache = cache;
    }

    /**
     * The cache's id of {@code seq}, grown to hold positions [0, end); a sequence must start at
     * position 0 and continue where it stopped (a position already held may be written again).
     */
    int prepare(long seq, int start, int end) {
        Integer id = ids.get(seq);
        if (id == null) {
            if (start != 0) throw new IllegalArgumentException("sequence " + seq + " is unknown here and does not start at position 0");
            id = cache.newSequence();
            ids.put(seq, id);
        } else if (start > cache.length(id)) {
            throw new IllegalArgumentException("sequence " + seq + " skips positions " + cache.length(id) + ".." + (start - 1));
        }
        if (cache.length(id) < end) cache.grow(id, end);
        return id;
    }

    int id(long seq) { return ids.get(seq); }

    boolean contains(long seq) { return ids.containsKey(seq); }

    void release(long seq) {
        Integer id = ids.remove(seq);
        if (id != null) cache.free(id);
    }

    int size() { return ids.size(); }

    PagedKvCache cache() { return cache; }
}
