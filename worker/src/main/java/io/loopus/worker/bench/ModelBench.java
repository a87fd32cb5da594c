package io.loopus.worker.bench;

import io.loopus.worker.generate.Sampler;
import io.loopus.worker.model.Batch;
import io.loopus.worker.model.LlamaConfig;
import io.loopus.worker.model.LlamaModel;
import io.loopus.worker.model.PagedKvCache;
import io.loopus.worker.tensor.Tensor;
import io.loopus.worker.tokenizer.Tokenizer;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.function.Consumer;

/**
 * Steady-state speed of one model on its backend: prefill, single-stream decode, batched decode,
 * and the memory read bandwidth that bounds decoding.
 *
 * <p>Geometry: every decoding sequence starts from a prompt of {@code promptTokens} (P) tokens and
 * decodes positions P..E-1 (E = {@code contextEnd}) over and over, so attention always has between
 * P+1 and E positions of context; the cache entries a wrap-around revisits are simply overwritten.
 * Batched sequences start from the single stream's cache (the same prompt, copied) at positions
 * spread evenly over [P, E), and each step decodes one token of every sequence in one forward.
 * Each measurement first warms up as long as it measures (the JIT needs seconds to settle the
 * kernels of a phase), then counts tokens for {@code seconds}.
 */
public final class ModelBench {
    public static final int[] BATCH_SIZES = {1, 8, 32, 64};
    private static final int BANDWIDTH_PASSES = 5;

    /** Everything the bench reports; rates in tokens per second, bandwidths in GB/s (1e9 bytes/s). */
    public record Result(double decodeSingleTokS, Map<Integer, Double> decodeBatchedTokS, double prefillTokS,
                         long weightBytesPerToken, double weightGbS, double readBandwidthGbS,
                         int prefillTokens, int promptTokens, int contextEnd) {}

    private final LlamaModel model;
    private final LlamaConfig config;
    private final int[] prompt;
    private final double seconds;
    private final long bandwidthBytes;
    private final Consumer<String> progress;
    private final Batch batch = new Batch();
    private final float[] row;
    private final int prefillLen, promptLen, contextEnd;

    /**
     * @param prompt         token ids to prefill with; repeated if shorter than the prefill chunk
     * @param seconds        measuring time of each phase (plus as much warm-up)
     * @param bandwidthBytes size of the buffer the bandwidth pass reads (far above the caches)
     * @param progress       receives one line as each phase starts and ends
     */
    public ModelBench(LlamaModel model, int[] prompt, double seconds, long bandwidthBytes, Consumer<String> progress) {
        this.model = model;
        this.config = model.config();
        if (!(seconds > 0)) throw new IllegalArgumentException("--seconds must be > 0, got " + seconds);
        if (prompt.length == 0) throw new IllegalArgumentException("the bench prompt is empty");
        int ctx = config.contextLength();
        if (ctx < 2) throw new IllegalArgumentException("the model's context (" + ctx + ") is too short to bench decoding");
        this.prefillLen = Math.min(ctx, 256);
        this.promptLen = Math.max(1, Math.min(64, ctx / 4));
        this.contextEnd = Math.min(ctx, 2 * promptLen);
        this.prompt = new int[prefillLen];
        for (int i = 0; i < prefillLen; i++) this.prompt[i] = prompt[i % prompt.length];
        this.seconds = seconds;
        this.bandwidthBytes = bandwidthBytes;
        this.progress = progress;
        this.row = new float[config.vocabSize()];
    }

    /** Seeded random ids in [3, vocab) (past the special tokens); speed does not depend on the ids. */
    public static int[] randomPrompt(int vocab, int length, long seed) {
        SplittableRandom r = new SplittableRandom(seed);
        int lo = vocab > 3 ? 3 : 0;
        int[] ids = new int[length];
        for (int i = 0; i < length; i++) ids[i] = lo + r.nextInt(vocab - lo);
        return ids;
    }

    /** A fixed English passage, encoded with BOS. */
    public static int[] textPrompt(Tokenizer tokenizer) {
        return tokenizer.encode("Once upon a time, there was a little girl named Lily. She loved to play outside in the"
                + " park with her friends. One day, she saw a big red ball under a tree. She wanted to play with it, but"
                + " it was too high. Her mom said, \"Lily, let's ask the man in the blue hat to help us.\" The man smiled"
                + " and reached up to get the ball. Lily was very happy and said thank you. They played together until"
                + " the sun went down, and then they all went home for dinner.", true);
    }

