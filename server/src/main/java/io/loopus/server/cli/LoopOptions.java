package io.loopus.server.cli;

import io.loopus.worker.loop.ConfidenceHead;
import io.loopus.worker.loop.ExitPolicy;
import io.loopus.worker.loop.GateWeights;
import io.loopus.worker.loop.HaltingStrategy;
import io.loopus.worker.loop.KvPolicy;
import io.loopus.worker.loop.LoopusConfig;
import io.loopus.worker.loop.LoopusModel;
import io.loopus.worker.loop.LoopusWeights;
import io.loopus.worker.loop.Split;
import io.loopus.worker.model.CausalModel;
import io.loopus.worker.model.LlamaModel;
import picocli.CommandLine.Option;

import java.util.Random;

/**
 * Loop settings for commands that run a model: they override a LoopUS checkpoint's exit rule, or,
 * with {@code --split}, recast a base model with the initial gate and head of DESIGN §1.
 */
public final class LoopOptions {
    @Option(names = "--split", paramLabel = "E:D",
            description = "loop a base model: encoder [0,E), reasoning [E,D), decoder [D,L), with an untrained (initial) gate and head")
    String split;

    @Option(names = "--init-seed", defaultValue = "0", description = "seed of the initial gate and head with --split (default ${DEFAULT-VALUE})")
    long initSeed;

    @Option(names = "--loops", paramLabel = "N", description = "at most N loops (default: the checkpoint's N; 4 with --split)")
    Integer loops;

    @Option(names = "--exit", paramLabel = "POLICY", description = "fixed, threshold, cdf or convergence (default: the checkpoint's)")
    String exit;

    @Option(names = "--tau", paramLabel = "X", description = "threshold for threshold and cdf exits (default: the checkpoint's q_threshold)")
    Double tau;

    @Option(names = "--min-loops", paramLabel = "M", description = "no exit before M loops (default: the checkpoint's min_loops)")
    Integer minLoops;

    @Option(names = "--kv-policy", paramLabel = "POLICY", defaultValue = "per-depth",
            description = "per-depth (exact) or shared (memory independent of N) reasoning KV caches (default ${DEFAULT-VALUE})")
    String kvPolicy;

    private boolean anyLoopFlag() {
        return loops != null || exit != null || tau != null || minLoops != null || !"per-depth".equals(kvPolicy);
    }

    /** The model to run: the loaded one with these settings applied. */
    public CausalModel apply(CausalModel model) {
        if (split != null) {
            if (!(model instanceof LlamaModel base)) {
                throw new IllegalArgumentException("--split recasts a base model; this model is already looped");
            }
            Split s = Split.parse(split, base.config().layers());
            Random random = new Random(initSeed);
            int hidden = base.config().dim();
            LoopusWeights w = new LoopusWeights(base.weights(), GateWeights.initial(hidden, random),
                    ConfidenceHead.initial(hidden, random));
            model = new LoopusModel(base.config(), w, LoopusConfig.defaults(s, loops == null ? 4 : loops), base.backend());
        }
        if (!(model instanceof LoopusModel looped)) {
            if (anyLoopFlag()) {
                throw new IllegalArgumentException("--loops, --exit, --tau, --min-loops and --kv-policy need a LoopUS "
                        + "checkpoint (or --split E:D to loop this base model)");
            }
            return model;
        }
        ExitPolicy base = looped.exitPolicy();
        looped.setExitPolicy(new ExitPolicy(
                exit == null ? base.strategy() : HaltingStrategy.parse(exit),
                loops == null ? base.maxLoops() : loops,
                minLoops == null ? base.minLoops() : minLoops,
                tau == null ? base.tau() : tau,
                base.qEvalInterval(), base.epsilon()));
        looped.setKvPolicy(KvPolicy.parse(kvPolicy));
        return looped;
    }
}
