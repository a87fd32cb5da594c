package io.loopus.trainer.analyze;

import io.loopus.trainer.data.StoryReader;
import io.loopus.worker.model.CausalModel;
import io.loopus.worker.model.LlamaModel;
import io.loopus.worker.tokenizer.Tokenizer;

import java.nio.file.Path;

/**
 * Block decomposition (DESIGN §1): runs a base model over calibration text layer by layer,
 * measures how much each layer changes the hidden state, and chooses the reasoning block with
 * {@link SplitRule}.
 */
public final class DecompositionAnalysis {
    /** Told the tokens done so far after each sequence. */
    @FunctionalInterface
    public interface Progress {
        void update(long tokensDone);
    }

    private DecompositionAnalysis() {}

    /**
     * Analyses {@code model} over up to {@code tokens} tokens of {@code data}; {@code name} says
     * which model it is in the results.
     */
    public static Analysis run(CausalModel model, String name, Tokenizer tokenizer, Path data, long tokens, Progress progress) {
        LlamaModel base = baseModel(model);
        SplitRule.requireSplittable(base.config().layers());
        if (tokens < 1) throw new IllegalArgumentException("--tokens must be >= 1, got " + tokens);
        long start = System.nanoTime();
        int maxLength = (int) Math.min(base.config().contextLength(), tokens);
        LayerProbe probe = new LayerProbe(base, maxLength);
        DynamicsSums sums = new DynamicsSums(base.config().layers());
        int stories = 0;
        try (CalibrationText text = CalibrationText.open(data, tokenizer, maxLength, tokens)) {
            for (int[] ids = text.next(); ids != null; ids = text.next()) {
                probe.run(ids, sums);
                stories++;
                progress.update(text.used());
            }
        }
        if (stories == 0) {
            throw new IllegalArgumentException("data file " + data + ": no text (empty, or only " + StoryReader.SEPARATOR
                    + " separators)");
        }
        LayerDynamics dynamics = sums.means();
        double seconds = (System.nanoTime() - start) / 1e9;
        return new Analysis(name, data, stories, dynamics, SplitRule.choose(dynamics.relativeUpdateNorm()), seconds);
    }

    /** Fails, naming the file, unless the calibration text can be read: to be checked before a slow model load. */
    public static void checkData(Path data) {
        StoryReader.checkReadable(data);
    }

    /** The Llama-family base model inside {@code model}; a looped (LoopUS) model is refused. */
    public static LlamaModel baseModel(CausalModel model) {
        if (model instanceof LlamaModel base) return base;
        throw new IllegalArgumentException("analyze needs a base (Llama-family) model, got a "
                + model.getClass().getSimpleName() + "; analyse the base model it was made from");
    }
}
