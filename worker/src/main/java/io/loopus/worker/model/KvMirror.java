package io.loopus.worker.model;

/**
 * A copy of a {@link PagedKvCache}'s keys and values kept somewhere else (a GPU backend keeps the
 * storage of the caches it runs on its device). The cache owns the block tables and tells its
 * mirror of every copy it makes between sequences, so that callers copy through the cache alone
 * and never need to know where the storage lives.
 */
public interface KvMirror {
    /** Copies whole blocks {@code from[i]} to {@code to[i]}, i < count, in every layer. */
    void copyBlocks(int[] from, int[] to, int count);

    /** Copies positions [start, end) from the sequence of {@code fromTable} to that of {@code toTable}, in every layer. */
    void copyPositions(int[] fromTable, int[] toTable, int start, int end);
}
