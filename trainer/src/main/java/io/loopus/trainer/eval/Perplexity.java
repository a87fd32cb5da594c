package io.loopus.trainer.eval;

import io.loopus.worker.generate.Generator;
import io.loopus.worker.model.CausalModel;

import java.util.function.LongConsumer;

/**
 * Token-weighted perplexity of a model over a held-out text (DESIGN §8), and for a LoopUS model the
 * mean loop depth per predicted token. Each story is scored as {@link Generator#score} does: in one
 * step, or token by token with the cache when exits are adaptive.
 */
public final class Perplexity {
    private Perplexity() {}

    /**
     * @param ppl         exp(mean NLL)
     * @param loopsMean   NaN for a base model
     * @param depthCounts tokens that left the loop after 1, 2, ... loops (empty for a base model)
     */
    public record Result(double ppl, double meanNll, long tokens, double loopsMean, long[] depthCounts) {}

    /** @param progress told the number of stories done after each one */
    public static Result of(CausalModel model, HeldOutText text, LongConsumer progress) {
        Generator generator = new Generator(model);
        double nll = 0, depth = 0;
        long tokens = 0, done = 0;
        long[] counts = new long[0];
        for (int[] ids : text.stories()) {
            Generator.Score s = generator.score(ids);
            long predicted = ids.length - 1;
            nll += s.nll() * predicted;
            tokens += predicted;
            if (s.depths() != null) {
                for (int d : s.depths()) {
                    if (d > counts.length) counts = java.util.Arrays.copyOf(counts, d);
                    counts[d - 1]++;
                    depth += d;
                }
            }
            progress.accept(++done);
        }
        double loopsMean = counts.length == 0 ? Double.NaN : depth / tokens;
        return new Result(Math.exp(nll / tokens), nll / tokens, tokens, loopsMean, counts);
    }
}
