package io.loopus.worker.model;

import io.loopus.worker.tensor.Backend;
import io.loopus.worker.tensor.Tensor;

/** A next-token model that decodes batches of sequences over its own kind of cache. */
public interface CausalModel {
    /** The shape of the (base) model: vocabulary, context, special tokens. */
    LlamaConfig config();

    Backend backend();

    /** A cache for up to {@code capacityTokens} tokens over all sequences. */
    SequenceCache newCache(int capacityTokens);

    /**
     * Runs one step over the batch (prompt chunks and decode tokens of many sequences) and returns
     * the logits of the rows that asked for them, in row order, or null when none asked.
     *
     * @param cache a cache made by this model's {@link #newCache}
     */
    Tensor forward(Batch batch, SequenceCache cache);
}
