package io.loopus.worker.stage;

import io.loopus.worker.loop.Split;
import io.loopus.worker.model.LlamaConfig;
import io.loopus.worker.model.PagedKvCache;

/**
 * Device memory each serving stage will take, estimated from the model's shape before anything is
 * loaded: its share of the weights (in their dtype: the weight files' bytes per parameter), its KV
 * caches (F32, whole blocks; the loop stage's once per depth), and work space for the largest step
 * (activations, attention scores, logits). Used to refuse a placement that cannot fit.
 *
 * @param weightBytesPerValue bytes per weight as the model stores them (4, or 2 for F16/BF16)
 * @param depths              loop-stage KV copies (the deepest loop, or 1 for a base model or shared KV)
 * @param rows                rows of the largest step a stage runs (step tokens, loop pool rows)
 */
public record StageMemory(LlamaConfig config, Split split, double weightBytesPerValue, int kvTokens, int depths, int rows) {
    /** What one stage needs, in bytes. */
    public record Need(long weights, long kv, long work) {
        public long total() { return weights + kv + work; }
    }

    /** The weight files' bytes divided by the parameters they hold (norms and the gate are negligible). */
    public static double bytesPerValue(LlamaConfig c, long weightBytes) {
        long params = c.layers() * layerParams(c) + (long) c.vocabSize() * c.dim() * (c.tiedEmbeddings() ? 1 : 2);
        return weightBytes <= 0 ? 4 : Math.min(4, Math.max(2, (double) weightBytes / params));
    }

    static long layerParams(LlamaConfig c) {
        long d = c.dim();
        return d * c.qDim() * 2 + 2 * d * c.kvDim() + 3 * d * c.hiddenDim();
    }

    public Need encoder() {
        long embedding = (long) config.vocabSize() * config.dim();
        return need(embedding + split.encoderLayers() * layerParams(config), split.encoderLayers(), 1);
    }

    public Need loop() {
        return need(split.reasoningLayers() * layerParams(config), split.reasoningLayers(), depths);
    }

    public Need decoder() {
        long head = (long) config.vocabSize() * config.dim(); // its own device copy even when tied
        return need(head + split.decoderLayers() * layerParams(config), split.decoderLayers(), 1);
    }

    /** Encoder, loop, decoder. */
    public Need[] stages() {
        return new Need[] {encoder(), loop(), decoder()};
    }

    private Need need(long params, int layers, int copies) {
        int block = PagedKvCache.DEFAULT_BLOCK_SIZE;
        long tokens = (long) (kvTokens + block - 1) / block * block * copies;
        long kv = 2L * Float.BYTES * config.kvDim() * layers * tokens;
        LlamaConfig c = config;
        long perRow = 4L * (6L * c.dim() + 2L * c.qDim() + 2L * c.kvDim() + 2L * c.hiddenDim() + c.vocabSize()
                + (long) c.heads() * c.contextLength());
        return new Need((long) Math.ceil(params * weightBytesPerValue), kv, perRow * rows);
    }
}
