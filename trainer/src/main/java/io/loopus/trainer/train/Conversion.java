package io.loopus.trainer.train;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.loopus.trainer.analyze.Analysis;
import io.loopus.trainer.analyze.DecompositionAnalysis;
import io.loopus.trainer.analyze.DynamicsReport;
import io.loopus.trainer.data.PackedCorpus;
import io.loopus.trainer.eval.HeldOutText;
import io.loopus.worker.io.AtomicFiles;
import io.loopus.worker.load.HfExporter;
import io.loopus.worker.load.Json;
import io.loopus.worker.load.LdsCheckpoint;
import io.loopus.worker.load.LoadedModel;
import io.loopus.worker.load.ModelLoader;
import io.loopus.worker.loop.LoopusConfig;
import io.loopus.worker.loop.Split;
import io.loopus.worker.model.LlamaModel;
import io.loopus.worker.tensor.CpuBackend;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.function.Consumer;

/**
 * {@code convert}: a base model and text in, a trained LoopUS checkpoint out (DESIGN §1). Lays out
 * the run directory ({@code run.json}, {@code metrics.jsonl}, {@code checkpoints/}, the final
 * {@code model/} and {@code report.html}), resumes from its newest checkpoint when asked, and
 * runs the {@link Trainer}.
 */
public final class Conversion {
    private Conversion() {}

    /**
     * @param split    "e:d", or null to choose it by the decomposition analysis of {@code data}
     * @param evalTau  the threshold of the evaluator's threshold-exit run
     * @param nearIdentityGate start the gate at Abar = 0.999 instead of the reference's initialisation
     * @param calibrationStories the first stories of {@code data} on which the final evaluation chooses the model's
     *                           exit rule ({@link io.loopus.trainer.eval.ExitCalibration}); 0 keeps the reference's
     *                           default rule (threshold 0.9)
     * @param exitTolerance      how far above the best fixed loop count's perplexity that rule may be (0.005 = 0.5%)
     */
    public record Request(Path model, Path tokenizer, Path data, Path eval, Path out, String split, TrainConfigDraft draft,
                          double evalTau, boolean resume, boolean nearIdentityGate, int calibrationStories,
                          double exitTolerance) {}

    /** The settings of {@link TrainConfig} but the split, which may come from the analysis. */
    public record TrainConfigDraft(int loops, int steps, int warmup, double lr, int batch, int microBatches, int seqLen,
                                   int reasoningSteps, int supervision, double beta, double clip, long seed, int workers,
                                   int checkpointEvery, int evalEvery, int evalStories, boolean control) {
        TrainConfig with(Split split) {
            return new TrainConfig(split, loops, steps, warmup, lr, batch, microBatches, seqLen, reasoningSteps, supervision,
                    beta, clip, seed, workers, checkpointEvery, evalEvery, evalStories, control);
        }
    }

