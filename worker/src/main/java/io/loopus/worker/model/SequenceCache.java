package io.loopus.worker.model;

/** Per-sequence state of a model (its KV caches): sequences are opened, and freed when done. */
public interface SequenceCache {
    /** Starts an empty sequence and returns its id. */
    int newSequence();

    /** Releases the sequence's memory. Unknown ids are ignored. */
    void free(int seq);
}
