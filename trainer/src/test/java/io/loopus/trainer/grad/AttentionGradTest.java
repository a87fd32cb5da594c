package io.loopus.trainer.grad;

import io.loopus.worker.model.RopeConvention;
import io.loopus.worker.model.RopeTable;
import org.junit.jupiter.api.Test;

import java.util.Random;

import static io.loopus.trainer.grad.GradCheck.dot;
import static io.loopus.trainer.grad.TestData.gaussian;
import static io.loopus.trainer.grad.TestData.roundingNoise;
import static org.junit.jupiter.api.Assertions.assertEquals;

class AttentionGradTest {
    final Random r = new Random(31);
    /** Two sequences of length 5, the second with 2 padding rows. */
    final BatchShape shape = new BatchShape(2, 5, new int[] {5, 3});

    @Test void ropeInBothConventions() {
        for (RopeConvention convention : RopeConvention.values()) {
            int heads = 3, headDim = 4, cols = heads * headDim, n = shape.rows();
            RopeTable table = new RopeTable(TestData.config(cols, 8, 1, heads, heads, headDim, 8, convention, false, false));
            float[] x = gaussian(r, n * cols), y = new float[x.length], c = gaussian(r, x.length);
            GradCheck.Loss loss = () -> {
                System.arraycopy(x, 0, y, 0, x.length);
                Rope.forward(table, y, shape, heads);
                return dot(c, y);
            };
            float[] dx = c.clone();
            Rope.backward(table, dx, shape, heads);
            loss.value();
            new GradCheck(loss, roundingNoise(c, y, y.length), 1).tensor(convention + " x", x, dx);
        }
    }

    @Test void groupedQueryHeadsWithPadding() { attention(4, 2, 4, shape); }

    @Test void oneKvHeadPerQueryHead() { attention(2, 2, 6, shape); }

    /** Sequences over several vectors of positions, one of them ending just past a whole vector. */
    @Test void longerSequences() { attention(4, 2, 8, new BatchShape(2, 19, new int[] {19, 17})); }

    /** Sequences over more than one block of queries, the second one ending inside its second block. */
    @Test void severalBlocksOfQueries() { attention(2, 1, 8, new BatchShape(2, 70, new int[] {70, 45})); }

    private void attention(int heads, int kvHeads, int headDim, BatchShape shape) {
        int n = shape.rows(), qDim = heads * headDim, kvDim = kvHeads * headDim;
        float[] q = gaussian(r, n * qDim), k = gaussian(r, n * kvDim), v = gaussian(r, n * kvDim);
        float[] out = new float[n * qDim], lse = new float[n * heads], c = gaussian(r, n * qDim);
        CausalAttention op = new CausalAttention(heads, kvHeads, headDim, shape.length());
        GradCheck.Loss loss = () -> {
            op.forward(q, k, v, shape, out, lse);
            return dot(c, out);
        };
        loss.value();
        float[] dq = new float[q.length], dk = new float[k.length], dv = new float[v.length];
        op.backward(q, k, v, out, lse, c, shape, dq, dk, dv);
        GradCheck check = new GradCheck(loss, roundingNoise(c, out, out.length), heads);
        check.tensor("q", q, dq);
        check.tensor("k", k, dk);
        check.tensor("v", v, dv);
        // padding rows neither produce output nor receive gradient
        for (int row = shape.lastRow(1) + 1; row < n; row++) {
            for (int i = 0; i < qDim; i++) assertEquals(0, out[row * qDim + i]);
            for (int i = 0; i < kvDim; i++) assertEquals(0, dk[row * kvDim + i]);
        }
    }

    /** The first position attends only to itself: its output is its own value row. */
    @Test void firstPositionSeesOnlyItself() {
        int heads = 2, kvHeads = 1, headDim = 3, n = shape.rows();
        float[] q = gaussian(r, n * heads * headDim), k = gaussian(r, n * headDim), v = gaussian(r, n * headDim);
        float[] out = new float[n * heads * headDim], lse = new float[n * heads];
        new CausalAttention(heads, kvHeads, headDim, shape.length()).forward(q, k, v, shape, out, lse);
        for (int b = 0; b < 2; b++) {
            for (int h = 0; h < heads; h++) {
                for (int d = 0; d < headDim; d++) {
                    assertEquals(v[b * 5 * headDim + d], out[(b * 5) * heads * headDim + h * headDim + d], 1e-6);
                }
            }
        }
    }
}
