package io.loopus.trainer.grad;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.util.Random;

import static io.loopus.trainer.grad.TestData.gaussian;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

class LossGradTest {
    final Random r = new Random(41);

    /** A vocab of whole vectors and a tail, and one smaller than a vector. */
    @ParameterizedTest(name = "vocab {0}")
    @ValueSource(ints = {5, 37})
    void crossEntropyMeanOverLabelledRows(int vocab) {
        int n = 6;
        int[] labels = {3, CrossEntropy.IGNORE, 0, 4, CrossEntropy.IGNORE, 1};
        float[] logits = gaussian(r, n * vocab, 2), lse = new float[n];
        CrossEntropy ce = new CrossEntropy(vocab);
        GradCheck.Loss loss = () -> ce.forward(logits, labels, n, lse);
        double value = loss.value();
        double expected = 0;
        for (int t = 0; t < n; t++) {
            if (labels[t] < 0) continue;
            double z = 0;
            for (int v = 0; v < vocab; v++) z += Math.exp(logits[t * vocab + v]);
            expected += -Math.log(Math.exp(logits[t * vocab + labels[t]]) / z) / 4;
        }
        assertEquals(expected, value, 1e-6);
        float[] d = new float[logits.length];
        ce.backward(logits, lse, labels, n, 1.5, d);
        for (int v = 0; v < vocab; v++) assertEquals(0, d[vocab + v], "an ignored row gets no gradient");
        float[] scaled = d.clone();
        for (int i = 0; i < d.length; i++) d[i] /= 1.5f;
        new GradCheck(loss, 0x1p-20 * value, 1).tensor("logits", logits, d);
        ce.backward(logits, lse, labels, n, 1.5, scaled); // accumulates
        for (int i = 0; i < d.length; i++) assertEquals(3 * d[i], scaled[i], 1e-6);
    }

    @Test void crossEntropyWithNothingLabelledIsZero() {
        int[] labels = {CrossEntropy.IGNORE, CrossEntropy.IGNORE};
        float[] logits = gaussian(r, 6), d = new float[6];
        CrossEntropy ce = new CrossEntropy(3);
        assertEquals(0, ce.forward(logits, labels, 2, new float[2]));
        ce.backward(logits, new float[2], labels, 2, 1, d);
        assertArrayEquals(new float[6], d);
    }

    @Test void bceWithLogitsAgainstSoftTargets() {
        int n = 5;
        float[] x = {-3f, -0.4f, 0f, 1.2f, 25f}, y = {0f, 0.25f, 0.5f, 1f, 0.6f};
        GradCheck.Loss loss = () -> BceWithLogits.forward(x, y, n);
        double expected = 0;
        for (int i = 0; i < n; i++) {
            double p = 1 / (1 + Math.exp(-x[i]));
            expected -= (y[i] * Math.log(p) + (1 - y[i]) * Math.log1p(-p)) / n;
        }
        assertEquals(expected, loss.value(), 1e-6);
        float[] dx = new float[n];
        BceWithLogits.backward(x, y, n, 1, dx);
        new GradCheck(loss, 0, 2).tensor("logits", x, dx);
    }

    @Test void accuracyPerSequenceOverLabelledRows() {
        BatchShape shape = new BatchShape(2, 3, new int[] {3, 2});
        int vocab = 3;
        float[] logits = {
                0, 5, 1, /* argmax 1 */ 2, 0, 0, /* 0 */ 0, 0, 9, /* 2, unlabelled */
                1, 1, 0, /* tie: 0 */ 0, 0, 3, /* 2, unlabelled */ 0, 0, 0 /* padding */};
        int[] labels = {1, 2, -1, 0, -1, -1};
        float[] acc = new float[2];
        double all = TokenAccuracy.perSequence(logits, vocab, labels, shape, acc);
        assertArrayEquals(new float[] {0.5f, 1f}, acc);
        assertEquals(2.0 / 3, all, 1e-12);
    }
}
