package io.loopus.worker.loop;

import io.loopus.worker.tensor.F32Matrix;

import java.util.Random;

/**
 * {@code q = sigmoid(weight · LayerNorm(u) + bias)} on the pre-gate delta u at a sequence's last
 * valid position (DESIGN §1). LayerNorm is affine with eps 1e-5.
 *
 * @param normWeight {@code q_head.0.weight}, H
 * @param normBias   {@code q_head.0.bias}, H
 * @param weight     {@code q_head.1.weight}, 1 x H
 * @param bias       {@code q_head.1.bias}
 */
public record ConfidenceHead(float[] normWeight, float[] normBias, F32Matrix weight, float bias) {
    public static final float NORM_EPS = 1e-5f;

    public ConfidenceHead {
        int h = normWeight.length;
        if (normBias.length != h || weight.rows() != 1 || weight.cols() != h) {
            throw new IllegalArgumentException("confidence head shapes for hidden size " + h + " must be LayerNorm " + h
                    + "+" + h + ", Linear 1x" + h + "; got " + normBias.length + ", " + weight.rows() + "x" + weight.cols());
        }
    }

    public int hidden() { return normWeight.length; }

    /** LayerNorm weight 1, bias 0; Linear weight and bias U(-1/sqrt(H), 1/sqrt(H)) (PyTorch's defaults). */
    public static ConfidenceHead initial(int hidden, Random random) {
        float[] ones = new float[hidden];
        java.util.Arrays.fill(ones, 1f);
        double bound = 1 / Math.sqrt(hidden);
        float[] w = GateWeights.uniform(random, hidden, bound);
        float b = (float) ((2 * random.nextDouble() - 1) * bound);
        return new ConfidenceHead(ones, new float[hidden], new F32Matrix(1, hidden, w), b);
    }
}
