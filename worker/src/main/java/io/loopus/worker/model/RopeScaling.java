package io.loopus.worker.model;

/**
 * Hugging Face {@code rope_scaling}: {@code linear} divides every frequency by {@code factor};
 * {@code llama3} divides only the low frequencies and blends the band between.
 */
public record RopeScaling(String type, double factor, double lowFreqFactor, double highFreqFactor,
                          int originalMaxPositions) {

    public static RopeScaling linear(double factor) {
        return new RopeScaling("linear", factor, 0, 0, 0);
    }

    public static RopeScaling llama3(double factor, double low, double high, int originalMax) {
        return new RopeScaling("llama3", factor, low, high, originalMax);
    }

    /** Applies the scaling to one inverse frequency. */
    double scale(double invFreq) {
        return switch (type) {
            case "linear" -> invFreq / factor;
            case "llama3" -> {
                double lowWavelen = originalMaxPositions / lowFreqFactor;
                double highWavelen = originalMaxPositions / highFreqFactor;
                double wavelen = 2 * Math.PI / invFreq;
                if (wavelen < highWavelen) yield invFreq;
                if (wavelen > lowWavelen) yield invFreq / factor;
                double smooth = (originalMaxPositions / wavelen - lowFreqFactor) / (highFreqFactor - lowFreqFactor);
                yield (1 - smooth) * invFreq / factor + smooth * invFreq;
            }
            default -> throw new IllegalArgumentException("unsupported rope_scaling type " + type);
        };
    }
}
