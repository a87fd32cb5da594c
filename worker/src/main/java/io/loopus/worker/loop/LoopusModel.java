package io.loopus.worker.loop;

import io.loopus.worker.model.Batch;
import io.loopus.worker.model.CausalModel;
import io.loopus.worker.model.LlamaConfig;
import io.loopus.worker.model.SequenceCache;
import io.loopus.worker.stage.EncodeChunk;
import io.loopus.worker.stage.Hidden;
import io.loopus.worker.stage.Logits;
import io.loopus.worker.stage.Looped;
import io.loopus.worker.tensor.Backend;
import io.loopus.worker.tensor.Tensor;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * A base model recast as encoder, looped reasoning block and decoder (DESIGN §1), run in one
 * process: one {@link #forward} step takes a batch of prompt chunks and decode tokens through the
 * same encoder, loop and decoder blocks the serving stages use. The loop block makes pass after
 * pass over the chunks still looping (chunks at every depth share each pass), each chunk leaving
 * at its own depth.
 *
 * <p>A chunk whose last row wants logits ends what goes into the loop: a prompt fed in pieces
 * waits in the encoder until the piece that asks for logits, so the whole prompt loops, and exits,
 * as one unit, deciding its depth at its last position. A chunk asks for logits at its last row
 * only, or at every row. Not thread-safe.
 */
public final class LoopusModel implements CausalModel {
    private final LlamaConfig config;
    private final LoopusWeights weights;
    private final LoopusConfig loopConfig;
    private final Backend backend;
    private ExitPolicy exitPolicy;
    private KvPolicy kvPolicy = KvPolicy.PER_DEPTH;
    private Tensor logits;
    private Logits[] logitRows = new Logits[16]; // the decoder result each logit row of the last step came from
    private final Map<Long, Logits> results = new HashMap<>();

    public LoopusModel(LlamaConfig config, LoopusWeights weights, LoopusConfig loopConfig, Backend backend) {
        Split s = loopConfig.split();
        if (s.layers() != config.layers()) {
            throw new IllegalArgumentException("split " + s + " is for " + s.layers() + " layers; the model has " + config.layers());
        }
        if (weights.gate().hidden() != config.dim() || weights.head().hidden() != config.dim()) {
            throw new IllegalArgumentException("gate and head are for hidden size " + weights.gate().hidden()
                    + "; the model's is " + config.dim());
        }
        this.config = config;
        this.weights = weights;
        this.loopConfig = loopConfig;
        this.backend = backend;
        this.exitPolicy = loopConfig.exitPolicy();
    }

    @Override public LlamaConfig config() { return config; }

    @Override public Backend backend() { return backend; }

    public LoopusWeights weights() { return weights; }

    public LoopusConfig loopConfig() { return loopConfig; }

    public Split split() { return loopConfig.split(); }

    /** The exit rule new sequences get (the checkpoint's unless changed). */
    public ExitPolicy exitPolicy() { return exitPolicy; }

    public void setExitPolicy(ExitPolicy policy) { this.exitPolicy = policy; }

    public KvPolicy kvPolicy() { return kvPolicy; }

    public void setKvPolicy(KvPolicy policy) { this.kvPolicy = policy; }

    /** A cache under the current KV policy, with the current exit rule for its sequences. */
    @Override public LoopusCache newCache(int capacityTokens) {
        return new LoopusCache(this, capacityTokens, kvPolicy, exitPolicy);
    }

    @Override public Tensor forward(Batch batch, SequenceCache cache) {
        if (!(cache instanceof LoopusCache c)) {
            throw new IllegalArgumentException("a LoopUS model needs its own LoopusCache, got " + cache.getClass().getSimpleName());
        }
        return forward(batch, c);
    }

    /**
     * Runs one step and returns the logits of the rows that want them, in row order (null when
     * none do). {@link #trace} then tells how each of those rows went through the loop.
     */
    public Tensor forward(Batch batch, LoopusCache cache) {
        batch.validate(config);
        List<EncodeChunk> chunks = chunks(batch, cache);
        results.clear();
        List<Hidden> looping = cache.encoder.encode(chunks);
        for (Hidden h : looping) cache.loop.add(h);
        List<Looped> left = new ArrayList<>(looping.size());
        while (!cache.loop.isEmpty()) left.addAll(cache.loop.pass());
        if (left.isEmpty()) return null;
        for (Logits l : cache.decoder.decode(left)) results.put(l.seq(), l);
        return gather(batch, chunks);
    }

    /** The batch's rows as one chunk per sequence, checked: contiguous, consecutive positions, logits at the end or everywhere. */
    private List<EncodeChunk> chunks(Batch batch, LoopusCache cache) {
        List<EncodeChunk> out = new ArrayList<>();
        int n = batch.size();
        for (int start = 0; start < n; ) {
            int seq = batch.sequence(start), end = start + 1;
            while (end < n && batch.sequence(end) == seq) {
                if (batch.position(end) != batch.position(end - 1) + 1) {
                    throw new IllegalArgumentException("the rows of sequence " + seq + " are not at consecutive positions");
                }
                end++;
            }
            for (EncodeChunk c : out) {
                if (c.seq() == seq) {
                    throw new IllegalArgumentException("sequence " + seq + " has rows in two places of one batch;"
                            + " a step takes one contiguous chunk per sequence");
                }
            }
            int wanting = 0;
            for (int t = start; t < end; t++) if (batch.wantsLogits(t)) wanting++;
            boolean last = batch.wantsLogits(end - 1);
            boolean all = wanting == end - start;
            if (wanting > 0 && !last || wanting > 1 && !all) {
                throw new IllegalArgumentException("sequence " + seq + ": a chunk wants logits at its last row or at every row");
            }
            int[] tokens = Arrays.copyOfRange(batch.tokens(), start, end);
            out.add(new EncodeChunk(seq, batch.position(start), tokens, last, all && end - start > 1, cache.exitPolicy(cache.check(seq))));
            start = end;
        }
        return out;
    }

    /** Copies each wanted row's logits into the output, in batch row order. */
    private Tensor gather(Batch batch, List<EncodeChunk> chunks) {
        int m = batch.logitRows(), vocab = config.vocabSize();
        if (logits == null || logits.rows() < m) logits = backend.allocate(Math.max(m, logits == null ? 1 : 2 * logits.rows()), vocab);
        if (logitRows.length < m) logitRows = new Logits[Math.max(m, 2 * logitRows.length)];
        int row = 0;
        for (EncodeChunk c : chunks) {
            if (!c.last()) continue;
            Logits l = results.get(c.seq());
            int rows = c.allLogits() ? c.tokens().length : 1;
            int skip = l.values().length / vocab - rows; // all logits of a prompt whose first pieces came earlier: this chunk's rows
            backend.writeRows(logits, row, rows, l.values(), skip * vocab);
            for (int i = 0; i < rows; i++) logitRows[row + i] = l;
            row += rows;
        }
        return logits;
    }

    /**
     * How the row {@code logitRow} of the last step's logits went through the loop (rows of one
     * chunk share their chunk's trace).
     */
    public TokenTrace trace(int logitRow) {
        Logits l = logitRows[logitRow];
        return new TokenTrace(l.depth(), l.q(), l.meanAbar());
    }

    /** The exit depth of the chunk that produced logit row {@code logitRow} in the last step. */
    public int exitDepth(int logitRow) { return logitRows[logitRow].depth(); }
}
