package io.loopus.trainer.grad;

import org.junit.jupiter.api.Test;

import java.util.Random;

import static io.loopus.trainer.grad.GradCheck.dot;
import static io.loopus.trainer.grad.TestData.gaussian;
import static io.loopus.trainer.grad.TestData.nearOne;
import static io.loopus.trainer.grad.TestData.roundingNoise;

class NormGradTest {
    final Random r = new Random(21);

    @Test void rmsNormOverWholeRows() { rmsNorm(3, 6, 6); }

    /** Qwen3's q/k norm: one weight of head width shared by every head of a row. */
    @Test void rmsNormPerHeadGroup() { rmsNorm(3, 12, 4); }

    /** Groups of whole vectors and a tail, more of them than one block of the weight gradient's float sums. */
    @Test void rmsNormOverManyWideGroups() { rmsNorm(70, 38, 19); }

    private void rmsNorm(int n, int cols, int width) {
        float[] x = gaussian(r, n * cols), w = nearOne(r, width), y = new float[n * cols], c = gaussian(r, n * cols);
        float[] inv = new float[n * cols / width];
        RmsNorm op = new RmsNorm(width, 1e-5f);
        GradCheck.Loss loss = () -> {
            op.forward(x, n, cols, w, y, inv);
            return dot(c, y);
        };
        loss.value();
        float[] dx = new float[x.length], dw = new float[width];
        op.backward(x, inv, c, n, cols, w, dx, dw);
        GradCheck check = new GradCheck(loss, roundingNoise(c, y, y.length), cols);
        check.tensor("x", x, dx);
        check.tensor("weight", w, dw);
    }

    @Test void layerNormAffine() {
        int n = 3, cols = 7;
        float[] x = gaussian(r, n * cols, 2), w = nearOne(r, cols), b = gaussian(r, cols, 0.1);
        float[] y = new float[n * cols], c = gaussian(r, n * cols), mean = new float[n], inv = new float[n];
        for (int i = 0; i < cols; i++) x[i] += 3; // a row far from zero mean
        LayerNorm op = new LayerNorm(cols, 1e-5f);
        GradCheck.Loss loss = () -> {
            op.forward(x, n, w, b, y, mean, inv);
            return dot(c, y);
        };
        loss.value();
        float[] dx = new float[x.length], dw = new float[cols], db = new float[cols];
        op.backward(x, mean, inv, c, n, w, dx, dw, db);
        GradCheck check = new GradCheck(loss, roundingNoise(c, y, y.length), 7);
        check.tensor("x", x, dx);
        check.tensor("weight", w, dw);
        check.tensor("bias", b, db);
    }
}