    public Result run() {
        long bufferBytes = Math.min(bandwidthBytes, Runtime.getRuntime().maxMemory() / 3); // leave the heap room for the model
        progress.accept(String.format("read bandwidth: streaming sum over %d MiB%s, %d passes...", bufferBytes >> 20,
                bufferBytes < bandwidthBytes ? " (all the heap allows)" : "", BANDWIDTH_PASSES));
        double bandwidth = MemoryBandwidth.measure(bufferBytes, BANDWIDTH_PASSES);
        progress.accept(String.format("  %.1f GB/s", bandwidth));

        progress.accept("prefill: " + prefillLen + " tokens in one forward...");
        double prefill = prefill();
        progress.accept(String.format("  %.1f tok/s", prefill));

        PagedKvCache cache = model.newCache((BATCH_SIZES[BATCH_SIZES.length - 1] + 1) * roundUp(contextEnd));
        progress.accept("decode, single stream: prompt " + promptLen + ", positions " + promptLen + ".." + (contextEnd - 1) + "...");
        int seq0 = cache.newSequence();
        double single = singleStream(cache, seq0);
        progress.accept(String.format("  %.1f tok/s", single));

        Map<Integer, Double> batched = new LinkedHashMap<>();
        int[] seqs = new int[BATCH_SIZES[BATCH_SIZES.length - 1]];
        for (int i = 0; i < seqs.length; i++) {
            seqs[i] = cache.newSequence();
            cache.copyPrefix(seq0, seqs[i], contextEnd);
        }
        for (int b : BATCH_SIZES) {
            progress.accept("decode, batch " + b + "...");
            double rate = batched(cache, seqs, b);
            progress.accept(String.format("  %.1f tok/s", rate));
            batched.put(b, rate);
        }
        long bytes = model.weights().bytesPerToken();
        return new Result(single, batched, prefill, bytes, bytes * single / 1e9, bandwidth, prefillLen, promptLen, contextEnd);
    }

    private static int roundUp(int tokens) {
        int b = PagedKvCache.DEFAULT_BLOCK_SIZE;
        return (tokens + b - 1) / b * b;
    }

    /** One unit of work: returns how many tokens it processed. */
    @FunctionalInterface
    private interface Step {
        int run();
    }

    /** Tokens per second of {@code step} after warming up. */
    private double rate(Step step) {
        long warmEnd = System.nanoTime() + (long) (seconds * 1e9);
        do step.run(); while (System.nanoTime() < warmEnd);
        long t0 = System.nanoTime();
        long tokens = 0;
        long elapsed;
        do {
            tokens += step.run();
            elapsed = System.nanoTime() - t0;
        } while (elapsed < seconds * 1e9);
        return tokens / (elapsed / 1e9);
    }

    private double prefill() {
        PagedKvCache cache = model.newCache(prefillLen);
        int seq = cache.newSequence();
        return rate(() -> {
            batch.clear();
            batch.addChunk(seq, prompt, 0, prefillLen, 0, false);
            model.forward(batch, cache);
            return prefillLen;
        });
    }

    private int argmax(Tensor logits, int r) {
        model.backend().read(logits, r, row);
        return Sampler.argmax(row, row.length);
    }

    private double singleStream(PagedKvCache cache, int seq) {
        batch.clear();
        batch.addChunk(seq, prompt, 0, promptLen, 0, false);
        int[] state = {argmax(model.forward(batch, cache), 0), promptLen}; // next token, its position
        Step step = () -> {
            batch.clear();
            batch.add(seq, state[0], state[1], true);
            state[0] = argmax(model.forward(batch, cache), 0);
            state[1] = state[1] + 1 == contextEnd ? promptLen : state[1] + 1;
            return 1;
        };
        for (int p = promptLen; p < contextEnd; p++) step.run(); // fills [0, contextEnd) for the batched phase
        return rate(step);
    }

    private double batched(PagedKvCache cache, int[] seqs, int size) {
        int span = contextEnd - promptLen;
        int[] pos = new int[size], token = new int[size];
        for (int i = 0; i < size; i++) {
            pos[i] = promptLen + (int) ((long) i * span / size);
            token[i] = prompt[(promptLen + i) % prompt.length];
        }
        return rate(() -> {
            batch.clear();
            for (int i = 0; i < size; i++) batch.add(seqs[i], token[i], pos[i], true);
            Tensor logits = model.forward(batch, cache);
            for (int i = 0; i < size; i++) {
                token[i] = argmax(logits, i);
                pos[i] = pos[i] + 1 == contextEnd ? promptLen : pos[i] + 1;
            }
            return size;
        });
    }
}
