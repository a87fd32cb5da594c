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
 * <p>Queries go in blocks of {@value #BLOCK}, and every product is a {@link Gemm} product over the
 * keys up to the block's last query: raw scores Q K^T and dOut V^T (with one sequence's keys and
 * values of one kv head copied channel-major: channel d's values over positions contiguous), the
 * outputs P V and dq += dS K (reading v and k in place), and the key and value gradients
 * Q^T dS and dOut^T P. Between them, each query's softmax and score gradients run over vectors of
 * positions; past the query, its probabilities and score gradients are set to zero. Sums are in
 * float, in a fixed order; exponentials are {@link VectorExp}'s.
 *
 * <p>In the per-query loops no vector lives from one iteration to the next, nor enters a loop from
 * outside it: a running maximum or sum is kept in a small array, loaded and stored at every step,
 * and every operand is loaded where it is used. In JDK 17, C2 boxed such vectors once these
 * helpers were inlined into the loops over queries (1.4 GB allocated per supervised step,
 * attention twice as slow); SupervisedStepTiming reports what each op allocates.
 */
public final class CausalAttention {
    private static final VectorSpecies<Float> F = FloatVector.SPECIES_PREFERRED;
    private static final int LANES = F.length();
    private static final int BLOCK = 32;
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
    private final float[] dKeys, dValues; // their gradients, summed over the head group's queries (dKeys without the scale)
    private final float[] p, ds;          // a block's scores, then probabilities; its dOut . v, then score gradients (BLOCK x width)
    private final float[] partial;        // a block's 1 / sums, then one vector of partial maxima or sums (see the class comment)

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
        this.p = new float[BLOCK * width];
        this.ds = new float[BLOCK * width];
        this.partial = new float[BLOCK + LANES];
    }

    /** out (rows x heads*headDim) from q (same shape), k and v (rows x kvHeads*headDim); lse is rows x heads. */
    public void forward(float[] q, float[] k, float[] v, BatchShape shape, float[] out, float[] lse) {
        int qDim = heads * headDim, kvDim = kvHeads * headDim, group = heads / kvHeads, len = shape.length();
        for (int b = 0; b < shape.sequences(); b++) {
            int first = b * len, valid = shape.valid()[b];
            Arrays.fill(out, (first + valid) * qDim, (first + len) * qDim, 0f);
            for (int g = 0; g < kvHeads; g++) {
                channelMajor(k, first, valid, g, keys);
                for (int h = g * group; h < (g + 1) * group; h++) {
                    for (int i0 = 0; i0 < valid; i0 += BLOCK) {
                        int i1 = Math.min(valid, i0 + BLOCK), qo = (first + i0) * qDim + h * headDim;
                        product(p, q, qo, keys, i1 - i0, i1);
                        for (int i = i0; i < i1; i++) {
                            int row = first + i, po = (i - i0) * width;
                            float shift = scale * maxScore(po, i + 1);
                            exponentials(po, shift, i + 1);
                            Arrays.fill(p, po + i + 1, po + wholeVectors(i1), 0f);
                            float sum = sum(po, i + 1);
                            lse[row * heads + h] = shift + (float) Math.log(sum);
                            partial[i - i0] = 1 / sum;
                            Arrays.fill(out, row * qDim + h * headDim, row * qDim + (h + 1) * headDim, 0f);
                        }
                        // the block's outputs P V, over the keys up to its last query, normalised
                        Gemm.multiplyAdd(i1 - i0, headDim, i1, p, 0, width, 1, v, first * kvDim + g * headDim, kvDim, out, qo, qDim);
                        for (int i = i0; i < i1; i++) {
                            int o = (first + i) * qDim + h * headDim;
                            for (int d = 0; d < headDim; d++) out[o + d] *= partial[i - i0];
                        }
                    }
                }
            }
        }
    }

    /**
     * With p_j = exp(s_j - lse), dp_j = dOut . v_j and D = dOut . out: ds_j = p_j (dp_j - D);
     * dq += scale sum_j ds_j k_j, dk_j += scale sum over queries of ds_j q, dv_j += sum over queries of p_j dOut.
     */
    public void backward(float[] q, float[] k, float[] v, float[] out, float[] lse, float[] dOut, BatchShape shape,
                         float[] dq, float[] dkOut, float[] dvOut) {
        int qDim = heads * headDim, kvDim = kvHeads * headDim, group = heads / kvHeads, len = shape.length();
        for (int b = 0; b < shape.sequences(); b++) {
            int first = b * len, valid = shape.valid()[b];
            for (int g = 0; g < kvHeads; g++) {
                channelMajor(k, first, valid, g, keys);
                channelMajor(v, first, valid, g, values);
                Arrays.fill(dKeys, 0f);
                Arrays.fill(dValues, 0f);
                for (int h = g * group; h < (g + 1) * group; h++) {
                    for (int i0 = 0; i0 < valid; i0 += BLOCK) {
                        int i1 = Math.min(valid, i0 + BLOCK), qo = (first + i0) * qDim + h * headDim;
                        product(p, q, qo, keys, i1 - i0, i1);
                        product(ds, dOut, qo, values, i1 - i0, i1);
                        for (int i = i0; i < i1; i++) {
                            int row = first + i, po = (i - i0) * width, o = row * qDim + h * headDim;
                            float big = 0;
                            for (int d = 0; d < headDim; d++) big += dOut[o + d] * out[o + d];
                            exponentials(po, lse[row * heads + h], i + 1);
                            Arrays.fill(p, po + i + 1, po + wholeVectors(i1), 0f);
                            scoreGradients(po, big, i + 1);
                            Arrays.fill(ds, po + i + 1, po + wholeVectors(i1), 0f);
                        }
                        // over the keys up to the block's last query (ds carries the scale):
                        // dq += dS K, dV^T += dOut_block^T P, dK^T += Q_block^T dS
                        Gemm.multiplyAdd(i1 - i0, headDim, i1, ds, 0, width, 1, k, first * kvDim + g * headDim, kvDim, dq, qo, qDim);
                        Gemm.multiplyAdd(headDim, i1, i1 - i0, dOut, qo, 1, qDim, p, 0, width, dValues, 0, width);
                        Gemm.multiplyAdd(headDim, i1, i1 - i0, q, qo, 1, qDim, ds, 0, width, dKeys, 0, width);
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

    /**
     * c (rows x width) = x's rows from xo (one row per query, stride heads * headDim) times the
     * channel-major kv over positions [0, keys), zero up to the vector's end.
     */
    private void product(float[] c, float[] x, int xo, float[] kv, int rows, int keys) {
        for (int r = 0; r < rows; r++) Arrays.fill(c, r * width, r * width + wholeVectors(keys), 0f);
        Gemm.multiplyAdd(rows, keys, headDim, x, xo, heads * headDim, 1, kv, 0, width, c, 0, width);
    }

    /** The largest of the row's scores at po, over j < count. */
    private float maxScore(int po, int count) {
        Arrays.fill(partial, BLOCK, BLOCK + LANES, Float.NEGATIVE_INFINITY);
        for (int j = 0; j < count; j += LANES) {
            FloatVector s = FloatVector.fromArray(F, p, po + j).add(FloatVector.fromArray(F, PENALTY, LANES - Math.min(count - j, LANES)));
            FloatVector.fromArray(F, partial, BLOCK).max(s).intoArray(partial, BLOCK);
        }
        float max = partial[BLOCK];
        for (int l = 1; l < LANES; l++) max = Math.max(max, partial[BLOCK + l]);
        return max;
    }

    /** The row's raw scores s_j at po become exp(scale s_j - shift), over the whole vectors covering j < count. */
    private void exponentials(int po, float shift, int count) {
        for (int j = 0; j < count; j += LANES) {
            VectorExp.exp(FloatVector.fromArray(F, p, po + j).fma(scale, -shift)).intoArray(p, po + j);
        }
    }

    /** The row's dp_j at po become scale ds_j = scale p_j (dp_j - big), over the whole vectors covering j < count. */
    private void scoreGradients(int po, float big, int count) {
        for (int j = 0; j < count; j += LANES) {
            FloatVector.fromArray(F, ds, po + j).sub(big).mul(FloatVector.fromArray(F, p, po + j)).mul(scale).intoArray(ds, po + j);
        }
    }

    /** The sum of the row's p_j at po over j < count (zero from count to the vector's end). */
    private float sum(int po, int count) {
        Arrays.fill(partial, BLOCK, BLOCK + LANES, 0f);
        for (int j = 0; j < count; j += LANES) {
            FloatVector.fromArray(F, p, po + j).add(FloatVector.fromArray(F, partial, BLOCK)).intoArray(partial, BLOCK);
        }
        for (int step = LANES / 2; step > 0; step /= 2) {
            for (int l = 0; l < step; l++) partial[BLOCK + l] += partial[BLOCK + l + step];
        }
        return partial[BLOCK];
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
