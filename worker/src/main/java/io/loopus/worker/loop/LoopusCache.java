package io.loopus.worker.loop;

import io.loopus.worker.model.PagedKvCache;
import io.loopus.worker.model.SequenceCache;

import java.util.Arrays;

/**
 * The KV caches of a LoopUS model: encoder and decoder layers as in the base model; reasoning
 * layers either once per loop depth ({@link KvPolicy#PER_DEPTH}: a sequence holds one reasoning
 * sequence per depth, and keys of tokens that exit early are filled forward) or once
 * ({@link KvPolicy#SHARED}). Each sequence also carries its exit policy. Not thread-safe.
 */
public final class LoopusCache implements SequenceCache {
    final PagedKvCache encoder, reasoning, decoder;
    private final KvPolicy policy;
    private final int depths;
    private final ExitPolicy defaultExit;
    private int[][] depthIds = new int[16][];
    private int[] decoderIds = new int[16];
    private int[] settled = new int[16]; // first position whose exit depth is not yet decided
    private ExitPolicy[] exits = new ExitPolicy[16];

    LoopusCache(LoopusModel model, int capacityTokens, KvPolicy policy, ExitPolicy defaultExit) {
        Split s = model.split();
        var c = model.config();
        this.policy = policy;
        this.defaultExit = defaultExit;
        this.depths = policy == KvPolicy.PER_DEPTH ? defaultExit.maxLoops() : 1;
        int block = PagedKvCache.DEFAULT_BLOCK_SIZE;
        encoder = new PagedKvCache(s.encoderLayers(), c.kvHeads(), c.headDim(), block, capacityTokens);
        // whole blocks per depth: each depth is its own paged sequence, whose last block is never shared
        int perDepth = Math.multiplyExact((capacityTokens + block - 1) / block, block);
        reasoning = new PagedKvCache(s.reasoningLayers(), c.kvHeads(), c.headDim(), block,
                Math.multiplyExact(perDepth, depths));
        decoder = new PagedKvCache(s.decoderLayers(), c.kvHeads(), c.headDim(), block, capacityTokens);
    }

    public KvPolicy policy() { return policy; }

    /** The deepest loop a sequence may use (under per-depth, the caches are sized by it). */
    public int depths() { return depths; }

    @Override public int newSequence() {
        int id = encoder.newSequence();
        if (id >= decoderIds.length) {
            int n = Math.max(id + 1, 2 * decoderIds.length);
            depthIds = Arrays.copyOf(depthIds, n);
            decoderIds = Arrays.copyOf(decoderIds, n);
            settled = Arrays.copyOf(settled, n);
            exits = Arrays.copyOf(exits, n);
        }
        decoderIds[id] = decoder.newSequence();
        int[] ids = new int[depths];
        for (int d = 0; d < depths; d++) ids[d] = reasoning.newSequence();
        depthIds[id] = ids;
        settled[id] = 0;
        exits[id] = defaultExit;
        return id;
    }

    @Override public void free(int seq) {
        if (seq < 0 || seq >= depthIds.length || depthIds[seq] == null) return;
        encoder.free(seq);
        decoder.free(decoderIds[seq]);
        for (int id : depthIds[seq]) reasoning.free(id);
        depthIds[seq] = null;
    }

    /** Sets the exit rule of one sequence (per request); per-depth caches cap its loops. */
    public void setExitPolicy(int seq, ExitPolicy exit) {
        check(seq);
        if (policy == KvPolicy.PER_DEPTH && exit.maxLoops() > depths) {
            throw new IllegalArgumentException("this cache holds " + depths + " loop depths; " + exit.maxLoops()
                    + " loops need a cache made for them");
        }
        exits[seq] = exit;
    }

    public ExitPolicy exitPolicy(int seq) { return exits[check(seq)]; }

    /** Keys and values of every layer for one token, in bytes (F32). */
    public long bytesPerToken() {
        long perLayer = 2L * 4 * encoder.kvDim();
        return perLayer * (encoder.layers() + decoder.layers() + (long) reasoning.layers() * depths);
    }

    /** Makes room for positions [0, length) in every cache of the sequence. */
    void grow(int seq, int length) {
        check(seq);
        if (encoder.length(seq) < length) encoder.grow(seq, length);
        if (decoder.length(decoderIds[seq]) < length) decoder.grow(decoderIds[seq], length);
        for (int id : depthIds[seq]) if (reasoning.length(id) < length) reasoning.grow(id, length);
    }

    int[] encoderTable(int seq) { return encoder.blockTable(seq); }

    int[] decoderTable(int seq) { return decoder.blockTable(decoderIds[seq]); }

    /** The reasoning block table a row of this sequence uses at loop step t (1-based). */
    int[] reasoningTable(int seq, int t) {
        return reasoning.blockTable(depthIds[seq][policy == KvPolicy.PER_DEPTH ? t - 1 : 0]);
    }

    /**
     * The sequence's positions before {@code end} have exited after step {@code depth}: under
     * per-depth, their keys and values at that depth are copied to every deeper depth the
     * sequence may use, so later tokens see them there (DESIGN §2).
     */
    void settle(int seq, int end, int depth) {
        if (policy == KvPolicy.PER_DEPTH) {
            int[] ids = depthIds[seq];
            for (int d = depth + 1; d <= exits[seq].maxLoops(); d++) {
                reasoning.copyPositions(ids[depth - 1], ids[d - 1], settled[seq], end);
            }
        }
        settled[seq] = end;
    }

    /** First position of the sequence whose exit depth is not decided yet. */
    int settled(int seq) { return settled[seq]; }

    private int check(int seq) {
        if (seq < 0 || seq >= depthIds.length || depthIds[seq] == null) {
            throw new IllegalArgumentException("unknown sequence " + seq);
        }
        return seq;
    }
}
