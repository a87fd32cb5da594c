package io.loopus.worker.generate;

import io.loopus.worker.loop.HaltingStrategy;
import io.loopus.worker.loop.LoopusModel;
import io.loopus.worker.loop.TokenTrace;
import io.loopus.worker.model.Batch;
import io.loopus.worker.model.CausalModel;
import io.loopus.worker.model.LlamaConfig;
import io.loopus.worker.model.PagedKvCache;
import io.loopus.worker.model.SequenceCache;
import io.loopus.worker.tensor.Tensor;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * Autoregressive decoding over a base or LoopUS model: one sequence, or many decoded together
 * (each step runs every unfinished sequence's next token in one batch). With a LoopUS model and
 * tracing on, each result carries how every new token went through the loop.
 */
public final class Generator {
    /** Called with each new token as soon as it is chosen; returns false to stop (a stop string). */
    @FunctionalInterface
    public interface TokenListener {
        boolean onToken(int prev, int token);
    }

    private final CausalModel model;
    private final LoopusModel looped; // null for a base model
    private final LlamaConfig config;
    private final Batch batch = new Batch();
    private final float[] row;
    private boolean tracing;

    public Generator(CausalModel model) {
        this.model = model;
        this.looped = model instanceof LoopusModel l ? l : null;
        this.config = model.config();
        this.row = new float[config.vocabSize()];
    }

    public CausalModel model() { return model; }

    /** Whether results carry a {@link TokenTrace} per new token (LoopUS models only). */
    public Generator tracing(boolean on) {
        this.tracing = on && looped != null;
        return this;
    }

    /** Checks that a prompt can be decoded: not empty, in the vocabulary, shorter than the context. */
    public void validatePrompt(int[] promptIds) {
        if (promptIds.length == 0) throw new IllegalArgumentException("the prompt is empty");
        if (promptIds.length >= config.contextLength()) {
            throw new IllegalArgumentException("the prompt has " + promptIds.length + " tokens; the model's context is "
                    + config.contextLength() + " and at least one new token must fit");
        }
        for (int id : promptIds) {
            if (id < 0 || id >= config.vocabSize()) {
                throw new IllegalArgumentException("token id " + id + " is outside the vocabulary of " + config.vocabSize());
            }
        }
    }

    public GenerationResult generate(int[] promptIds, int maxNewTokens, SamplingParams params, TokenListener listener) {
        return generateAll(List.of(promptIds), maxNewTokens, List.of(params), listener == null ? null
                : (seqIndex, prev, token) -> listener.onToken(prev, token)).get(0);
    }

    /** Token callback for batched generation; returns false to stop that sequence. */
    @FunctionalInterface
    public interface BatchListener {
        boolean onToken(int sequence, int prev, int token);
    }

    /**
     * Decodes every prompt together: one prefill step for all prompts, then one step per token
     * over the sequences still running. Each result equals decoding that prompt alone.
     */
    public List<GenerationResult> generateAll(List<int[]> prompts, int maxNewTokens, List<SamplingParams> params,
                                              BatchListener listener) {
        if (maxNewTokens <= 0) throw new IllegalArgumentException("max new tokens must be > 0, got " + maxNewTokens);
        int count = prompts.size();
        for (int[] p : prompts) validatePrompt(p);
        long start = System.nanoTime();
        int capacity = 0;
        for (int[] p : prompts) capacity += Math.min(config.contextLength(), p.length + maxNewTokens);
        SequenceCache cache = model.newCache(capacity + PagedKvCache.DEFAULT_BLOCK_SIZE * count);

        int[] seq = new int[count];
        int[][] history = new int[count][];
        int[] length = new int[count];
        int[] generated = new int[count];
        String[] finish = new String[count];
        Sampler[] samplers = new Sampler[count];
        List<List<TokenTrace>> traces = new ArrayList<>();
        batch.clear();
        for (int s = 0; s < count; s++) {
            int[] p = prompts.get(s);
            seq[s] = cache.newSequence();
            history[s] = Arrays.copyOf(p, Math.min(config.contextLength(), p.length + maxNewTokens));
            length[s] = p.length;
            samplers[s] = new Sampler(params.get(count == params.size() ? s : 0), config.vocabSize());
            traces.add(tracing ? new ArrayList<>() : null);
            batch.addChunk(seq[s], p, 0, p.length, 0, false);
        }
        int[] active = new int[count];
        int activeCount = count;
        for (int s = 0; s < count; s++) active[s] = s;

        while (activeCount > 0) {
            Tensor logits = model.forward(batch, cache);
            int next = 0;
            for (int a = 0; a < activeCount; a++) {
                int s = active[a];
                model.backend().read(logits, a, row);
                int token = samplers[s].sample(row, 0, history[s], length[s]);
                int prev = history[s][length[s] - 1];
                if (config.isEos(token)) {
                    finish[s] = "stop";
                    continue;
                }
                history[s][length[s]++] = token;
                generated[s]++;
                if (tracing) traces.get(s).add(looped.trace(a));
                if (listener != null && !listener.onToken(s, prev, token)) {
                    finish[s] = "stop";
                    continue;
                }
                if (generated[s] >= maxNewTokens || length[s] >= config.contextLength()) {
                    finish[s] = "length";
                    continue;
                }
                active[next++] = s;
            }
            activeCount = next;
            batch.clear();
            for (int a = 0; a < activeCount; a++) {
                int s = active[a];
                batch.add(seq[s], history[s][length[s] - 1], length[s] - 1, true);
            }
        }
        double seconds = (System.nanoTime() - start) / 1e9;
        GenerationResult[] out = new GenerationResult[count];
        for (int s = 0; s < count; s++) {
            int[] p = prompts.get(s);
            out[s] = new GenerationResult(p, Arrays.copyOfRange(history[s], p.length, length[s]), finish[s], seconds,
                    traces.get(s));
            cache.free(seq[s]);
        }
        return List.of(out);
    }

    /**
     * Mean next-token negative log-likelihood of ids[1..] given the preceding ids, and the logits
     * after the last id. One forward pass over the whole sequence; but a LoopUS model whose exits
     * are adaptive is fed one token per step with its cache (teacher forcing), so that each
     * position leaves the loop at its own depth, as in generation.
     */
    public Score score(int[] ids) {
        if (ids.length < 2) throw new IllegalArgumentException("scoring needs at least 2 tokens, got " + ids.length);
        if (ids.length > config.contextLength()) {
            throw new IllegalArgumentException("the text has " + ids.length + " tokens, more than the model's context of "
                    + config.contextLength());
        }
        boolean tokenByToken = looped != null && looped.exitPolicy().strategy() != HaltingStrategy.FIXED;
        SequenceCache cache = model.newCache(ids.length);
        int seq = cache.newSequence();
        int v = config.vocabSize();
        double nll = 0;
        int[] depths = looped == null ? null : new int[ids.length - 1];
        Tensor logits = null;
        try {
            if (!tokenByToken) {
                batch.clear();
                batch.addChunk(seq, ids, 0, ids.length, 0, true);
                logits = model.forward(batch, cache);
                if (looped != null) java.util.Arrays.fill(depths, looped.exitDepth(0));
            }
            for (int t = 0; t < ids.length; t++) {
                if (tokenByToken) {
                    batch.clear();
                    batch.add(seq, ids[t], t, true);
                    logits = model.forward(batch, cache);
                    if (t + 1 < ids.length) depths[t] = looped.exitDepth(0);
                }
                model.backend().read(logits, tokenByToken ? 0 : t, row);
                if (t + 1 < ids.length) nll += -logSoftmax(row, 0, v, ids[t + 1]);
            }
        } finally {
            cache.free(seq);
        }
        return new Score(ids.length, nll / (ids.length - 1), row.clone(), depths);
    }

    /** log softmax(x[off..off+n))[target], in double. */
    public static double logSoftmax(float[] x, int off, int n, int target) {
        double max = Double.NEGATIVE_INFINITY;
        for (int i = 0; i < n; i++) max = Math.max(max, x[off + i]);
        double sum = 0;
        for (int i = 0; i < n; i++) sum += Math.exp(x[off + i] - max);
        return x[off + target] - max - Math.log(sum);
    }

    /**
     * Result of {@link #score}: tokens including BOS, mean NLL, logits after the last token, and
     * for a LoopUS model the loop depth of each predicting position (null for a base model).
     */
    public record Score(int tokens, double nll, float[] lastLogits, int[] depths) {
        /** Mean loop depth per predicted token; NaN for a base model. */
        public double loops() {
            if (depths == null) return Double.NaN;
            long sum = 0;
            for (int d : depths) sum += d;
            return (double) sum / depths.length;
        }

        public double ppl() { return Math.exp(nll); }
    }
}
