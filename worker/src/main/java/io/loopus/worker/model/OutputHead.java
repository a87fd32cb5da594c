package io.loopus.worker.model;

import io.loopus.worker.tensor.Backend;
import io.loopus.worker.tensor.Matrix;
import io.loopus.worker.tensor.Tensor;

/** Final RMSNorm and LM head over the rows of a batch that want logits. Reuses its buffers. */
public final class OutputHead {
    private final LlamaConfig config;
    private final float[] norm;
    private final Matrix lmHead;
    private final Backend backend;
    private Tensor in, logits; // sized by the rows that want logits, not by the batch
    private int[] rowIndex = new int[16];

    public OutputHead(LlamaConfig config, float[] norm, Matrix lmHead, Backend backend) {
        this.config = config;
        this.norm = norm;
        this.lmHead = lmHead;
        this.backend = backend;
    }

    /** Logits of the rows of x whose batch rows want them, in row order; null when none do. */
    public Tensor logits(Tensor x, Batch batch) {
        int m = 0;
        if (rowIndex.length < batch.size) rowIndex = new int[Math.max(batch.size, 2 * rowIndex.length)];
        for (int t = 0; t < batch.size; t++) if (batch.wantLogits[t]) rowIndex[m++] = t;
        if (m == 0) return null;
        if (logits == null || logits.rows() < m) {
            int rows = Math.max(m, logits == null ? 1 : 2 * logits.rows());
            in = backend.allocate(rows, config.dim());
            logits = backend.allocate(rows, config.vocabSize());
        }
        backend.gatherRows(x, rowIndex, m, in);
        backend.rmsNorm(in, m, norm, config.normEps(), in);
        backend.matmul(in, m, lmHead, logits);
        return logits;
    }
}
