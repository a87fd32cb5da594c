package io.loopus.trainer.analyze;

import io.loopus.worker.loop.Split;
import io.loopus.worker.model.Batch;
import io.loopus.worker.model.CausalModel;
import io.loopus.worker.model.LlamaConfig;
import io.loopus.worker.model.LlamaModel;
import io.loopus.worker.model.PagedKvCache;
import io.loopus.worker.model.SequenceCache;
import io.loopus.worker.tensor.Backend;
import io.loopus.worker.tensor.Tensor;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The analysis end to end on synthetic models whose quiet layers are known. */
class DecompositionAnalysisTest {
    @TempDir Path tmp;
    final ByteTokenizer tok = new ByteTokenizer();

    Path stories(int count) throws IOException {
        StringBuilder sb = new StringBuilder();
        String[] names = {"Tom", "Lily", "a small dog", "the old owl", "Ben"};
        for (int i = 0; i < count; i++) {
            sb.append("Once upon a time ").append(names[i % names.length]).append(" found ").append(i)
                    .append(" red apples by the river.\nThey were happy.\n<|endoftext|>\n");
        }
        return Files.writeString(tmp.resolve("stories.txt"), sb);
    }

    Analysis analyse(CausalModel model, long tokens) throws IOException {
        return DecompositionAnalysis.run(model, "synthetic", tok, stories(20), tokens, done -> {});
    }

    @Test void findsTheQuietMiddleLayersAsTheReasoningBlock() throws IOException {
        Analysis a = analyse(SyntheticModel.build(8, 2, 6, 1e-4f), 400);
        LayerDynamics d = a.dynamics();
        assertEquals(new Split(2, 6, 8), a.choice().split(), () -> "relative update norms " + java.util.Arrays.toString(d.relativeUpdateNorm()));
        assertFalse(a.choice().fallback());
        for (int l = 0; l < 8; l++) {
            boolean quiet = l >= 2 && l < 6;
            assertEquals(quiet, d.relativeUpdateNorm()[l] < 1e-3, "layer " + l + ": " + d.relativeUpdateNorm()[l]);
            if (quiet) assertEquals(1, d.cosine()[l], 1e-6, "layer " + l);
        }
        assertEquals(400, d.tokens());
        assertEquals(400 - a.stories(), d.predicted());
    }

    @Test void zeroedLayersChangeNothingExactly() throws IOException {
        LayerDynamics d = analyse(SyntheticModel.build(4, 1, 3, 0f), 200).dynamics();
        for (int l = 1; l < 3; l++) {
            assertEquals(0, d.relativeUpdateNorm()[l], "layer " + l);
            assertEquals(1, d.cosine()[l], 1e-12, "layer " + l);
        }
        // the same state gives the same logit-lens predictions
        assertEquals(d.logitLensAccuracy()[0], d.logitLensAccuracy()[1]);
        assertEquals(d.logitLensAccuracy()[0], d.logitLensAccuracy()[2]);
        assertTrue(d.relativeUpdateNorm()[0] > 0.01 && d.relativeUpdateNorm()[3] > 0.01);
    }

    /** After the last layer the logit lens is the model itself: its accuracy is the model's own. */
    @Test void theLastLayersLogitLensIsTheModelsAccuracy() throws IOException {
        LlamaModel model = SyntheticModel.build(3, 0, 0, 1);
        Path data = stories(6);
        LayerDynamics d = DecompositionAnalysis.run(model, "m", tok, data, 10_000, done -> {}).dynamics();
        long right = 0, predicted = 0;
        PagedKvCache cache = model.newCache(model.config().contextLength());
        try (CalibrationText text = CalibrationText.open(data, tok, model.config().contextLength(), 10_000)) {
            for (int[] ids = text.next(); ids != null; ids = text.next()) {
                Batch batch = new Batch();
                int seq = cache.newSequence();
                batch.addChunk(seq, ids, 0, ids.length, 0, true);
                Tensor logits = model.forward(batch, cache);
                float[] row = new float[model.config().vocabSize()];
                for (int t = 0; t + 1 < ids.length; t++) {
                    model.backend().read(logits, t, row);
                    if (StateMetrics.argmax(row) == ids[t + 1]) right++;
                    predicted++;
                }
                cache.free(seq);
            }
        }
        assertEquals(predicted, d.predicted());
        assertEquals((double) right / predicted, d.logitLensAccuracy()[2], 1e-12);
    }

    @Test void reportsProgressInTokens() throws IOException {
        List<Long> seen = new ArrayList<>();
        DecompositionAnalysis.run(SyntheticModel.build(3, 0, 0, 1), "m", tok, stories(5), 120, seen::add);
        assertEquals(120L, seen.get(seen.size() - 1));
        for (int i = 1; i < seen.size(); i++) assertTrue(seen.get(i) > seen.get(i - 1));
    }

    @Test void modelsOfFewerThanThreeLayersAreRefused() throws IOException {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> analyse(SyntheticModel.build(2, 0, 0, 1), 100));
        assertTrue(e.getMessage().contains("2 layers") && e.getMessage().contains("at least 3"), e.getMessage());
    }

    @Test void emptyDataIsNamed() throws IOException {
        Path empty = Files.writeString(tmp.resolve("empty.txt"), "\n<|endoftext|>\n  \n");
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> DecompositionAnalysis.run(SyntheticModel.build(3, 0, 0, 1), "m", tok, empty, 100, done -> {}));
        assertTrue(e.getMessage().contains(empty.toString()) && e.getMessage().contains("no text"), e.getMessage());
    }

    @Test void onlyBaseModelsAreAnalysed() {
        LlamaModel base = SyntheticModel.build(3, 0, 0, 1);
        CausalModel looped = new CausalModel() {
            @Override public LlamaConfig config() { return base.config(); }

            @Override public Backend backend() { return base.backend(); }

            @Override public SequenceCache newCache(int capacityTokens) { return base.newCache(capacityTokens); }

            @Override public Tensor forward(Batch batch, SequenceCache cache) { return base.forward(batch, cache); }
        };
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> DecompositionAnalysis.baseModel(looped));
        assertTrue(e.getMessage().contains("base"), e.getMessage());
        assertEquals(base, DecompositionAnalysis.baseModel(base));
    }
}
