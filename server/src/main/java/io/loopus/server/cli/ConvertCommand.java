package io.loopus.server.cli;

import io.loopus.trainer.report.TrainingReport;
import io.loopus.trainer.train.Conversion;
import io.loopus.trainer.train.EvalResult;
import io.loopus.trainer.train.StepMetrics;
import io.loopus.trainer.train.TrainingListener;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.nio.file.Path;
import java.util.Locale;
import java.util.concurrent.Callable;

/** Converts a base model into a LoopUS checkpoint by random deep supervision (or runs the control fine-tune). */
@Command(name = "convert", mixinStandardHelpOptions = true, sortOptions = false,
        description = {"Train the gate, the confidence head and the looped block of a base model on text (random deep"
                + " supervision, DESIGN §1) and write OUT/model (a LoopUS checkpoint), OUT/metrics.jsonl, OUT/report.html"
                + " and checkpoints to resume from. The defaults are the stories260K run the README reports (~4 min of training).",
                "--control fine-tunes the same trainable layers of the base model without loop, gate or head instead, and"
                        + " writes a plain Hugging Face model, so that gains can be told apart from fine-tuning."})
public final class ConvertCommand implements Callable<Integer> {
    @Option(names = "--model", required = true, paramLabel = "BASE", description = "a llama2.c .bin file or a Hugging Face directory")
    Path model;

    @Option(names = "--tokenizer", paramLabel = "PATH", description = "tokenizer.bin or tokenizer.json (default: beside the model)")
    Path tokenizer;

    @Option(names = "--data", required = true, paramLabel = "TRAIN.txt", description = "training text, stories separated by <|endoftext|> lines")
    Path data;

    @Option(names = "--eval", required = true, paramLabel = "VALID.txt", description = "held-out text for the evaluations")
    Path eval;

    @Option(names = "--out", required = true, paramLabel = "DIR", description = "the run directory (missing or empty, unless --resume)")
    Path out;

    static final class SplitChoice {
        @Option(names = "--split", paramLabel = "E:D", description = "encoder [0,E), reasoning [E,D), decoder [D,L)")
        String split;

        @Option(names = "--auto-split", description = "choose the split from the layer dynamics of --data (the default)")
        boolean auto;
    }

    @ArgGroup(exclusive = true)
    SplitChoice splitChoice;

    @Option(names = "--loops", defaultValue = "8", description = "N of the checkpoint; evaluations measure 1..N (default ${DEFAULT-VALUE})")
    int loops;

    @Option(names = "--steps", defaultValue = "1000", description = "optimiser updates (default ${DEFAULT-VALUE})")
    int steps;

    @Option(names = "--warmup", defaultValue = "50", description = "warm-up updates of the cosine schedule (default ${DEFAULT-VALUE})")
    int warmup;

    @Option(names = "--lr", defaultValue = "1e-3", description = "peak learning rate (default ${DEFAULT-VALUE})")
    double lr;

    @Option(names = "--batch", defaultValue = "8", description = "sequences per micro-batch (default ${DEFAULT-VALUE})")
    int batch;

    @Option(names = "--micro-batches", defaultValue = "2", description = "micro-batches averaged per update (default ${DEFAULT-VALUE})")
    int microBatches;

    @Option(names = "--seq-len", defaultValue = "128", description = "tokens per packed sequence (default ${DEFAULT-VALUE})")
    int seqLen;

    @Option(names = "--n-reasoning-steps", defaultValue = "8", description = "T: loop iterations per batch (default ${DEFAULT-VALUE})")
    int reasoningSteps;

    @Option(names = "--n-supervision", defaultValue = "4", description = "S: supervised iterations of T (default ${DEFAULT-VALUE})")
    int supervision;

    @Option(names = "--beta", defaultValue = "1", description = "weight of the monotone term (default ${DEFAULT-VALUE})")
    double beta;

    @Option(names = "--clip", defaultValue = "1", description = "global gradient-norm limit, 0 = none (default ${DEFAULT-VALUE})")
    double clip;

    @Option(names = "--seed", defaultValue = "0", description = "seed of the gate/head init, data order and supervised steps (default ${DEFAULT-VALUE})")
    long seed;

    @Option(names = "--workers", description = "gradient workers (default: the cores)")
    Integer workers;

    @Option(names = "--checkpoint-every", defaultValue = "50", description = "updates between checkpoints (default ${DEFAULT-VALUE})")
    int checkpointEvery;

    @Option(names = "--eval-every", defaultValue = "0", description = "updates between evaluations, 0 = only at the end (default ${DEFAULT-VALUE})")
    int evalEvery;

    @Option(names = "--eval-stories", defaultValue = "50", description = "held-out stories of periodic evaluations; the last reads all (default ${DEFAULT-VALUE})")
    int evalStories;

