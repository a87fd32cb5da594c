package io.loopus.trainer.grad;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

import java.util.Arrays;

/**
 * Causal grouped-query attention over a batch of sequences: the query at position i of sequence b
 * attends to positions 0..i of b, with scores q.k / sqrt(headDim); query head h reads kv head
 * h / (heads / kvHeads). Padding queries give zero output; padding keys are never attended, since
 * they come after every valid query. The forward saves each query's log-sum-exp of scores; the
 * backward recomputes the probabilities from it instead of keeping a T x T matrix per head.
 *
 * <p>One sequence's keys and values of one kv head are first copied channel-major (channel d's
 * values over positions contiguous), so that every per-query loop runs over vectors of positions,
 * whatever the head width: a query's scores, probabilities and score gradients are rows of
 * positions, built one channel at a time; outputs and query gradients are dot products over
 * positions, whose lanes are added in a fixed pairwise order at the end. A query's last vector of
 * positions runs past it; its probabilities there are set to zero. Sums are in float, in a fixed
 * order; exponentials are {@link VectorExp}'s.
 *
 * <p>No vector lives from one loop iteration to the next, nor enters a loop from outside it:
 * partial sums (the running maximum, the outputs, dq) are kept in a small array, loaded and stored
 * at every step, and every operand is loaded where it is used. In JDK 17, C2 boxed such vectors
 * once these helpers were inlined into the loops over queries (1.4 GB allocated per supervised
 * step, attention twice as slow); SupervisedStepTiming reports what each op allocates.
 */
public final class CausalAttention {
    private static final VectorSpecies<Float> F = FloatVector.SPECIES_PREFERRED;
    private static final int LANES = F.length();
    /** A vector read from LANES - m (m clamped to 0..LANES) is m zeros, then -infinity: a mask as a load. */
    private static final float[] PENALTY = new float[2 * LANES];

    static {
        Arrays.fill(PENALTY, LANES, 2 * LANES, Float.NEGATIVE_INFINITY);
    }

    private final int heads;
    private final int kvHeads;
    private final int headDim;
    private final float scale;
    private final int width;              // positions per channel in the channel-major copies: maxLength in whole vectors
    private final float[] keys, values;   // one sequence's keys and values of one kv head, channel-major
    private final float[] dKeys, dValues; // their gradients, summed over the head group's queries
    private final float[] p, ds;          // one query's scores, then probabilities; its score gradients
    private final float[] partial;        // headDim + 1 vectors of partial sums, in memory (see the class comment)
    private final float[] scaledQ;        // one query, times scale

    public CausalAttention(int heads, int kvHeads, int headDim, int maxLength) {
        this.heads = heads;
        this.kvHeads = kvHeads;
        this.headDim = headDim;
        this.scale = (float) (1 / Math.sqrt(headDim));
        this.width = wholeVectors(maxLength);
        this.keys = new float[headDim * width];
        this.values = new float[headDim * width];
        this.dKeys = new float[headDim * width];
        this.dValues = new float[headDim * width];
        this.p = new float[width];
        this.ds = new float[width];
        this.partial = new float[(headDim + 1) * LANES];
        this.scaledQ = new float[headDim];
    }

    /** out (rows x heads*headDim) from q (same shape), k and v (rows x kvHeads*headDim); lse is rows x heads. */
    public void forward(float[] q, float[] k, float[] v, BatchShape shape, float[] out, float[] lse) {
        int qDim = heads * headDim, group = heads / kvHeads, len = shape.length();
        for (int b = 0; b < shape.sequences(); b++) {
            int first = b * len, valid = shape.valid()[b];
            Arrays.fill(out, (first + valid) * qDim, (first + len) * qDim, 0f);
            for (int g = 0; g < kvHeads; g++) {
                channelMajor(k, first, valid, g, keys);
                channelMajor(v, first, valid, g, values);
                for (int h = g * group; h < (g + 1) * group; h++) {
                    for (int i = 0; i < valid; i++) {
                        int row = first + i, qo = row * qDim + h * headDim;
                        scores(q, qo, i + 1);
                        float max = maxScore(i + 1);
                        exponentials(p, max, i + 1);
                        Arrays.fill(p, i + 1, wholeVectors(i + 1), 0f);
                        float sum = weightedValues(i + 1);
                        for (int d = 0; d < headDim; d++) out[qo + d] = laneSum(d) / sum;
                        lse[row * heads + h] = max + (float) Math.log(sum);
                    }
                }
            }
        }
    }

    /**
     * With p_j = exp(s_j - lse), dp_j = dOut . v_j and D = dOut . out: ds_j = p_j (dp_j - D);
     * dq += scale sum_j ds_j k_j, dk_j += scale ds_j q, dv_j += p_j dOut.
     */
    public void backward(float[] q, float[] k, float[] v, float[] out, float[] lse, float[] dOut, BatchShape shape,
                         float[] dq, float[] dkOut, float[] dvOut) {
        int qDim = heads * headDim, group = heads / kvHeads, len = shape.length();
        for (int b = 0; b < shape.sequences(); b++) {
            int first = b * len, valid = shape.valid()[b];
            for (int g = 0; g < kvHeads; g++) {
                channelMajor(k, first, valid, g, keys);
                channelMajor(v, first, valid, g, values);
                Arrays.fill(dKeys, 0f);
                Arrays.fill(dValues, 0f);
                for (int h = g * group; h < (g + 1) * group; h++) {
                    for (int i = 0; i < valid; i++) {
                        int row = first + i, qo = row * qDim + h * headDim;
                        float big = 0;
                        for (int d = 0; d < headDim; d++) big += dOut[qo + d] * out[qo + d];
                        scores(q, qo, i + 1);
                        exponentials(p, lse[row * heads + h], i + 1);
                        Arrays.fill(p, i + 1, wholeVectors(i + 1), 0f);
                        scoreGradients(dOut, qo, big, i + 1);
                        accumulate(dOut, qo, dq, i + 1);
                    }
                }
                for (int j = 0; j < valid; j++) {
                    int o = (first + j) * kvHeads * headDim + g * headDim;
                    for (int d = 0; d < headDim; d++) {
                        dkOut[o + d] += dKeys[d * width + j];
                        dvOut[o + d] += dValues[d * width + j];
                    }
                }
            }
        }
    }

