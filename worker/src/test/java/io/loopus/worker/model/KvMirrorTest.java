package io.loopus.worker.model;

import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

/** A cache with device storage tells its mirror of every copy, with the block tables it holds. */
class KvMirrorTest {
    @Test
    void copiesGoToTheMirror() {
        PagedKvCache cache = new PagedKvCache(2, 2, 8, 4, 64);
        List<String> calls = new ArrayList<>();
        KvMirror mirror = new KvMirror() {
            @Override public void copyBlocks(int[] from, int[] to, int count) {
                calls.add("blocks " + from[0] + "->" + to[0] + " x" + count);
            }

            @Override public void copyPositions(int[] fromTable, int[] toTable, int start, int end) {
                calls.add("positions " + fromTable[0] + "->" + toTable[0] + " [" + start + "," + end + ")");
            }
        };
        cache.attachMirror(mirror);
        cache.attachMirror(mirror); // the same device again is fine
        int a = cache.newSequence(), b = cache.newSequence(), c = cache.newSequence();
        cache.grow(a, 10);
        cache.grow(b, 10);
        cache.copyPositions(a, b, 2, 9);
        cache.copyPrefix(a, c, 10);
        assertEquals(List.of("positions " + cache.blockTable(a)[0] + "->" + cache.blockTable(b)[0] + " [2,9)",
                "blocks " + cache.blockTable(a)[0] + "->" + cache.blockTable(c)[0] + " x3"), calls);
        assertThrows(IllegalStateException.class, () -> cache.attachMirror(new KvMirror() {
            @Override public void copyBlocks(int[] from, int[] to, int count) {}

            @Override public void copyPositions(int[] fromTable, int[] toTable, int start, int end) {}
        }));
    }

    @Test
    void hostCopiesStillWorkWithoutAMirror() {
        PagedKvCache cache = new PagedKvCache(1, 1, 4, 4, 32);
        int a = cache.newSequence(), b = cache.newSequence();
        cache.grow(a, 6);
        cache.grow(b, 6);
        float[] k = cache.keys(0);
        int base = cache.blockBase(cache.blockTable(a), 5), slot = 5 % 4;
        k[base + 2 * 4 + slot] = 42f; // channel 2 of position 5
        cache.copyPositions(a, b, 5, 6);
        assertEquals(42f, cache.keys(0)[cache.blockBase(cache.blockTable(b), 5) + 2 * 4 + slot]);
    }
}
