package io.loopus.worker.model;

import org.junit.jupiter.api.Test;

import java.util.Arrays;
import java.util.Random;
import java.util.stream.IntStream;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

/** The q/k row permutation that turns llama2.c's interleaved RoPE into Hugging Face's rotate-half. */
class RopePermutationTest {

    /**
     * Hugging Face's convert_llama_weights_to_hf.py permute, index by index:
     * {@code w.view(n, rows/n/2, 2, cols).transpose(1, 2).reshape(rows, cols)}.
     */
    static float[][] hfPermute(float[][] w, int n) {
        int rows = w.length, half = rows / n / 2;
        float[][] out = new float[rows][];
        for (int a = 0; a < n; a++) {
            for (int b = 0; b < half; b++) {
                for (int c = 0; c < 2; c++) {
                    // view: element [a][b][c] is row (a*half + b)*2 + c; after transpose(1, 2) it sits at [a][c][b]
                    out[(a * 2 + c) * half + b] = w[(a * half + b) * 2 + c];
                }
            }
        }
        return out;
    }

    @Test void rowOrderIsTheHuggingFacePermute() {
        Random r = new Random(1);
        for (int[] hd : new int[][] {{1, 2}, {4, 8}, {3, 6}, {8, 16}, {2, 64}}) {
            int heads = hd[0], headDim = hd[1], rows = heads * headDim;
            float[][] w = new float[rows][5];
            for (float[] row : w) for (int j = 0; j < row.length; j++) row[j] = r.nextFloat();
            int[] order = RopeConvention.interleavedToHalfRows(heads, headDim);
            assertArrayEquals(IntStream.range(0, rows).toArray(), Arrays.stream(order).sorted().toArray(), "a permutation");
            float[][] expected = hfPermute(w, heads);
            for (int i = 0; i < rows; i++) assertArrayEquals(expected[i], w[order[i]], "row " + i);
        }
    }

    private static LlamaConfig config(RopeConvention rope, int heads, int kvHeads, int headDim) {
        return new LlamaConfig("llama", heads * headDim, 8, 1, heads, kvHeads, headDim, 16, 64, 1e-5f, 10000.0, null,
                rope, false, false, true, 1, new int[] {2});
    }

    private static float[] project(float[][] w, int[] order, float[] x) {
        float[] y = new float[w.length];
        for (int i = 0; i < w.length; i++) {
            float[] row = w[order == null ? i : order[i]];
            double s = 0;
            for (int j = 0; j < x.length; j++) s += (double) row[j] * x[j];
            y[i] = (float) s;
        }
        return y;
    }

    @Test void halfRopeOnPermutedRowsEqualsInterleavedRopeOnTheOriginals() {
        int heads = 4, kvHeads = 2, headDim = 8, cols = 12;
        RopeTable interleaved = new RopeTable(config(RopeConvention.INTERLEAVED, heads, kvHeads, headDim));
        RopeTable half = new RopeTable(config(RopeConvention.HALF, heads, kvHeads, headDim));
        Random r = new Random(7);
        float[][] wq = new float[heads * headDim][cols], wk = new float[kvHeads * headDim][cols];
        for (float[][] w : new float[][][] {wq, wk}) {
            for (float[] row : w) for (int j = 0; j < cols; j++) row[j] = (float) r.nextGaussian();
        }
        int[] qOrder = RopeConvention.interleavedToHalfRows(heads, headDim);
        int[] kOrder = RopeConvention.interleavedToHalfRows(kvHeads, headDim);
        for (int pos = 0; pos < 64; pos += 5) {
            float[] x = new float[cols], x2 = new float[cols];
            for (int j = 0; j < cols; j++) {
                x[j] = (float) r.nextGaussian();
                x2[j] = (float) r.nextGaussian();
            }
            float[] qi = project(wq, null, x), qh = project(wq, qOrder, x);
            float[] ki = project(wk, null, x2), kh = project(wk, kOrder, x2);
            interleaved.rotate(qi, 0, heads, pos);
            half.rotate(qh, 0, heads, pos);
            interleaved.rotate(ki, 0, kvHeads, pos / 2);
            half.rotate(kh, 0, kvHeads, pos / 2);
            for (int i = 0; i < qh.length; i++) assertEquals(qi[qOrder[i]], qh[i], 1e-6, "q row " + i + " at " + pos);
            for (int i = 0; i < kh.length; i++) assertEquals(ki[kOrder[i]], kh[i], 1e-6, "k row " + i + " at " + pos);
            // what attention sees: every head's q . k (grouped-query) is the same in both conventions
            for (int h = 0; h < heads; h++) {
                int kv = h / (heads / kvHeads);
                double a = 0, b = 0;
                for (int d = 0; d < headDim; d++) {
                    a += qi[h * headDim + d] * ki[kv * headDim + d];
                    b += qh[h * headDim + d] * kh[kv * headDim + d];
                }
                assertEquals(a, b, 1e-4, "score of head " + h + " at " + pos);
            }
        }
    }
}
