package io.loopus.server.demo;

import io.loopus.trainer.train.Conversion;

import java.util.Locale;

/**
 * The demo's short conversion: the {@code convert} defaults (split from the analysis, N = 4, 2 x 8
 * sequences of 128 tokens per update, T = 8, S = 4, lr 1e-3) but 60 updates instead of 200, the
 * near-identity gate (one loop starts at the base model, so few updates already give readable text),
 * a small slice of the training text (enough for the updates: the tokenizer reads ~75 KB of text a
 * second here, so a whole corpus would take longer than the training) and the final evaluation on the
 * first 20 held-out stories only. Measured on stories260K: about a minute on
 * two cores, and the converted model's confidence varies from token to token, so exit depths do too.
 *
 * @param trainChars     characters of training text to keep (whole stories from the start of the file)
 * @param analysisTokens calibration tokens of the decomposition analysis that picks the split
 */
public record DemoRecipe(int loops, int steps, int warmup, double lr, int batch, int microBatches, int seqLen,
                         int reasoningSteps, int supervision, double beta, double clip, long seed, boolean nearIdentityGate,
                         int evalStories, long trainChars, long analysisTokens) {
    public static final int DEFAULT_STEPS = 60;

    public DemoRecipe {
        if (steps < 1) throw new IllegalArgumentException("--steps must be >= 1, got " + steps);
    }

    public static DemoRecipe standard() {
        return withSteps(DEFAULT_STEPS);
    }

    /**
     * The standard recipe at another length: warm-up a tenth of it, training text in proportion, and
     * the final evaluation (which reads the held-out stories token by token for the threshold exits) on
     * a third as many stories as updates, from 5 to 20, so a tiny run gets a short check.
     */
    public static DemoRecipe withSteps(int steps) {
        if (steps < 1) throw new IllegalArgumentException("--steps must be >= 1, got " + steps);
        int batch = 8, microBatches = 2, seqLen = 128, supervision = 4;
        // Every S updates take one micro-batch per stream; ~2 characters per token, and twice that for a
        // second epoch's worth of margin, so that no sequence is seen twice.
        long tokens = (long) Math.ceil(steps / (double) supervision) * microBatches * batch * seqLen;
        return new DemoRecipe(4, steps, Math.max(1, steps / 10), 1e-3, batch, microBatches, seqLen, 8, supervision, 1, 1,
                0, true, Math.max(5, Math.min(20, steps / 3)), Math.max(20_000, 4 * tokens), 4096);
    }

    /** The settings of {@code convert} (all but the split, which the analysis chooses). */
    public Conversion.TrainConfigDraft draft(int workers) {
        return new Conversion.TrainConfigDraft(loops, steps, warmup, lr, batch, microBatches, seqLen, reasoningSteps,
                supervision, beta, clip, seed, workers, steps, 0, evalStories, false);
    }

    /** Every setting that changes the result, in a fixed order: part of the cache key. */
    public String canonical() {
        return String.format(Locale.ROOT, "demo-recipe-v1 loops=%d steps=%d warmup=%d lr=%s batch=%d micro=%d seq=%d T=%d S=%d"
                        + " beta=%s clip=%s seed=%d gate=%s eval-stories=%d train-chars=%d analysis-tokens=%d split=auto",
                loops, steps, warmup, lr, batch, microBatches, seqLen, reasoningSteps, supervision, beta, clip, seed,
                gateName(), evalStories, trainChars, analysisTokens);
    }

    /** For people: the flags of an equivalent {@code convert} run. */
    public String describe() {
        return String.format(Locale.ROOT, "%d updates of %d x %d sequences of %d tokens, T = %d, S = %d, lr %s, %s gate, N = %d",
                steps, microBatches, batch, seqLen, reasoningSteps, supervision, lr, gateName(), loops);
    }

    private String gateName() {
        return nearIdentityGate ? "near-identity" : "reference";
    }
}
