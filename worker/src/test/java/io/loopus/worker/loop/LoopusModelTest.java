package io.loopus.worker.loop;

import io.loopus.worker.generate.GenerationResult;
import io.loopus.worker.generate.Generator;
import io.loopus.worker.generate.SamplingParams;
import io.loopus.worker.load.Llama2cLoader;
import io.loopus.worker.model.Batch;
import io.loopus.worker.model.LlamaModel;
import io.loopus.worker.tensor.CpuBackend;
import io.loopus.worker.tensor.Tensor;
import io.loopus.worker.tokenizer.Tokenizer;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;

import static io.loopus.worker.loop.LoopFixtures.allLogits;
import static io.loopus.worker.loop.LoopFixtures.maxAbsDiff;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The LoopUS identities of DESIGN §6 on stories260K. */
class LoopusModelTest {
    private static final String TEXT = "Once upon a time, there was a little girl named Lily. She loved to play"
            + " outside in the park with her dog, Max. One day, they found a big red ball.";
    private static final String[] PROMPTS = {
        "Once upon a time", "Tom and his dog went to the park.", "Lily", "The sun was hot and the",
        "One day, a little bird", "Sam had a red ball. He", "Mom said", "There was a big tree",
        "The cat and the dog were friends. They liked to", "Ben wanted to fly", "A small boat",
        "It was a rainy day.", "The girl found a box", "Max the frog", "Every night the moon", "Zoe",
    };
    private static Llama2cLoader.Checkpoint base;
    private static Tokenizer tok;

    @BeforeAll
    static void load() {
        base = LoopFixtures.base();
        tok = LoopFixtures.tokenizer();
    }

    @Test
    void anOpenGateAndOneLoopGiveTheBaseModel() {
        int[] ids = tok.encode(TEXT, true);
        float[][] expected = allLogits(new LlamaModel(base.config(), base.weights(), CpuBackend.INSTANCE), ids);
        for (Split split : List.of(new Split(1, 4, 5), new Split(2, 3, 5), new Split(0, 5, 5))) {
            LoopusModel m = LoopFixtures.looped(base, split, LoopFixtures.openGate(64),
                    ConfidenceHead.initial(64, new java.util.Random(1)), ExitPolicy.fixed(1), KvPolicy.PER_DEPTH);
            float[][] actual = allLogits(m, ids);
            for (int t = 0; t < ids.length; t++) {
                assertTrue(maxAbsDiff(expected[t], actual[t]) <= 1e-5f, "split " + split + " position " + t);
            }
        }
    }

    @Test
    void aNearIdentityGateStartsOneLoopAtTheBaseModel() {
        int[] ids = tok.encode(TEXT, true);
        float[][] expected = allLogits(new LlamaModel(base.config(), base.weights(), CpuBackend.INSTANCE), ids);
        java.util.Random random = new java.util.Random(4);
        LoopusModel m = LoopFixtures.looped(base, new Split(1, 4, 5), GateWeights.nearIdentity(64, random),
                ConfidenceHead.initial(64, random), ExitPolicy.fixed(1), KvPolicy.PER_DEPTH);
        float[][] actual = allLogits(m, ids);
        float worst = 0;
        for (int t = 0; t < ids.length; t++) worst = Math.max(worst, maxAbsDiff(expected[t], actual[t]));
        assertTrue(worst < 0.05f, "logits move by " + worst);
        assertTrue(m.trace(0).meanAbar()[0] > 0.99f, "mean Abar " + m.trace(0).meanAbar()[0]);
        // the reference's init starts far from it (mean Abar ~0.69 at H = 64)
        LoopusModel ref = LoopFixtures.initial(base, new Split(1, 4, 5), ExitPolicy.fixed(1), KvPolicy.PER_DEPTH, 4);
        assertTrue(maxAbsDiff(expected[ids.length - 1], allLogits(ref, ids)[ids.length - 1]) > 10 * worst);
    }

    @Test
    void cachedDecodingAtFixedDepthEqualsRecomputationUnderPerDepth() {
        int[] ids = tok.encode(TEXT, true);
        LoopusModel m = LoopFixtures.initial(base, new Split(1, 4, 5), ExitPolicy.fixed(4), KvPolicy.PER_DEPTH, 3);
        float[][] full = allLogits(m, ids);
        float[][] cached = incremental(m, ids, 5);
        for (int t = 4; t < ids.length; t++) {
            assertTrue(maxAbsDiff(full[t], cached[t]) <= 1e-4f, "position " + t + ": " + maxAbsDiff(full[t], cached[t]));
        }
        // the loop does something: the logits are not the base model's
        float[][] plain = allLogits(new LlamaModel(base.config(), base.weights(), CpuBackend.INSTANCE), ids);
        assertTrue(maxAbsDiff(plain[ids.length - 1], full[ids.length - 1]) > 1e-3f);

        // shared caches cannot match by design; how far they move the perplexity is reported
        m.setKvPolicy(KvPolicy.SHARED);
        float[][] shared = incremental(m, ids, 5);
        System.out.printf("fixed N=4, %d tokens: ppl recomputed %.4f, cached per-depth %.4f, cached shared %.4f%n",
                ids.length, ppl(full, ids, 5), ppl(cached, ids, 5), ppl(shared, ids, 5));
    }

