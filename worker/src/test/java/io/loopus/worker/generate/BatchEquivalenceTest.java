package io.loopus.worker.generate;

import io.loopus.worker.TestData;
import io.loopus.worker.load.LoadedModel;
import io.loopus.worker.load.ModelLoader;
import io.loopus.worker.tensor.CpuBackend;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

/** A sequence decoded inside a batch gives exactly the tokens of decoding it alone. */
class BatchEquivalenceTest {
    private static final String[] PROMPTS = {
        "Once upon a time", "Tom and his dog went to the park.", "Lily", "The sun was hot and the",
        "One day, a little bird", "Sam had a red ball. He", "Mom said", "There was a big tree",
        "The cat and the dog were friends. They liked to", "Ben wanted to fly", "A small boat",
        "It was a rainy day.", "The girl found a box", "Max the frog", "Every night the moon", "Zoe",
    };

    @Test
    void sixteenPromptsTogetherEqualEachAlone() {
        LoadedModel m = ModelLoader.load(TestData.model(), TestData.tokenizer(), CpuBackend.INSTANCE);
        Generator gen = new Generator(m.model());
        List<int[]> prompts = new ArrayList<>();
        for (String p : PROMPTS) prompts.add(m.tokenizer().encode(p, true));
        assertEquals(16, prompts.size());

        // greedy, and sampled with a per-sequence seed: both must be independent of the batch
        for (SamplingParams params : List.of(SamplingParams.greedy(), new SamplingParams(0.9f, 40, 0.95f, 1.1f, 7))) {
            List<GenerationResult> together = gen.generateAll(prompts, 60, List.of(params), null);
            for (int i = 0; i < prompts.size(); i++) {
                GenerationResult alone = gen.generate(prompts.get(i), 60, params, null);
                assertArrayEquals(alone.ids(), together.get(i).ids(), "prompt " + i + " (" + PROMPTS[i] + ") " + params);
            }
        }
    }

    @Test
    void chunkedPrefillEqualsOneStepPrefill() {
        LoadedModel m = ModelLoader.load(TestData.model(), TestData.tokenizer(), CpuBackend.INSTANCE);
        var model = m.model();
        int[] ids = m.tokenizer().encode("Tom and his dog went to the park. They saw a big tree.", true);
        var whole = model.newCache(64);
        var chunked = model.newCache(64);
        int a = whole.newSequence(), b = chunked.newSequence();
        var batch = new io.loopus.worker.model.Batch();
        batch.addChunk(a, ids, 0, ids.length, 0, false);
        float[] expected = new float[model.config().vocabSize()];
        model.backend().read(model.forward(batch, whole), 0, expected);
        float[] actual = new float[expected.length];
        for (int from = 0; from < ids.length; from += 5) {
            int to = Math.min(ids.length, from + 5);
            batch.clear();
            batch.addChunk(b, ids, from, to, from, false);
            model.backend().read(model.forward(batch, chunked), 0, actual);
        }
        assertArrayEquals(expected, actual);
    }
}
