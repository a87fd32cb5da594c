package io.loopus.worker.loop;

/**
 * Where a base model of {@code layers} layers is cut (DESIGN §1): encoder {@code [0, e)},
 * reasoning block {@code [e, d)} applied again and again, decoder {@code [d, layers)}.
 */
public record Split(int encoderEnd, int decoderStart, int layers) {
    public Split {
        if (encoderEnd < 0 || decoderStart <= encoderEnd || decoderStart > layers) {
            throw new IllegalArgumentException("split " + encoderEnd + ":" + decoderStart + " is not 0 <= e < d <= "
                    + layers + " (encoder [0,e), reasoning [e,d), decoder [d," + layers + "))");
        }
    }

    /** Parses {@code e:d}, as given to {@code --split}. */
    public static Split parse(String text, int layers) {
        String[] parts = text.split(":");
        if (parts.length != 2) throw new IllegalArgumentException("--split must be e:d (two layer indices), got \"" + text + "\"");
        try {
            return new Split(Integer.parseInt(parts[0].trim()), Integer.parseInt(parts[1].trim()), layers);
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("--split must be e:d (two layer indices), got \"" + text + "\"");
        }
    }

    public int encoderLayers() { return encoderEnd; }

    public int reasoningLayers() { return decoderStart - encoderEnd; }

    public int decoderLayers() { return layers - decoderStart; }

    @Override public String toString() { return encoderEnd + ":" + decoderStart; }
}
