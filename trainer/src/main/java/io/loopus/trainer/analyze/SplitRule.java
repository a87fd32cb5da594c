package io.loopus.trainer.analyze;

import io.loopus.worker.loop.Split;

import java.util.Arrays;

/**
 * Chooses the reasoning block from the relative update norms: a layer that changes the hidden
 * state no more than the typical layer belongs to the plateau, and the block is the longest
 * contiguous plateau run among the inner layers, so the first layer always stays in the encoder
 * and the last in the decoder. The median is the yardstick because the few fast-changing layers
 * at either end cannot move it, unlike the mean or the maximum.
 */
public final class SplitRule {
    /** A layer is on the plateau when its relative update norm is at most this multiple of the median. */
    public static final double MEDIAN_FACTOR = 1.5;

    /** The chosen split, the threshold it was cut at, and the rule in words (with its numbers). */
    public record Choice(Split split, double threshold, boolean fallback, String rule) {
        /** The flags that pass this split on to {@code loopus init}. */
        public String flags() { return "--split " + split; }
    }

    private SplitRule() {}

    public static Choice choose(double[] relativeUpdateNorm) {
        int layers = relativeUpdateNorm.length;
        requireSplittable(layers);
        double threshold = MEDIAN_FACTOR * median(relativeUpdateNorm);
        int bestStart = -1, bestEnd = -1;
        double bestMean = Double.POSITIVE_INFINITY;
        for (int start = 1; start < layers - 1; start++) {
            if (!(relativeUpdateNorm[start] <= threshold)) continue;
            int end = start;
            double sum = 0;
            while (end < layers - 1 && relativeUpdateNorm[end] <= threshold) sum += relativeUpdateNorm[end++];
            double mean = sum / (end - start);
            int length = end - start, best = bestEnd - bestStart;
            if (length > best || (length == best && mean < bestMean)) {
                bestStart = start;
                bestEnd = end;
                bestMean = mean;
            }
            start = end; // runs do not overlap
        }
        String plateau = String.format("reasoning block = the longest contiguous run of inner layers (1..%d) whose relative update norm"
                + " ||h_{l+1}-h_l||/||h_l|| is at most %.1f x its median over all %d layers (threshold %.4g); ties go to the run"
                + " with the lower mean; layer 0 stays in the encoder and layer %d in the decoder",
                layers - 2, MEDIAN_FACTOR, layers, threshold, layers - 1);
        if (bestStart < 0) {
            Split middle = middleThird(layers);
            return new Choice(middle, threshold, true, plateau + "; no inner layer qualified, so the middle third [" + middle.encoderEnd()
                    + ", " + middle.decoderStart() + ") was taken");
        }
        Split split = new Split(bestStart, bestEnd, layers);
        return new Choice(split, threshold, false, plateau + ": layers [" + bestStart + ", " + bestEnd + ")");
    }

    /** A split needs an encoder, a reasoning block and a decoder of at least one layer each. */
    public static void requireSplittable(int layers) {
        if (layers < 3) {
            throw new IllegalArgumentException("the model has " + layers + " layer" + (layers == 1 ? "" : "s")
                    + "; a split needs at least 3 (one each for encoder, reasoning block and decoder)");
        }
    }

    /** Layers [L/3, L - L/3), at least one layer on each side. */
    static Split middleThird(int layers) {
        int third = Math.max(1, layers / 3);
        return new Split(third, Math.max(third + 1, layers - third), layers);
    }

    static double median(double[] values) {
        double[] sorted = values.clone();
        Arrays.sort(sorted);
        int n = sorted.length;
        return n % 2 == 1 ? sorted[n / 2] : (sorted[n / 2 - 1] + sorted[n / 2]) / 2;
    }
}
