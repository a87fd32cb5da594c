package io.loopus.trainer.grad;

import java.util.Arrays;

/**
 * Causal grouped-query attention over a batch of sequences: the query at position i of sequence b
 * attends to positions 0..i of b, with scores q.k / sqrt(headDim); query head h reads kv head
 * h / (heads / kvHeads). Padding queries give zero output; padding keys are never attended, since
 * they come after every valid query. The forward saves each query's log-sum-exp of scores; the
 * backward recomputes the probabilities from it instead of keeping a T x T matrix per head.
 */
public final class CausalAttention {
    private final int heads;
    private final int kvHeads;
    private final int headDim;
    private final double scale;
    private final double[] p;          // one query's probabilities
    private final double[] acc;        // one head's output or dq, in double
    private final double[] dk, dv;     // one sequence's key and value gradients, summed over queries in double

    public CausalAttention(int heads, int kvHeads, int headDim, int maxLength) {
        this.heads = heads;
        this.kvHeads = kvHeads;
        this.headDim = headDim;
        this.scale = 1 / Math.sqrt(headDim);
        this.p = new double[maxLength];
        this.acc = new double[headDim];
        this.dk = new double[maxLength * kvHeads * headDim];
        this.dv = new double[maxLength * kvHeads * headDim];
    }

    /** out (rows x heads*headDim) from q (same shape), k and v (rows x kvHeads*headDim); lse is rows x heads. */
    public void forward(float[] q, float[] k, float[] v, BatchShape shape, float[] out, float[] lse) {
        int qDim = heads * headDim, kvDim = kvHeads * headDim, group = heads / kvHeads, len = shape.length();
        Arrays.fill(out, 0, shape.rows() * qDim, 0f);
        for (int b = 0; b < shape.sequences(); b++) {
            int first = b * len;
            for (int i = 0; i < shape.valid()[b]; i++) {
                for (int h = 0; h < heads; h++) {
                    int qo = (first + i) * qDim + h * headDim, kvo = (h / group) * headDim;
                    double max = Double.NEGATIVE_INFINITY;
                    for (int j = 0; j <= i; j++) {
                        p[j] = scale * dot(q, qo, k, (first + j) * kvDim + kvo);
                        max = Math.max(max, p[j]);
                    }
                    double sum = 0;
                    for (int j = 0; j <= i; j++) {
                        p[j] = Math.exp(p[j] - max);
                        sum += p[j];
                    }
                    Arrays.fill(acc, 0);
                    for (int j = 0; j <= i; j++) {
                        int vo = (first + j) * kvDim + kvo;
                        for (int d = 0; d < headDim; d++) acc[d] += p[j] * v[vo + d];
                    }
                    for (int d = 0; d < headDim; d++) out[qo + d] = (float) (acc[d] / sum);
                    lse[(first + i) * heads + h] = (float) (max + Math.log(sum));
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
        int qDim = heads * headDim, kvDim = kvHeads * headDim, group = heads / kvHeads, len = shape.length();
        for (int b = 0; b < shape.sequences(); b++) {
            int first = b * len, valid = shape.valid()[b];
            Arrays.fill(dk, 0, valid * kvDim, 0);
            Arrays.fill(dv, 0, valid * kvDim, 0);
            for (int i = 0; i < valid; i++) {
                for (int h = 0; h < heads; h++) {
                    int qo = (first + i) * qDim + h * headDim, kvo = (h / group) * headDim;
                    double l = lse[(first + i) * heads + h];
                    double big = dot(dOut, qo, out, qo);
                    Arrays.fill(acc, 0);
                    for (int j = 0; j <= i; j++) {
                        int ko = (first + j) * kvDim + kvo, local = j * kvDim + kvo;
                        double pj = Math.exp(scale * dot(q, qo, k, ko) - l);
                        double ds = pj * (dot(dOut, qo, v, ko) - big);
                        for (int d = 0; d < headDim; d++) {
                            acc[d] += ds * k[ko + d];
                            dk[local + d] += scale * ds * q[qo + d];
                            dv[local + d] += pj * dOut[qo + d];
                        }
                    }
                    for (int d = 0; d < headDim; d++) dq[qo + d] += (float) (scale * acc[d]);
                }
            }
            for (int e = 0; e < valid * kvDim; e++) {
                dkOut[first * kvDim + e] += (float) dk[e];
                dvOut[first * kvDim + e] += (float) dv[e];
            }
        }
    }

    private double dot(float[] a, int ao, float[] b, int bo) {
        double s = 0;
        for (int d = 0; d < headDim; d++) s += (double) a[ao + d] * b[bo + d];
        return s;
    }
}
