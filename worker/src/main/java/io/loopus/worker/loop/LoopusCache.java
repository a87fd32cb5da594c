package io.loopus.worker.loop;

import io.loopus.worker.model.SequenceCache;
import io.loopus.worker.stage.DecoderBlock;
import io.loopus.worker.stage.EncoderBlock;
import io.loopus.worker.stage.LoopBlock;
import io.loopus.worker.stage.StagePlan;

import java.util.Arrays;

/**
 * The per-sequence state of a LoopUS model run in one process: the encoder, loop and decoder blocks
 * with their KV caches (the loop's per depth, keys of tokens that exit early filled forward, or
 * {@link KvPolicy#SHARED}), and each sequence's exit policy. Not thread-safe.
 */
public final class LoopusCache implements SequenceCache {
    final EncoderBlock encoder;
    final LoopBlock loop;
    final DecoderBlock decoder;
    private final KvPolicy policy;
    private final int depths;
    private final long bytesPerToken;
    private final ExitPolicy defaultExit;
    private ExitPolicy[] exits = new ExitPolicy[16];
    private boolean[] live = new boolean[16];
    private int nextId;

    LoopusCache(LoopusModel model, int capacityTokens, KvPolicy policy, ExitPolicy defaultExit) {
        this.policy = policy;
        this.defaultExit = defaultExit;
        this.depths = policy == KvPolicy.PER_DEPTH ? defaultExit.maxLoops() : 1;
        StagePlan plan = new StagePlan(model.config(), model.weights().base(), model.split(), model.weights().gate(),
                model.weights().head(), defaultExit, defaultExit.maxLoops(), policy);
        encoder = plan.encoder(model.backend(), capacityTokens);
        loop = plan.loop(model.backend(), capacityTokens, false);
        decoder = plan.decoder(model.backend(), capacityTokens);
        bytesPerToken = plan.kvBytesPerToken();
    }

    public KvPolicy policy() { return policy; }

    /** The deepest loop a sequence may use (under per-depth, the caches are sized by it). */
    public int depths() { return depths; }

    @Override public int newSequence() {
        int id = nextId++;
        if (id >= exits.length) {
            exits = Arrays.copyOf(exits, 2 * exits.length);
            live = Arrays.copyOf(live, 2 * live.length);
        }
        exits[id] = defaultExit;
        live[id] = true;
        return id;
    }

    @Override public void free(int seq) {
        if (seq < 0 || seq >= live.length || !live[seq]) return;
        encoder.release(seq);
        loop.release(seq);
        decoder.release(seq);
        live[seq] = false;
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
    public long bytesPerToken() { return bytesPerToken; }

    int check(int seq) {
        if (seq < 0 || seq >= live.length || !live[seq]) throw new IllegalArgumentException("unknown sequence " + seq);
        return seq;
    }
}
