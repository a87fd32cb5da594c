package io.loopus.worker.loop;

import io.loopus.worker.bench.LoopBench;
import io.loopus.worker.bench.ModelBench;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The loop bench runs every cell and reports the KV memory each policy needs. */
class LoopBenchTest {
    @Test
    void reportsEveryCellWithTheKvBytesOfEachPolicy() {
        var base = LoopFixtures.base();
        LoopusModel m = LoopFixtures.initial(base, new Split(1, 4, 5), ExitPolicy.fixed(4), KvPolicy.PER_DEPTH, 1);
        int[] prompt = ModelBench.textPrompt(LoopFixtures.tokenizer());
        List<LoopBench.Row> rows = new LoopBench(m, prompt, 4, 8, 0.01, line -> {}).run(new int[] {1, 3});
        assertEquals(4, rows.size());
        long perLayer = 2L * 4 * base.config().kvDim(); // keys and values, F32
        for (LoopBench.Row r : rows) {
            assertTrue(r.singleTokS() > 0 && r.batchedTokS() > 0, r.toString());
            long layers = r.policy() == KvPolicy.SHARED ? 5 : 1 + 1 + 3L * r.loops();
            assertEquals(perLayer * layers, r.kvBytesPerToken(), r.toString());
        }
        assertEquals(ExitPolicy.fixed(4), m.exitPolicy()); // the model's settings are restored
    }
}
