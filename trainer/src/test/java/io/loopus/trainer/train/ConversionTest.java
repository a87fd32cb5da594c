package io.loopus.trainer.train;

import io.loopus.worker.load.LdsCheckpoint;
import io.loopus.trainer.eval.ExitCalibration;
import io.loopus.trainer.eval.HeldOutText;
import io.loopus.trainer.eval.Perplexity;
import io.loopus.worker.loop.HaltingStrategy;
import io.loopus.worker.loop.LoopusModel;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The trainer actor system end to end on stories260K: outputs, worker-count independence, exact resume. */
class ConversionTest {
    @TempDir Path tmp;

    private Path heldOut() throws IOException {
        Path f = tmp.resolve("valid.txt");
        Files.writeString(f, "Once upon a time, there was a little girl named Lily.\n<|endoftext|>\n"
                + "Tom had a red ball. He liked to play with it in the park.\n<|endoftext|>\n"
                + "The sun was hot. The cat slept under a big tree all day.\n");
        return f;
    }

    /** The first 40 stories of train.txt: enough for a few updates, quick to tokenise. */
    private Path train() throws IOException {
        Path f = tmp.resolve("train.txt");
        if (Files.exists(f)) return f;
        List<String> lines = new ArrayList<>();
        int stories = 0;
        for (String line : Files.readAllLines(TrainFixtures.train())) {
            lines.add(line);
            if (line.strip().equals("<|endoftext|>") && ++stories == 40) break;
        }
        Files.write(f, lines);
        return f;
    }

    private Conversion.Request request(Path out, int workers, boolean resume) throws IOException {
        return request(out, workers, resume, false);
    }

    private Conversion.Request request(Path out, int workers, boolean resume, boolean control) throws IOException {
        var draft = new Conversion.TrainConfigDraft(3, 6, 1, 2e-3, 2, 3, 32, 3, 2, 1.0, 1.0, 5, workers, 2, 3, 2, control);
        return new Conversion.Request(TrainFixtures.shared().resolve("models/stories260K/stories260K.bin"), null,
                train(), heldOut(), out, "1:4", draft, 0.5, resume, false, 4, 0.005);
    }

    private static final class Recorder implements TrainingListener {
        final List<StepMetrics> steps = new ArrayList<>();
        final List<EvalResult> evals = new ArrayList<>();

        @Override public void onStep(StepMetrics m, int total) { steps.add(m); }

        @Override public void onEval(EvalResult r) { evals.add(r); }

        @Override public void onCheckpoint(int step, Path dir) {}

        @Override public void onInfo(String line) {}
    }

    @Test
    void aRunWritesItsOutputsTheSameWithAnyNumberOfWorkersAndResumesExactly() throws Exception {
        Path one = tmp.resolve("one"), two = tmp.resolve("two");
        Recorder a = new Recorder(), b = new Recorder();
        assertEquals(6, Conversion.run(request(one, 1, false), a, dir -> {}));
        assertEquals(6, Conversion.run(request(two, 2, false), b, dir -> {}));

        // outputs: metrics lines for every update and evaluation, two checkpoints kept, the final model
        List<String> lines = Files.readAllLines(one.resolve("metrics.jsonl"));
        assertEquals(6 + 2, lines.size(), String.join("\n", lines)); // evaluations at update 3 and at the end
        assertTrue(Files.isRegularFile(one.resolve("run.json")));
        assertTrue(LdsCheckpoint.isCheckpoint(one.resolve("model")));
        try (Stream<Path> s = Files.list(TrainingCheckpoint.directory(one))) {
            assertEquals(List.of("latest", "step-00000004", "step-00000006"),
                    s.map(p -> p.getFileName().toString()).sorted().toList());
        }
        EvalResult last = a.evals.get(a.evals.size() - 1);
        assertTrue(last.last() && last.basePpl() != null && last.rows().size() == 4); // fixed 1..3, threshold
        theModelKeepsTheExitRuleItsCalibrationChose(one.resolve("model"), last);

        // one worker or two: the same run, bit for bit
        assertEquals(a.steps, b.steps.stream().map(m -> new StepMetrics(m.step(), m.lr(), m.loss(), m.lm(), m.monotone(),
                m.confidence(), m.lmBefore(), m.tokenAccuracy(), m.gradNorm(), m.tokens(), a.steps.get(m.step() - 1).tokensPerSecond(),
                a.steps.get(m.step() - 1).elapsedSeconds())).toList());

        // "kill" after update 4: keep only its checkpoint, then resume
        Path cut = tmp.resolve("cut");
        copyTree(one, cut);
        deleteTree(cut.resolve("model"));
        deleteTree(TrainingCheckpoint.directory(cut).resolve("step-00000006"));
        Files.writeString(TrainingCheckpoint.directory(cut).resolve("latest"), "step-00000004", StandardCharsets.UTF_8);
        Recorder c = new Recorder();
        assertEquals(6, Conversion.run(request(cut, 2, true), c, dir -> {}));
        assertEquals(2, c.steps.size());
        for (StepMetrics m : c.steps) {
            StepMetrics u = a.steps.get(m.step() - 1);
            assertEquals(u.loss(), m.loss(), 0.0, "update " + m.step());
            assertEquals(u.gradNorm(), m.gradNorm(), 0.0, "update " + m.step());
        }
        assertArrayEquals(Files.readAllBytes(one.resolve("model/model.safetensors")),
                Files.readAllBytes(cut.resolve("model/model.safetensors")));
        List<String> resumedLines = Files.readAllLines(cut.resolve("metrics.jsonl"));
        assertEquals(lines.size(), resumedLines.size());
    }

