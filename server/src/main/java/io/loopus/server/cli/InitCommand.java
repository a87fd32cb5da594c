package io.loopus.server.cli;

import io.loopus.worker.load.HfExporter;
import io.loopus.worker.load.LdsCheckpoint;
import io.loopus.worker.load.LoadedModel;
import io.loopus.worker.load.ModelLoader;
import io.loopus.worker.loop.HaltingStrategy;
import io.loopus.worker.loop.LoopusConfig;
import io.loopus.worker.loop.Split;
import io.loopus.worker.model.LlamaModel;
import io.loopus.worker.tensor.CpuBackend;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.nio.file.Path;
import java.util.concurrent.Callable;

/** Turns a base model into a LoopUS checkpoint whose gate and confidence head are at their initial values. */
@Command(name = "init", mixinStandardHelpOptions = true, sortOptions = false,
        description = "Write a LoopUS checkpoint (the reference's save_pretrained layout) from a base model: "
                + "encoder [0,e), reasoning block [e,d) looped N times, decoder [d,L), with the initial gate and confidence head.")
public final class InitCommand implements Callable<Integer> {
    @Option(names = "--model", required = true, paramLabel = "PATH",
            description = "the base model: a llama2.c .bin file or a Hugging Face model directory")
    Path model;

    @Option(names = "--tokenizer", paramLabel = "PATH",
            description = "tokenizer.bin or tokenizer.json (default: from the model's folder)")
    Path tokenizer;

    @Option(names = "--split", required = true, paramLabel = "e:d",
            description = "encoder layers [0,e), reasoning block [e,d), decoder [d,L)")
    String split;

    @Option(names = "--loops", required = true, paramLabel = "N", description = "loops of the reasoning block (N)")
    int loops;

    @Option(names = "--seed", defaultValue = "0", paramLabel = "S",
            description = "seed of the initial gate and head (default ${DEFAULT-VALUE})")
    long seed;

    @Option(names = "--halting", defaultValue = "threshold", paramLabel = "RULE",
            description = "the checkpoint's exit rule: threshold, cdf or convergence (default ${DEFAULT-VALUE})")
    String halting;

    @Option(names = "--tau", defaultValue = "0.9", paramLabel = "X",
            description = "q threshold of the threshold and cdf rules, in [0, 1] (default ${DEFAULT-VALUE})")
    double tau;

    @Option(names = "--min-loops", defaultValue = "1", paramLabel = "M",
            description = "the rule's min_loops: no exit before M loops (default ${DEFAULT-VALUE})")
    int minLoops;

    @Option(names = "--out", required = true, paramLabel = "DIR",
            description = "the checkpoint directory to create (must not exist, or be empty)")
    Path out;

    @Override public Integer call() {
        Path target = out.toAbsolutePath().normalize();
        HfExporter.checkTarget(target); // every check that needs no weights comes before a long load
        if (loops < 1) throw new IllegalArgumentException("--loops must be >= 1, got " + loops);
        if (!(tau >= 0 && tau <= 1)) throw new IllegalArgumentException("--tau must be in [0, 1], got " + tau);
        if (minLoops < 1 || minLoops > loops) {
            throw new IllegalArgumentException("--min-loops must be in [1, --loops = " + loops + "], got " + minLoops);
        }
        HaltingStrategy rule = HaltingStrategy.parse(halting);
        if (rule == HaltingStrategy.FIXED) {
            throw new IllegalArgumentException("--halting fixed is a run-time choice; a checkpoint stores threshold, cdf or convergence");
        }
        try {
            Split.parse(split, Integer.MAX_VALUE); // the form e:d with e < d; the layer count is checked once known
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("--split must be e:d with 0 <= e < d (encoder [0,e), reasoning [e,d), "
                    + "decoder [d,L)), got \"" + split + "\"");
        }
        if (LdsCheckpoint.isCheckpoint(model)) {
            throw new IllegalArgumentException(model + ": is already a LoopUS checkpoint; init starts from a base model");
        }
        LoadedModel base = ModelLoader.load(model, tokenizer, CpuBackend.INSTANCE);
        LlamaModel llama = (LlamaModel) base.model(); // a base model: the checkpoint case is refused above
        Split s = Split.parse(split, llama.config().layers());
        LdsCheckpoint.Loaded checkpoint = LdsCheckpoint.initial(llama.config(), llama.weights(), s, loops, seed)
                .withLoop(new LoopusConfig(s, loops, tau, 1, rule, 1e-2, minLoops))
                .withOrigin(LdsCheckpoint.Origin.of(model));
        LdsCheckpoint.write(checkpoint, base.tokenizer(), base.tokenizerPath(), target);
        System.err.println("wrote " + target + " (" + checkpoint.describe() + ", exit rule " + rule.key()
                + (rule == HaltingStrategy.CONVERGENCE ? "" : " tau " + tau) + ", initial gate and head from seed " + seed
                + "; base " + base.format() + ")");
        return 0;
    }
}
