package io.loopus.worker.generate;

/**
 * How the next token is chosen. Temperature 0 is greedy (argmax). topK 0 and topP 1 disable
 * those filters; repetitionPenalty 1 disables the penalty (CTRL/Hugging Face rule).
 */
public record SamplingParams(float temperature, int topK, float topP, float repetitionPenalty, long seed) {

    public SamplingParams {
        if (!(temperature >= 0) || Float.isInfinite(temperature)) {
            throw new IllegalArgumentException("temperature must be a finite number >= 0, got " + temperature);
        }
        if (topK < 0) throw new IllegalArgumentException("top-k must be >= 0, got " + topK);
        if (!(topP > 0 && topP <= 1)) throw new IllegalArgumentException("top-p must be in (0, 1], got " + topP);
        if (!(repetitionPenalty > 0) || Float.isInfinite(repetitionPenalty)) {
            throw new IllegalArgumentException("repetition penalty must be a finite number > 0, got " + repetitionPenalty);
        }
    }

    public static SamplingParams greedy() {
        return new SamplingParams(0f, 0, 1f, 1f, 0L);
    }

    public boolean isGreedy() { return temperature == 0f; }
}