    @Test
    void theControlRunFineTunesAPlainModel() throws Exception {
        Path out = tmp.resolve("control");
        Recorder r = new Recorder();
        assertEquals(6, Conversion.run(request(out, 2, false, true), r, dir -> {}));
        var model = io.loopus.worker.load.ModelLoader.load(out.resolve("model"), null, io.loopus.worker.tensor.CpuBackend.INSTANCE);
        assertTrue(model.model() instanceof io.loopus.worker.model.LlamaModel);
        EvalResult last = r.evals.get(r.evals.size() - 1);
        assertTrue(last.rows().isEmpty() && last.basePpl() != null);
        assertTrue(r.steps.stream().allMatch(m -> m.monotone() == 0 && m.confidence() == 0));
    }

    @Test
    void badInputsAreClearErrors() throws Exception {
        Path out = tmp.resolve("out");
        var resume = request(out, 1, true); // outside the lambda: a missing ../shared skips rather than fails
        IllegalArgumentException noCheckpoint = assertThrows(IllegalArgumentException.class,
                () -> Conversion.run(resume, new Recorder(), d -> {}));
        assertTrue(noCheckpoint.getMessage().contains("no checkpoint"), noCheckpoint.getMessage());
        Path empty = tmp.resolve("empty.txt");
        Files.writeString(empty, "<|endoftext|>\n");
        var r = request(out, 1, false);
        var bad = new Conversion.Request(r.model(), null, empty, r.eval(), out, r.split(), r.draft(), 0.5, false, false, 4, 0.005);
        IllegalArgumentException noText = assertThrows(IllegalArgumentException.class, () -> Conversion.run(bad, new Recorder(), d -> {}));
        assertTrue(noText.getMessage().contains("no usable text"), noText.getMessage());
    }

    /** The rule is within the tolerance on the calibration stories, is the model's default, and measures as reported. */
    private void theModelKeepsTheExitRuleItsCalibrationChose(Path model, EvalResult last) throws IOException {
        ExitCalibration.Result c = last.calibration();
        assertNotNull(c);
        assertEquals(4, c.stories());
        double best = java.util.Arrays.stream(c.fixedPpl()).min().orElseThrow();
        assertTrue(c.chosen().ppl() <= best * 1.005, c.toString());
        int shallowestWithin = 1;
        while (c.fixedPpl()[shallowestWithin - 1] > best * 1.005) shallowestWithin++;
        assertTrue(c.chosen().loopsMean() <= shallowestWithin, c.toString());
        EvalResult.Row threshold = last.rows().get(last.rows().size() - 1);
        assertEquals(c.chosen().minLoops(), threshold.minLoops());
        assertEquals(c.chosen().tau(), threshold.tau());

        var loaded = io.loopus.worker.load.ModelLoader.load(model, null, io.loopus.worker.tensor.CpuBackend.INSTANCE);
        LoopusModel looped = (LoopusModel) loaded.model();
        assertEquals(HaltingStrategy.THRESHOLD, looped.exitPolicy().strategy());
        assertEquals(c.chosen().minLoops(), looped.exitPolicy().minLoops());
        assertEquals(c.chosen().tau(), looped.exitPolicy().tau());
        HeldOutText calibration = HeldOutText.load(train(), loaded.tokenizer(), looped.config().contextLength(), 4);
        assertEquals(c.chosen().ppl(), Perplexity.of(looped, calibration, d -> {}).ppl(), 1e-6 * c.chosen().ppl());
    }

    private static void copyTree(Path from, Path to) throws IOException {
        try (Stream<Path> walk = Files.walk(from)) {
            for (Path p : walk.toList()) Files.copy(p, to.resolve(from.relativize(p).toString()));
        }
    }

    private static void deleteTree(Path dir) throws IOException {
        try (Stream<Path> walk = Files.walk(dir)) {
            for (Path p : walk.sorted(Comparator.reverseOrder()).toList()) Files.delete(p);
        }
    }
}
