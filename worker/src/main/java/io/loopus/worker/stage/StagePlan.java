package io.loopus.worker.stage;

import io.loopus.worker.loop.ConfidenceHead;
import io.loopus.worker.loop.ExitPolicy;
import io.loopus.worker.loop.GateWeights;
import io.loopus.worker.loop.KvPolicy;
import io.loopus.worker.loop.LoopusModel;
import io.loopus.worker.loop.Split;
import io.loopus.worker.model.CausalModel;
import io.loopus.worker.model.LayerStack;
import io.loopus.worker.model.LayerWeights;
import io.loopus.worker.model.LlamaConfig;
import io.loopus.worker.model.LlamaModel;
import io.loopus.worker.model.LlamaWeights;
import io.loopus.worker.model.OutputHead;
import io.loopus.worker.model.RopeTable;
import io.loopus.worker.tensor.Backend;

import java.util.Arrays;

/**
 * How a model is cut into the three serving stages, and the factory of each stage's block. A
 * LoopUS model is cut at its split; a base model is cut into thirds, its middle third applied once
 * (the results are the base model's: the cut only decides which device runs which layers).
 *
 * @param gate        null for a base model
 * @param defaultExit the exit rule of requests that set none
 * @param depths      the deepest loop a request may ask for
 */
public record StagePlan(LlamaConfig config, LlamaWeights weights, Split split, GateWeights gate, ConfidenceHead head,
                        ExitPolicy defaultExit, int depths, KvPolicy kvPolicy) {

    /** The plan of a loaded model: its split and exit rule, or thirds for a base model. */
    public static StagePlan of(CausalModel model) {
        if (model instanceof LoopusModel l) {
            ExitPolicy exit = l.exitPolicy();
            return new StagePlan(l.config(), l.weights().base(), l.split(), l.weights().gate(), l.weights().head(),
                    exit, exit.maxLoops(), l.kvPolicy());
        }
        if (model instanceof LlamaModel m) {
            return new StagePlan(m.config(), m.weights(), thirds(m.config().layers()), null, null, ExitPolicy.fixed(1), 1, KvPolicy.PER_DEPTH);
        }
        throw new IllegalArgumentException("cannot serve a " + model.getClass().getSimpleName());
    }

    /** How a base model is cut: its middle third is the loop stage's (applied once). */
    public static Split thirds(int layers) {
        return new Split(layers / 3, Math.max(layers / 3 + 1, layers - layers / 3), layers);
    }

    public boolean looped() { return gate != null; }

    /** The same plan letting requests loop up to {@code maxDepths} (a LoopUS model only). */
    public StagePlan withDepths(int maxDepths) {
        if (maxDepths < 1) throw new IllegalArgumentException("max loops must be >= 1, got " + maxDepths);
        return new StagePlan(config, weights, split, gate, head, defaultExit, looped() ? maxDepths : 1, kvPolicy);
    }

    public EncoderBlock encoder(Backend backend, int capacityTokens) {
        return new EncoderBlock(config, weights.embedding(), stack(0, split.encoderEnd(), backend), capacityTokens, backend);
    }

    /** @param keepExited static batching (exited items keep computing until their batch is done) */
    public LoopBlock loop(Backend backend, int capacityTokens, boolean keepExited) {
        return new LoopBlock(config, stack(split.encoderEnd(), split.decoderStart(), backend), gate, head, kvPolicy,
                depths, capacityTokens, keepExited, backend);
    }

    public DecoderBlock decoder(Backend backend, int capacityTokens) {
        return new DecoderBlock(config, stack(split.decoderStart(), split.layers(), backend),
                new OutputHead(config, weights.finalNorm(), weights.lmHead(), backend), capacityTokens, backend);
    }

    /** KV cache bytes one token takes over all three stages (the loop stage once per depth). */
    public long kvBytesPerToken() {
        long perLayer = 2L * Float.BYTES * config.kvDim();
        int loopCopies = looped() && kvPolicy == KvPolicy.PER_DEPTH ? depths : 1;
        return perLayer * (split.encoderLayers() + split.decoderLayers() + (long) split.reasoningLayers() * loopCopies);
    }

    private LayerStack stack(int from, int to, Backend backend) {
        LayerWeights[] layers = Arrays.copyOfRange(weights.layers(), from, to);
        return new LayerStack(config, layers, new RopeTable(config), backend);
    }
}
