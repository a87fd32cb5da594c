package io.loopus.worker.model;

/** Precomputed cos/sin of every (position, frequency) pair, with the model's rope scaling applied. */
public final class RopeTable {
    private final int half;
    private final int positions;
    private final float[] cos;
    private final float[] sin;
    private final RopeConvention convention;

    public RopeTable(LlamaConfig config) {
        this.half = config.headDim() / 2;
        this.positions = config.contextLength();
        this.convention = config.rope();
        this.cos = new float[positions * half];
        this.sin = new float[positions * half];
        double[] invFreq = new double[half];
        for (int i = 0; i < half; i++) {
            double f = Math.pow(config.ropeTheta(), -(2.0 * i) / config.headDim());
            invFreq[i] = config.ropeScaling() == null ? f : config.ropeScaling().scale(f);
        }
        for (int p = 0; p < positions; p++) {
            for (int i = 0; i < half; i++) {
                double angle = p * invFreq[i];
                cos[p * half + i] = (float) Math.cos(angle);
                sin[p * half + i] = (float) Math.sin(angle);
            }
        }
    }

    public RopeConvention convention() { return convention; }

    public int headDim() { return 2 * half; }

    /** Positions the table covers (the context length). */
    public int positions() { return positions; }

    /** cos of every (position, pair), {@code [pos * headDim/2 + i]}; the table's own array, read only (a device backend uploads it). */
    public float[] cosTable() { return cos; }

    /** sin of every (position, pair), laid out as {@link #cosTable}; read only. */
    public float[] sinTable() { return sin; }

    /** A head's channels RoPE pair by pair: the two channels of pair i, for i = 0, 1, … */
    public int[] pairOrder() {
        int[] order = new int[2 * half];
        for (int i = 0; i < half; i++) {
            order[2 * i] = convention == RopeConvention.INTERLEAVED ? 2 * i : i;
            order[2 * i + 1] = convention == RopeConvention.INTERLEAVED ? 2 * i + 1 : i + half;
        }
        return order;
    }

    /** Rotates {@code heads} heads of width 2*half stored at x[off..] for position pos, in place. */
    public void rotate(float[] x, int off, int heads, int pos) {
        rotate(x, off, heads, pos, 1f);
    }

    /** Undoes {@link #rotate} (rotation by the negated angles): the transpose a backward pass applies to gradients. */
    public void rotateInverse(float[] x, int off, int heads, int pos) {
        rotate(x, off, heads, pos, -1f);
    }

    private void rotate(float[] x, int off, int heads, int pos, float sinSign) {
        int base = pos * half;
        int headDim = 2 * half;
        for (int h = 0; h < heads; h++) {
            int o = off + h * headDim;
            if (convention == RopeConvention.INTERLEAVED) {
                for (int i = 0; i < half; i++) {
                    float c = cos[base + i], s = sinSign * sin[base + i];
                    float a = x[o + 2 * i], b = x[o + 2 * i + 1];
                    x[o + 2 * i] = a * c - b * s;
                    x[o + 2 * i + 1] = a * s + b * c;
                }
            } else {
                for (int i = 0; i < half; i++) {
                    float c = cos[base + i], s = sinSign * sin[base + i];
                    float a = x[o + i], b = x[o + i + half];
                    x[o + i] = a * c - b * s;
                    x[o + i + half] = a * s + b * c;
                }
            }
        }
    }
}
