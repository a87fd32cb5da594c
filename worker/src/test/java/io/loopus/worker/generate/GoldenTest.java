package io.loopus.worker.generate;

import com.fasterxml.jackson.databind.JsonNode;
import io.loopus.worker.TestData;
import io.loopus.worker.load.LoadedModel;
import io.loopus.worker.load.ModelLoader;
import io.loopus.worker.tensor.CpuBackend;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.nio.file.Path;
import java.util.Arrays;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** stories260K against golden.json (computed in float64 by an independent implementation). */
class GoldenTest {

    private static LoadedModel load(String file) {
        Path model = TestData.stories().resolve(file);
        return ModelLoader.load(model, TestData.tokenizer(), CpuBackend.INSTANCE);
    }

    @ParameterizedTest
    @ValueSource(strings = {"stories260K.bin", "stories260K_v0.bin"})
    void promptIdsGreedyIdsAndLastLogitsMatchGolden(String file) {
        LoadedModel m = load(file);
        Generator gen = new Generator(m.model());
        for (JsonNode c : TestData.golden().path("cases")) {
            int[] promptIds = m.tokenizer().encode(c.path("prompt").asText(), true);
            assertArrayEquals(TestData.ints(c.path("prompt_ids")), promptIds, "prompt ids of " + c.path("prompt"));

            int[] golden = TestData.ints(c.path("greedy_ids"));
            GenerationResult r = gen.generate(promptIds, 80, SamplingParams.greedy(), null);
            int[] all = concat(promptIds, r.ids());
            assertArrayEquals(golden, all, "greedy ids of " + c.path("prompt"));
            assertEquals(c.path("greedy_text").asText(), m.tokenizer().decode(all));

            float[] last = gen.score(promptIds.length > 1 ? promptIds : new int[] {promptIds[0], promptIds[0]}).lastLogits();
            JsonNode expected = c.path("last_logits");
            assertEquals(expected.size(), last.length);
            double worst = 0;
            for (int i = 0; i < last.length; i++) worst = Math.max(worst, Math.abs(last[i] - expected.get(i).asDouble()));
            assertTrue(worst <= 1e-4, "last logits differ by " + worst);
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"stories260K.bin", "stories260K_v0.bin"})
    void perplexityMatchesGolden(String file) {
        LoadedModel m = load(file);
        for (JsonNode p : TestData.golden().path("perplexity")) {
            int[] ids = m.tokenizer().encode(p.path("text").asText(), true);
            assertEquals(p.path("tokens").asInt(), ids.length);
            Generator.Score s = new Generator(m.model()).score(ids);
            double ppl = p.path("ppl").asDouble();
            assertEquals(ppl, s.ppl(), ppl * 1e-3);
            assertEquals(p.path("mean_nll").asDouble(), s.nll(), 1e-3);
        }
    }

    private static int[] concat(int[] a, int[] b) {
        int[] c = Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, c, a.length, b.length);
        return c;
    }
}