    /** p_j = scale q . k_j over the whole vectors covering j < count, one channel at a time; sets scaledQ. */
    private void scores(float[] q, int qo, int count) {
        for (int d = 0; d < headDim; d++) scaledQ[d] = scale * q[qo + d];
        Arrays.fill(p, 0, wholeVectors(count), 0f);
        for (int d = 0; d < headDim; d++) {
            for (int j = 0; j < count; j += LANES) {
                FloatVector.fromArray(F, keys, d * width + j).fma(FloatVector.broadcast(F, scaledQ[d]), FloatVector.fromArray(F, p, j))
                        .intoArray(p, j);
            }
        }
    }

    /** The largest of p_j, j < count. */
    private float maxScore(int count) {
        Arrays.fill(partial, 0, LANES, Float.NEGATIVE_INFINITY);
        for (int j = 0; j < count; j += LANES) {
            FloatVector s = FloatVector.fromArray(F, p, j).add(FloatVector.fromArray(F, PENALTY, LANES - Math.min(count - j, LANES)));
            FloatVector.fromArray(F, partial, 0).max(s).intoArray(partial, 0);
        }
        float max = partial[0];
        for (int l = 1; l < LANES; l++) max = Math.max(max, partial[l]);
        return max;
    }

    /** x_j = exp(x_j - shift) over the whole vectors covering j < count. */
    private static void exponentials(float[] x, float shift, int count) {
        for (int j = 0; j < count; j += LANES) VectorExp.exp(FloatVector.fromArray(F, x, j).sub(shift)).intoArray(x, j);
    }

    /** ds_j = p_j (dOut . v_j - big) over the whole vectors covering j < count; partial's first vector holds -big. */
    private void scoreGradients(float[] dOut, int qo, float big, int count) {
        for (int l = 0; l < LANES; l++) partial[l] = -big;
        for (int j = 0; j < count; j += LANES) FloatVector.fromArray(F, partial, 0).intoArray(ds, j);
        for (int d = 0; d < headDim; d++) {
            for (int j = 0; j < count; j += LANES) {
                FloatVector.fromArray(F, values, d * width + j).fma(FloatVector.broadcast(F, dOut[qo + d]), FloatVector.fromArray(F, ds, j))
                        .intoArray(ds, j);
            }
        }
        for (int j = 0; j < count; j += LANES) {
            FloatVector.fromArray(F, ds, j).mul(FloatVector.fromArray(F, p, j)).intoArray(ds, j);
        }
    }

    /** From one query's p and ds (and scaledQ): its dq, and its share of the channel-major key and value gradients. */
    private void accumulate(float[] dOut, int qo, float[] dq, int count) {
        Arrays.fill(partial, 0, headDim * LANES, 0f);
        for (int j = 0; j < count; j += LANES) {
            for (int d = 0; d < headDim; d++) {
                int c = d * width + j, a = d * LANES;
                FloatVector g = FloatVector.fromArray(F, ds, j);
                g.fma(FloatVector.broadcast(F, scaledQ[d]), FloatVector.fromArray(F, dKeys, c)).intoArray(dKeys, c);
                g.fma(FloatVector.fromArray(F, keys, c), FloatVector.fromArray(F, partial, a)).intoArray(partial, a);
                FloatVector.fromArray(F, p, j).fma(FloatVector.broadcast(F, dOut[qo + d]), FloatVector.fromArray(F, dValues, c))
                        .intoArray(dValues, c);
            }
        }
        for (int d = 0; d < headDim; d++) dq[qo + d] += scale * laneSum(d);
    }

    /** Partial sums over j < count of p_j v_j (vector d of partial) and of p_j (vector headDim); returns the latter. */
    private float weightedValues(int count) {
        Arrays.fill(partial, 0f);
        int sum = headDim * LANES;
        for (int j = 0; j < count; j += LANES) {
            FloatVector.fromArray(F, p, j).add(FloatVector.fromArray(F, partial, sum)).intoArray(partial, sum);
            for (int d = 0; d < headDim; d++) {
                int a = d * LANES;
                FloatVector.fromArray(F, p, j).fma(FloatVector.fromArray(F, values, d * width + j), FloatVector.fromArray(F, partial, a))
                        .intoArray(partial, a);
            }
        }
        return laneSum(headDim);
    }

    /** The lanes of vector v of partial, added in a fixed pairwise order (overwriting them). */
    private float laneSum(int v) {
        int o = v * LANES;
        for (int step = LANES / 2; step > 0; step /= 2) {
            for (int l = 0; l < step; l++) partial[o + l] += partial[o + l + step];
        }
        return partial[o];
    }

    /** Copies kv head g of the sequence's valid rows channel-major into dst, zeros up to the last vector's end. */
    private void channelMajor(float[] x, int first, int valid, int g, float[] dst) {
        int cols = kvHeads * headDim;
        for (int d = 0; d < headDim; d++) {
            int c = d * width, o = first * cols + g * headDim + d;
            for (int j = 0; j < valid; j++) dst[c + j] = x[o + j * cols];
            Arrays.fill(dst, c + valid, c + wholeVectors(valid), 0f);
        }
    }

    private static int wholeVectors(int n) { return (n + LANES - 1) / LANES * LANES; }
}