    /** Runs the conversion; {@code report} writes report.html from the run directory. */
    public static int run(Request r, TrainingListener listener, Consumer<Path> report) {
        Path out = r.out().toAbsolutePath().normalize();
        Path latest = r.resume() ? TrainingCheckpoint.latest(out) : null;
        if (r.resume() && latest == null) {
            throw new IllegalArgumentException(out + ": no checkpoint to resume from (checkpoints/latest is missing)");
        }
        if (!r.resume()) HfExporter.checkTarget(out);
        LoadedModel loaded = ModelLoader.load(r.model(), r.tokenizer(), CpuBackend.INSTANCE);
        LlamaModel base = DecompositionAnalysis.baseModel(loaded.model());
        Split split = r.split() == null ? null : Split.parse(r.split(), base.config().layers()); // before the slow work
        PackedCorpus corpus = PackedCorpus.load(r.data(), loaded.tokenizer(), r.draft().seqLen());
        HeldOutText heldOut = HeldOutText.load(r.eval(), loaded.tokenizer(), base.config().contextLength());
        HeldOutText calibration = r.calibrationStories() > 0 && !r.draft().control()
                ? HeldOutText.load(r.data(), loaded.tokenizer(), base.config().contextLength(), r.calibrationStories()) : null;
        if (r.draft().seqLen() > base.config().contextLength()) {
            throw new IllegalArgumentException("--seq-len " + r.draft().seqLen() + " exceeds the model's context of "
                    + base.config().contextLength());
        }

        Analysis analysis = null;
        if (split == null) {
            listener.onInfo("choosing the split from the layer dynamics of " + r.data() + "...");
            analysis = DecompositionAnalysis.run(base, r.model().toString(), loaded.tokenizer(), r.data(), 4096, d -> {});
            split = analysis.choice().split();
            listener.onInfo("split " + split + ": " + analysis.choice().rule());
        }
        TrainConfig cfg = r.draft().with(split);
        listener.onInfo(String.format("%d sequences of %d tokens from %d stories of %s; %d held-out stories",
                corpus.sequences(), cfg.seqLen(), corpus.stories(), r.data(), heldOut.stories().size()));

        LdsCheckpoint.Loaded start = LdsCheckpoint.initial(base.config(), base.weights(), split, cfg.loops(), cfg.seed(),
                r.nearIdentityGate());
        TrainingModel model = new TrainingModel(start.base(), start.weights(), split);
        Path metrics = out.resolve("metrics.jsonl");
        TrainingCheckpoint.Restored resumed = null;
        try {
            Files.createDirectories(out);
            if (latest != null) {
                resumed = TrainingCheckpoint.read(latest, model, cfg);
                keepMetricsUpTo(metrics, resumed.update());
                listener.onInfo("resuming from " + latest.getFileName() + " (update " + resumed.update() + " of " + cfg.steps() + ")");
            } else {
                writeRunJson(out, r, cfg, base, analysis);
            }
        } catch (IOException e) {
            throw new UncheckedIOException(out + ": " + e.getMessage(), e);
        }
        LdsCheckpoint.Origin origin = LdsCheckpoint.Origin.of(r.model().toAbsolutePath().normalize());
        Split s = split;
        Coordinator.ModelWriter writer = cfg.control()
                ? (snapshot, dir, exit) -> HfExporter.export(start.base(), snapshot.base(), loaded.tokenizer(), loaded.tokenizerPath(), dir)
                : (snapshot, dir, exit) -> {
                    LoopusConfig loop = LoopusConfig.defaults(s, cfg.loops());
                    if (exit != null) loop = loop.withThresholdRule(exit.minLoops(), exit.tau());
                    LdsCheckpoint.write(new LdsCheckpoint.Loaded(start.base(), snapshot, loop, origin),
                            loaded.tokenizer(), loaded.tokenizerPath(), dir);
                };
        Coordinator.Setup setup = new Coordinator.Setup(model, cfg, out, resumed, writer, new CompletableFuture<>());
        Evaluator.Plan plan = new Evaluator.Plan(start.base(), base.weights(), split, cfg.loops(), r.evalTau(), heldOut,
                cfg.evalStories(), cfg.control(), calibration, r.exitTolerance());
        return Trainer.run(new Trainer.Parts(setup, new BatchSource(corpus, cfg.batch(), cfg.seed()), plan, metrics,
                listener, () -> report.accept(out)));
    }

    private static void writeRunJson(Path out, Request r, TrainConfig cfg, LlamaModel base, Analysis analysis) throws IOException {
        ObjectNode o = Json.MAPPER.createObjectNode();
        o.put("model", r.model().toString());
        o.put("layers", base.config().layers());
        o.putObject("split").put("encoder_end", cfg.split().encoderEnd()).put("decoder_start", cfg.split().decoderStart());
        o.put("loops", cfg.loops());
        o.put("control", cfg.control());
        o.set("config", TrainingCheckpoint.config(cfg));
        o.put("data", r.data().toString());
        o.put("eval_data", r.eval().toString());
        o.put("eval_tau", r.evalTau());
        o.put("calibration_stories", r.calibrationStories());
        o.put("exit_tolerance", r.exitTolerance());
        o.put("gate_init", r.nearIdentityGate() ? "near-identity" : "reference");
        if (analysis != null) o.set("dynamics", Json.MAPPER.valueToTree(DynamicsReport.toJson(analysis)));
        else o.putNull("dynamics");
        AtomicFiles.writeFile(out.resolve("run.json"), f -> Json.MAPPER.writerWithDefaultPrettyPrinter().writeValue(f.toFile(), o));
    }

    /** A resumed run continues the curve: lines after the checkpoint's update (and a torn last line) go. */
    private static void keepMetricsUpTo(Path metrics, int update) throws IOException {
        if (!Files.isRegularFile(metrics)) return;
        List<String> kept = Files.readAllLines(metrics, StandardCharsets.UTF_8).stream().filter(line -> {
            try {
                return Json.MAPPER.readTree(line).path("step").asInt(Integer.MAX_VALUE) <= update;
            } catch (IOException e) {
                return false;
            }
        }).toList();
        AtomicFiles.writeFile(metrics, f -> Files.write(f, kept, StandardCharsets.UTF_8));
    }
}