    @Test
    void sequencesExitingAtDifferentDepthsDecodeTogetherAsAlone() {
        List<int[]> prompts = new ArrayList<>();
        for (String p : PROMPTS) prompts.add(tok.encode(p, true));
        for (KvPolicy kv : KvPolicy.values()) {
            // calibrate tau to the median q of this gate and head, so that exits spread over depths
            LoopusModel probe = LoopFixtures.initial(base, new Split(1, 4, 5),
                    new ExitPolicy(HaltingStrategy.THRESHOLD, 6, 1, 1.0, 1, 1e-2), kv, 11);
            List<Float> qs = new ArrayList<>();
            for (GenerationResult r : new Generator(probe).tracing(true).generateAll(prompts, 8,
                    List.of(SamplingParams.greedy()), null)) {
                for (TokenTrace t : r.trace()) for (float q : t.q()) qs.add(q);
            }
            qs.sort(null);
            double tau = qs.get(qs.size() / 2);

            LoopusModel m = LoopFixtures.initial(base, new Split(1, 4, 5),
                    new ExitPolicy(HaltingStrategy.THRESHOLD, 6, 1, tau, 1, 1e-2), kv, 11);
            Generator gen = new Generator(m).tracing(true);
            List<GenerationResult> together = gen.generateAll(prompts, 30, List.of(SamplingParams.greedy()), null);
            Set<Integer> depths = new TreeSet<>();
            for (int i = 0; i < prompts.size(); i++) {
                GenerationResult alone = gen.generate(prompts.get(i), 30, SamplingParams.greedy(), null);
                assertArrayEquals(alone.ids(), together.get(i).ids(), kv + " prompt " + i);
                assertEquals(depthsOf(alone), depthsOf(together.get(i)), kv + " prompt " + i);
                depths.addAll(depthsOf(alone));
            }
            assertTrue(depths.size() >= 3, kv + ": exits should spread over depths, got " + depths);
        }
    }

    @Test
    void laterTokensSeeAnEarlyExitedTokenAtEveryDeeperDepth() {
        // The prompt exits after one loop; the next token loops three times. Under per-depth, the
        // prompt's depth-1 keys are filled forward into depths 2 and 3, so that token sees exactly
        // what it sees under shared (where depth 1 is all the prompt ever wrote). Dropping that
        // history, as the reference does, would make the two differ.
        int[] ids = tok.encode(TEXT, true);
        for (int promptLen : new int[] {3, 8, 17}) {
            float[][] byPolicy = new float[2][];
            for (KvPolicy kv : KvPolicy.values()) {
                LoopusModel m = LoopFixtures.initial(base, new Split(1, 4, 5), ExitPolicy.fixed(3), kv, 5);
                byPolicy[kv.ordinal()] = afterEarlyPrompt(m, ids, promptLen);
            }
            assertArrayEquals(byPolicy[0], byPolicy[1], "prompt of " + promptLen);
            // and the prompt's depth matters: looping it three times too gives other logits
            LoopusModel m = LoopFixtures.initial(base, new Split(1, 4, 5), ExitPolicy.fixed(3), KvPolicy.PER_DEPTH, 5);
            float[][] deepPrompt = incremental(m, ids, promptLen + 1);
            assertTrue(maxAbsDiff(deepPrompt[promptLen], byPolicy[0]) > 1e-3f);
        }
    }

    /** Logits at position promptLen: the prompt ids[0, promptLen) with one loop, then one token with three. */
    private static float[] afterEarlyPrompt(LoopusModel m, int[] ids, int promptLen) {
        LoopusCache cache = m.newCache(ids.length);
        int seq = cache.newSequence();
        Batch batch = new Batch();
        cache.setExitPolicy(seq, ExitPolicy.fixed(1));
        batch.addChunk(seq, ids, 0, promptLen, 0, false);
        m.forward(batch, cache);
        assertEquals(1, m.exitDepth(0));
        cache.setExitPolicy(seq, ExitPolicy.fixed(3));
        batch.clear();
        batch.add(seq, ids[promptLen], promptLen, true);
        float[] out = new float[m.config().vocabSize()];
        m.backend().read(m.forward(batch, cache), 0, out);
        assertEquals(3, m.exitDepth(0));
        return out;
    }