    @Option(names = "--eval-tau", defaultValue = "0.6", description = "tau of periodic evaluations' threshold exits, and of the last with --calibration-stories 0"
                    + " (default ${DEFAULT-VALUE})")
    double evalTau;

    @Option(names = "--calibration-stories", defaultValue = "24",
            description = "first stories of --data on which the exit rule the model keeps is chosen: threshold exits with the"
                    + " fewest loops within --exit-tolerance of the best fixed loop count; 0 = keep q_threshold 0.9"
                    + " (default ${DEFAULT-VALUE})")
    int calibrationStories;

    @Option(names = "--exit-tolerance", defaultValue = "0.005",
            description = "perplexity the chosen exit rule may add to the best fixed loop count's, as a fraction (default ${DEFAULT-VALUE})")
    double exitTolerance;

    @Option(names = "--gate-init", defaultValue = "reference",
            description = "reference (DESIGN §1's draw) or near-identity (Abar = 0.999: one loop starts at the base model)")
    String gateInit;

    @Option(names = "--control", description = "fine-tune the base model without loop, gate or head (a control run)")
    boolean control;

    @Option(names = "--resume", description = "continue the run in --out from its newest checkpoint")
    boolean resume;

    @Override public Integer call() {
        String split = splitChoice == null ? null : splitChoice.split;
        var draft = new Conversion.TrainConfigDraft(loops, steps, warmup, lr, batch, microBatches, seqLen, reasoningSteps,
                supervision, beta, clip, seed, workers == null ? Runtime.getRuntime().availableProcessors() : workers,
                checkpointEvery, evalEvery, evalStories, control);
        if (calibrationStories < 0) throw new IllegalArgumentException("--calibration-stories must be >= 0, got " + calibrationStories);
        if (!(exitTolerance >= 0)) throw new IllegalArgumentException("--exit-tolerance must be >= 0, got " + exitTolerance);
        if (!gateInit.equals("reference") && !gateInit.equals("near-identity")) {
            throw new IllegalArgumentException("--gate-init must be reference or near-identity, got \"" + gateInit + "\"");
        }
        Progress progress = new Progress(steps);
        int done = Conversion.run(new Conversion.Request(model, tokenizer, data, eval, out, split, draft, evalTau, resume,
                        gateInit.equals("near-identity"), calibrationStories, exitTolerance),
                progress, TrainingReport::write);
        progress.line.finish(done);
        System.out.println("wrote " + out.resolve("model") + " and " + out.resolve("report.html") + " after " + done + " updates");
        return 0;
    }

    /** Progress bar (updates, rate, ETA, loss) on stderr; evaluations and checkpoints as lines. */
    private static final class Progress implements TrainingListener {
        final ProgressLine line;

        Progress(int steps) { line = ProgressLine.onStderr("convert", "updates", steps); }

        @Override public void onStep(StepMetrics m, int total) {
            line.update(m.step(), String.format(Locale.ROOT, "loss %.4f (lm %.4f mono %+.4f conf %.4f) %.0f tok/s",
                    m.loss(), m.lm(), m.monotone(), m.confidence(), m.tokensPerSecond()));
        }

        @Override public void onEval(EvalResult r) {
            StringBuilder sb = new StringBuilder(String.format(Locale.ROOT, "%nconvert: eval at update %d (%d stories): base ppl %s",
                    r.step(), r.stories(), r.basePpl() == null ? "-" : String.format(Locale.ROOT, "%.3f", r.basePpl())));
            for (EvalResult.Row row : r.rows()) {
                String rule = row.exit().equals("fixed") ? "" : String.format(Locale.ROOT, " tau %.4f min %d", row.tau(), row.minLoops());
                sb.append(String.format(Locale.ROOT, ", %s %d%s: %.3f (%.2f loops)", row.exit(), row.loops(), rule, row.ppl(),
                        row.loopsMean()));
            }
            if (r.calibration() != null) {
                var c = r.calibration();
                sb.append(String.format(Locale.ROOT, "%nconvert: exit rule chosen on %d stories of the training text: min_loops %d,"
                                + " tau %.4f: ppl %.4f at %.2f loops (best fixed: %d loops, %.4f; tolerance %.1f%%)",
                        c.stories(), c.chosen().minLoops(), c.chosen().tau(), c.chosen().ppl(), c.chosen().loopsMean(),
                        c.bestFixedLoops(), c.fixedPpl()[c.bestFixedLoops() - 1], 100 * c.tolerance()));
            }
            System.err.println(sb);
        }

        @Override public void onCheckpoint(int step, Path dir) {}

        @Override public void onInfo(String text) { System.err.println("convert: " + text); }
    }
}
