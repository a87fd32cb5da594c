package io.loopus.worker.loop;

import io.loopus.worker.model.Batch;
import io.loopus.worker.model.CausalModel;
import io.loopus.worker.model.LayerStack;
import io.loopus.worker.model.LayerWeights;
import io.loopus.worker.model.LlamaConfig;
import io.loopus.worker.model.OutputHead;
import io.loopus.worker.model.RopeTable;
import io.loopus.worker.model.SequenceCache;
import io.loopus.worker.tensor.Backend;
import io.loopus.worker.tensor.Tensor;

import java.util.Arrays;

/**
 * A base model recast as encoder, looped reasoning block and decoder (DESIGN §1). One
 * {@link #forward} step runs a batch of prompt chunks and decode tokens: the encoder over every
 * row, then the reasoning block pass after pass over the rows still looping (sequences at every
 * depth share each pass, so each one leaves at its own depth), then the decoder over every row.
 *
 * <p>A chunk whose last row wants logits decides its depth at that row (a whole prompt exits as
 * one unit); a chunk that wants none (the early part of a prompt fed in pieces) loops to its
 * sequence's maximum, and its depth is settled by the chunk that ends the prompt. Not thread-safe.
 */
public final class LoopusModel implements CausalModel {
    private final LlamaConfig config;
    private final LoopusWeights weights;
    private final LoopusConfig loopConfig;
    private final Backend backend;
    private final LayerStack encoder, reasoning, decoder;
    private final OutputHead output;
    private final float[] decay;
    private ExitPolicy exitPolicy;
    private KvPolicy kvPolicy = KvPolicy.PER_DEPTH;