    @Test
    void aPromptFedInPiecesGivesWhatItGivesInOneStep() {
        int[] ids = tok.encode(TEXT, true);
        int promptLen = 20;
        ExitPolicy exit = new ExitPolicy(HaltingStrategy.THRESHOLD, 5, 1, 0.35, 1, 1e-2);
        LoopusModel m = LoopFixtures.initial(base, new Split(1, 4, 5), exit, KvPolicy.PER_DEPTH, 9);
        float[][] whole = new float[ids.length][], pieces = new float[ids.length][];
        int[][] depths = new int[2][ids.length];
        for (int run = 0; run < 2; run++) {
            float[][] out = run == 0 ? whole : pieces;
            LoopusCache cache = m.newCache(ids.length);
            int seq = cache.newSequence();
            Batch batch = new Batch();
            int step = run == 0 ? promptLen : 6;
            for (int from = 0; from < promptLen; from += step) {
                int to = Math.min(promptLen, from + step);
                batch.clear();
                batch.addChunk(seq, ids, from, to, from, false);
                batch = withLogitsOnlyAtTheEnd(batch, seq, ids, from, to, to == promptLen);
                Tensor logits = m.forward(batch, cache);
                if (to == promptLen) {
                    out[promptLen - 1] = new float[m.config().vocabSize()];
                    m.backend().read(logits, 0, out[promptLen - 1]);
                    depths[run][promptLen - 1] = m.exitDepth(0);
                }
            }
            for (int t = promptLen; t < ids.length; t++) {
                batch.clear();
                batch.add(seq, ids[t], t, true);
                out[t] = new float[m.config().vocabSize()];
                m.backend().read(m.forward(batch, cache), 0, out[t]);
                depths[run][t] = m.exitDepth(0);
            }
        }
        for (int t = promptLen - 1; t < ids.length; t++) assertArrayEquals(whole[t], pieces[t], "position " + t);
        assertArrayEquals(depths[0], depths[1]);
        // the prompt leaves before the deepest loop, so its first pieces must reach the decoder at that depth too
        assertTrue(depths[0][promptLen - 1] < 5, "the prompt's depth " + depths[0][promptLen - 1]);
        assertTrue(java.util.Arrays.stream(depths[0], promptLen, ids.length).distinct().count() >= 2,
                "depths should vary: " + java.util.Arrays.toString(depths[0]));
    }

    /** A chunk that wants logits only at its last row, and only when it ends the prompt. */
    private static Batch withLogitsOnlyAtTheEnd(Batch ignored, int seq, int[] ids, int from, int to, boolean last) {
        Batch b = new Batch();
        for (int i = from; i < to; i++) b.add(seq, ids[i], i, last && i == to - 1);
        return b;
    }

    @Test
    void adaptiveScoringGoesTokenByTokenAndReportsTheMeanDepth() {
        int[] ids = tok.encode(TEXT, true);
        LoopusModel m = LoopFixtures.initial(base, new Split(1, 4, 5), ExitPolicy.fixed(3), KvPolicy.PER_DEPTH, 2);
        Generator.Score fixed = new Generator(m).score(ids);
        assertEquals(3.0, fixed.loops());
        // a threshold no q can pass runs every token to N: token by token, the same perplexity
        m.setExitPolicy(new ExitPolicy(HaltingStrategy.THRESHOLD, 3, 1, 1.0, 1, 1e-2));
        Generator.Score never = new Generator(m).score(ids);
        assertEquals(3.0, never.loops());
        assertEquals(fixed.nll(), never.nll(), 1e-5);
        m.setExitPolicy(new ExitPolicy(HaltingStrategy.THRESHOLD, 3, 1, 0.45, 1, 1e-2));
        Generator.Score adaptive = new Generator(m).score(ids);
        assertTrue(adaptive.loops() > 1 && adaptive.loops() < 3, "loops_mean " + adaptive.loops());
    }

    /** Logits at each position: a prompt of promptLen tokens in one step, then one token per step. */
    private static float[][] incremental(LoopusModel m, int[] ids, int promptLen) {
        LoopusCache cache = m.newCache(ids.length);
        int seq = cache.newSequence();
        Batch batch = new Batch();
        float[][] out = new float[ids.length][m.config().vocabSize()];
        batch.addChunk(seq, ids, 0, promptLen, 0, false);
        Tensor logits = m.forward(batch, cache);
        m.backend().read(logits, 0, out[promptLen - 1]);
        for (int t = promptLen; t < ids.length; t++) {
            batch.clear();
            batch.add(seq, ids[t], t, true);
            m.backend().read(m.forward(batch, cache), 0, out[t]);
        }
        return out;
    }

    private static double ppl(float[][] logits, int[] ids, int from) {
        double nll = 0;
        for (int t = from - 1; t + 1 < ids.length; t++) nll -= Generator.logSoftmax(logits[t], 0, logits[t].length, ids[t + 1]);
        return Math.exp(nll / (ids.length - from));
    }

    private static List<Integer> depthsOf(GenerationResult r) {
        return r.trace().stream().map(TokenTrace::depth).toList();
    }
}
