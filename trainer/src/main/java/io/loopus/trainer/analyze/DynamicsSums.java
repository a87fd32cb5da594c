package io.loopus.trainer.analyze;

/** Running sums behind {@link LayerDynamics}, added to one token at a time. */
final class DynamicsSums {
    private final double[] cosine, relative;
    private final long[] correct;
    private long tokens, predicted;

    DynamicsSums(int layers) {
        cosine = new double[layers];
        relative = new double[layers];
        correct = new long[layers];
    }

    void addUpdate(int layer, float[] before, float[] after) {
        cosine[layer] += StateMetrics.cosine(before, after);
        relative[layer] += StateMetrics.relativeUpdate(before, after);
    }

    void addPrediction(int layer, boolean right) {
        if (right) correct[layer]++;
    }

    /** Counts a sequence once all its layers are added. */
    void addSequence(int length) {
        tokens += length;
        predicted += length - 1;
    }

    long tokens() { return tokens; }

    LayerDynamics means() {
        int layers = cosine.length;
        double[] cos = new double[layers], rel = new double[layers], acc = new double[layers];
        for (int l = 0; l < layers; l++) {
            cos[l] = cosine[l] / tokens;
            rel[l] = relative[l] / tokens;
            acc[l] = predicted == 0 ? 0 : (double) correct[l] / predicted;
        }
        return new LayerDynamics(tokens, predicted, cos, rel, acc);
    }
}