    private Tensor x, h, hNext, r, u, z, delta, qIn, qOut;
    private int[][] tables = new int[0][];
    private int[] positions = new int[0], rows = new int[0], keep = new int[0], qRows = new int[0], leave = new int[0], leaveRows = new int[0];
    private float[] meanAbar = new float[0];
    private final float[] lastAfter;
    private final float[] one = new float[1];
    private final Chunks chunks = new Chunks();

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
        RopeTable rope = new RopeTable(config);
        LayerWeights[] all = weights.base().layers();
        encoder = new LayerStack(config, Arrays.copyOfRange(all, 0, s.encoderEnd()), rope, backend);
        reasoning = new LayerStack(config, Arrays.copyOfRange(all, s.encoderEnd(), s.decoderStart()), rope, backend);
        decoder = new LayerStack(config, Arrays.copyOfRange(all, s.decoderStart(), s.layers()), rope, backend);
        output = new OutputHead(config, weights.base().finalNorm(), weights.base().lmHead(), backend);
        decay = weights.gate().decay();
        exitPolicy = loopConfig.exitPolicy();
        lastAfter = new float[config.dim()];
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
        int n = batch.size();
        batch.validate(config);
        buffers(n);
        chunks.split(batch, cache);
        int[] pos = batch.positions();
        for (int c = 0; c < chunks.count; c++) cache.grow(chunks.seq[c], pos[chunks.end[c] - 1] + 1);
        for (int t = 0; t < n; t++) tables[t] = cache.encoderTable(batch.sequence(t));
        backend.embed(weights.base().embedding(), batch.tokens(), n, x);
        encoder.run(x, n, pos, tables, cache.encoder);
        loop(batch, cache);
        for (int t = 0; t < n; t++) tables[t] = cache.decoderTable(batch.sequence(t));
        decoder.run(x, n, pos, tables, cache.decoder);
        return output.logits(x, batch);
    }

    /** Applies the reasoning block and the gate to the rows of x until every chunk has exited. */
    private void loop(Batch batch, LoopusCache cache) {
        int n = batch.size(), m = n;
        for (int i = 0; i < n; i++) rows[i] = i;
        backend.gatherRows(x, rows, n, h);
        int[] pos = batch.positions();
        int activeChunks = chunks.count;
        for (int t = 1; activeChunks > 0; t++) {
            for (int i = 0; i < m; i++) {
                positions[i] = pos[rows[i]];
                tables[i] = cache.reasoningTable(batch.sequence(rows[i]), t);
            }
            backend.gatherRows(h, identity(m), m, r);
            reasoning.run(r, m, positions, tables, cache.reasoning);
            backend.subtract(r, h, m, u);
            confidence(t, m);
            rememberLastRows(true);
            backend.matmul(u, m, weights.gate().wIn(), z);
            backend.matmul(z, m, weights.gate().wDelta(), delta);
            backend.addBias(delta, m, weights.gate().bDelta());
            backend.selectiveGate(h, r, delta, decay, m, meanAbar);
            rememberLastRows(false);

            int kept = 0, left = 0;
            for (int c = 0; c < chunks.count; c++) {
                if (!chunks.active[c]) continue;
                int last = chunks.compactEnd[c] - 1;
                if (chunks.decides[c]) chunks.abar[c][t - 1] = meanAbar[last];
                if (exits(c, t, cache)) {
                    chunks.active[c] = false;
                    chunks.depth[c] = t;
                    activeChunks--;
                    for (int i = chunks.compactStart[c]; i <= last; i++) {
                        leave[left] = i;
                        leaveRows[left++] = rows[i];
                    }
                    if (chunks.decides[c]) cache.settle(chunks.seq[c], pos[chunks.start[c]], pos[chunks.end[c] - 1] + 1, t);
                } else {
                    int start = kept;
                    for (int i = chunks.compactStart[c]; i <= last; i++) keep[kept++] = i;
                    chunks.compactStart[c] = start;
                    chunks.compactEnd[c] = kept;
                }
            }
            if (left > 0) { // exited rows go back to their places in x, the others close ranks
                backend.gatherRows(h, leave, left, r);
                backend.scatterRows(r, leaveRows, left, x);
                backend.gatherRows(h, keep, kept, hNext);
                for (int i = 0; i < kept; i++) rows[i] = rows[keep[i]];
                Tensor swap = h;
                h = hNext;
                hNext = swap;
                m = kept;
            }
        }
    }

    /** Evaluates q at the last row of every deciding chunk whose policy looks at step t. */
    private void confidence(int t, int m) {
        int count = 0;
        for (int c = 0; c < chunks.count; c++) {
            if (chunks.active[c] && chunks.decides[c] && chunks.policy[c].evaluatesQ(t)) {
                qRows[count++] = chunks.compactEnd[c] - 1;
            }
            if (chunks.active[c] && chunks.decides[c]) chunks.q[c][t - 1] = Float.NaN;
        }
        if (count == 0) return;
        ConfidenceHead head = weights.head();
        backend.gatherRows(u, qRows, count, qIn);
        backend.layerNorm(qIn, count, head.normWeight(), head.normBias(), ConfidenceHead.NORM_EPS, qIn);
        backend.matmul(qIn, count, head.weight(), qOut);
        int k = 0;
        for (int c = 0; c < chunks.count; c++) {
            if (chunks.active[c] && chunks.decides[c] && chunks.policy[c].evaluatesQ(t)) {
                backend.read(qOut, k++, one);
                chunks.q[c][t - 1] = (float) (1 / (1 + Math.exp(-(one[0] + head.bias()))));
            }
        }
    }

    /**
     * Convergence compares the last position's state before and after the gate: the call before
     * it keeps the old state, the call after it measures the change.
     */
    private void rememberLastRows(boolean before) {
        for (int c = 0; c < chunks.count; c++) {
            if (!chunks.active[c] || chunks.policy[c].strategy() != HaltingStrategy.CONVERGENCE) continue;
            int last = chunks.compactEnd[c] - 1;
            if (before) {
                backend.read(h, last, chunks.lastState[c]);
            } else {
                backend.read(h, last, lastAfter);
                double ss = 0;
                for (int i = 0; i < lastAfter.length; i++) {
                    double d = lastAfter[i] - chunks.lastState[c][i];
                    ss += d * d;
                }
                chunks.change[c] = Math.sqrt(ss);
            }
        }
    }

    private boolean exits(int c, int t, LoopusCache cache) {
        ExitPolicy p = chunks.policy[c];
        if (!chunks.decides[c]) return t >= p.maxLoops();
        double q = chunks.q[c][t - 1];
        chunks.logSurvival[c] = p.survivalAfter(t, q, chunks.logSurvival[c]);
        return p.exitsAfter(t, q, chunks.change[c], chunks.logSurvival[c]);
    }

    /**
     * How the row {@code logitRow} of the last step's logits went through the loop (rows of one
     * chunk share their chunk's trace).
     */
    public TokenTrace trace(int logitRow) {
        int c = chunks.chunkOfLogitRow[logitRow];
        int d = chunks.depth[c];
        return new TokenTrace(d, Arrays.copyOf(chunks.q[c], d), Arrays.copyOf(chunks.abar[c], d));
    }

    /** The exit depth of the chunk that produced logit row {@code logitRow} in the last step. */
    public int exitDepth(int logitRow) { return chunks.depth[chunks.chunkOfLogitRow[logitRow]]; }

    private int[] identity = new int[0];

    private int[] identity(int m) {
        if (identity.length < m) {
            identity = new int[Math.max(m, 2 * identity.length)];
            for (int i = 0; i < identity.length; i++) identity[i] = i;
        }
        return identity;
    }

    private void buffers(int n) {
        if (x != null && x.rows() >= n) return;
        int cap = Math.max(n, x == null ? 1 : 2 * x.rows()), dim = config.dim();
        x = backend.allocate(cap, dim);
        h = backend.allocate(cap, dim);
        hNext = backend.allocate(cap, dim);
        r = backend.allocate(cap, dim);
        u = backend.allocate(cap, dim);
        delta = backend.allocate(cap, dim);
        qIn = backend.allocate(cap, dim);
        z = backend.allocate(cap, GateWeights.rank(dim));
        qOut = backend.allocate(cap, 1);
        tables = new int[cap][];
        positions = new int[cap];
        rows = new int[cap];
        keep = new int[cap];
        qRows = new int[cap];
        leave = new int[cap];
        leaveRows = new int[cap];
        meanAbar = new float[cap];
    }

    /** The batch's rows grouped into chunks (runs of one sequence), with each chunk's loop state. */
    private final class Chunks {
        int count;
        int[] start = new int[0], end = new int[0], seq = new int[0], depth = new int[0];
        int[] compactStart = new int[0], compactEnd = new int[0], chunkOfLogitRow = new int[0];
        boolean[] decides = new boolean[0], active = new boolean[0];
        ExitPolicy[] policy = new ExitPolicy[0];
        double[] logSurvival = new double[0], change = new double[0];
        float[][] q = new float[0][], abar = new float[0][], lastState = new float[0][];
        private int[] seenAt = new int[16];
        private int stamp;

        void split(Batch batch, LoopusCache cache) {
            int n = batch.size();
            ensure(n);
            if (chunkOfLogitRow.length < n) chunkOfLogitRow = new int[n];
            stamp++;
            count = 0;
            int logitRows = 0;
            for (int t = 0; t < n; t++) {
                int s = batch.sequence(t);
                if (t == 0 || s != batch.sequence(t - 1)) {
                    if (s >= seenAt.length) seenAt = Arrays.copyOf(seenAt, Math.max(s + 1, 2 * seenAt.length));
                    if (seenAt[s] == stamp) {
                        throw new IllegalArgumentException("sequence " + s + " has rows in two places of one batch;"
                                + " a step takes one contiguous chunk per sequence");
                    }
                    seenAt[s] = stamp;
                    start[count] = t;
                    seq[count] = s;
                    count++;
                }
                end[count - 1] = t + 1;
                if (t > 0 && s == batch.sequence(t - 1) && batch.position(t) != batch.position(t - 1) + 1) {
                    throw new IllegalArgumentException("the rows of sequence " + s + " are not at consecutive positions");
                }
                if (batch.wantsLogits(t)) chunkOfLogitRow[logitRows++] = count - 1;
            }
            for (int c = 0; c < count; c++) {
                ExitPolicy p = cache.exitPolicy(seq[c]);
                policy[c] = p;
                decides[c] = batch.wantsLogits(end[c] - 1);
                if (!decides[c] && cache.policy() == KvPolicy.SHARED) {
                    throw new IllegalArgumentException("the shared KV policy cannot take a prompt in pieces (a chunk"
                            + " without logits): its earlier positions would keep the keys of the wrong depth");
                }
                active[c] = true;
                depth[c] = 0;
                compactStart[c] = start[c];
                compactEnd[c] = end[c];
                logSurvival[c] = 0;
                change[c] = Double.NaN;
                if (q[c] == null || q[c].length < p.maxLoops()) {
                    q[c] = new float[p.maxLoops()];
                    abar[c] = new float[p.maxLoops()];
                }
                if (p.strategy() == HaltingStrategy.CONVERGENCE && lastState[c] == null) lastState[c] = new float[config.dim()];
            }
        }

        private void ensure(int n) {
            if (start.length >= n) return;
            int cap = Math.max(n, 2 * start.length);
            start = Arrays.copyOf(start, cap);
            end = Arrays.copyOf(end, cap);
            seq = Arrays.copyOf(seq, cap);
            depth = Arrays.copyOf(depth, cap);
            compactStart = Arrays.copyOf(compactStart, cap);
            compactEnd = Arrays.copyOf(compactEnd, cap);
            decides = Arrays.copyOf(decides, cap);
            active = Arrays.copyOf(active, cap);
            policy = Arrays.copyOf(policy, cap);
            logSurvival = Arrays.copyOf(logSurvival, cap);
            change = Arrays.copyOf(change, cap);
            q = Arrays.copyOf(q, cap);
            abar = Arrays.copyOf(abar, cap);
            lastState = Arrays.copyOf(lastState, cap);
        }
    }
}
