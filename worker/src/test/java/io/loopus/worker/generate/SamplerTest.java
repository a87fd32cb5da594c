package io.loopus.worker.generate;

import org.junit.jupiter.api.Test;

import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class SamplerTest {
    private static float[] logits(int n, long seed) {
        Random r = new Random(seed);
        float[] x = new float[n];
        for (int i = 0; i < n; i++) x[i] = (float) r.nextGaussian() * 2;
        return x;
    }

    private static int[] draw(SamplingParams p, float[] logits, int count) {
        Sampler s = new Sampler(p, logits.length);
        int[] out = new int[count];
        for (int i = 0; i < count; i++) out[i] = s.sample(logits, 0, new int[0], 0);
        return out;
    }

    @Test
    void greedyIsArgmax() {
        float[] x = logits(100, 1);
        assertEquals(Sampler.argmax(x, x.length), new Sampler(SamplingParams.greedy(), 100).sample(x, 0, new int[0], 0));
    }

    @Test
    void sameSeedSameTokensOtherSeedOtherTokens() {
        float[] x = logits(500, 2);
        SamplingParams a = new SamplingParams(1f, 0, 1f, 1f, 11);
        assertEquals(java.util.Arrays.toString(draw(a, x, 50)), java.util.Arrays.toString(draw(a, x, 50)));
        assertNotEquals(java.util.Arrays.toString(draw(a, x, 50)),
                java.util.Arrays.toString(draw(new SamplingParams(1f, 0, 1f, 1f, 12), x, 50)));
    }

    @Test
    void topKOneAndTinyTopPAreGreedy() {
        float[] x = logits(300, 3);
        int best = Sampler.argmax(x, x.length);
        for (int t : draw(new SamplingParams(1.5f, 1, 1f, 1f, 5), x, 30)) assertEquals(best, t);
        for (int t : draw(new SamplingParams(1.5f, 0, 1e-6f, 1f, 5), x, 30)) assertEquals(best, t);
    }

    @Test
    void topKKeepsOnlyTheKMostLikely() {
        float[] x = logits(300, 4);
        Integer[] order = new Integer[x.length];
        for (int i = 0; i < order.length; i++) order[i] = i;
        java.util.Arrays.sort(order, (a, b) -> Float.compare(x[b], x[a]));
        java.util.Set<Integer> top5 = java.util.Set.of(order[0], order[1], order[2], order[3], order[4]);
        for (int t : draw(new SamplingParams(5f, 5, 1f, 1f, 9), x, 200)) assertTrue(top5.contains(t));
    }

    @Test
    void topPIsTakenWithinTheTopK() {
        // probabilities ~ 0.4, 0.3, 0.2, 0.1: top-k 2 renormalises to 4/7, 3/7, so top-p 0.5 keeps one token
        float[] x = {(float) Math.log(4), (float) Math.log(3), (float) Math.log(2), 0f};
        for (int t : draw(new SamplingParams(1f, 2, 0.5f, 1f, 3), x, 200)) assertEquals(0, t);
        int second = 0;
        for (int t : draw(new SamplingParams(1f, 2, 0.6f, 1f, 3), x, 2000)) second += t;
        assertEquals(3.0 / 7, second / 2000.0, 0.04);
    }

    @Test
    void samplingFollowsTheDistribution() {
        float[] x = {0f, (float) Math.log(3)}; // probabilities 1/4, 3/4
        int ones = 0;
        for (int t : draw(new SamplingParams(1f, 0, 1f, 1f, 21), x, 20000)) ones += t;
        assertEquals(0.75, ones / 20000.0, 0.02);
    }

    @Test
    void repetitionPenaltyDiscouragesSeenTokens() {
        float[] x = {2f, 1.9f, -1f};
        Sampler s = new Sampler(new SamplingParams(0f, 0, 1f, 1.5f, 0), 3);
        assertEquals(1, s.sample(x, 0, new int[] {0, 0}, 2));
        assertEquals(0, s.sample(x, 0, new int[] {2}, 1));
    }

    @Test
    void invalidParametersAreRejectedWithTheirName() {
        assertTrue(assertThrows(IllegalArgumentException.class, () -> new SamplingParams(Float.NaN, 0, 1, 1, 0))
                .getMessage().contains("temperature"));
        assertTrue(assertThrows(IllegalArgumentException.class, () -> new SamplingParams(1, 0, 0f, 1, 0))
                .getMessage().contains("top-p"));
        assertTrue(assertThrows(IllegalArgumentException.class, () -> new SamplingParams(1, -1, 1, 1, 0))
                .getMessage().contains("top-k"));
    }
}
