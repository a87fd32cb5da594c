package io.loopus.trainer.train;

import io.loopus.trainer.data.MicroBatchOrder;
import io.loopus.trainer.data.PackedCorpus;

/** Micro-batch g of the run: the sequences the seeded order places there, sliced from the corpus. */
public final class BatchSource {
    private final PackedCorpus corpus;
    private final MicroBatchOrder order;

    public BatchSource(PackedCorpus corpus, int batch, long seed) {
        this.corpus = corpus;
        this.order = new MicroBatchOrder(corpus.sequences(), batch, seed);
    }
    public PackedCorpus corpus() { return corpus; }

    public MicroBatch get(long g) {
        int b = order.size(), len = corpus.seqLen();
        int[] inputs = new int[b * len], labels = new int[b * len], valid = new int[b];
        for (int j = 0; j < b; j++) valid[j] = corpus.copy(order.sequence(g, j), inputs, labels, j);
        return new MicroBatch(g, inputs, labels, valid);
    }
}
