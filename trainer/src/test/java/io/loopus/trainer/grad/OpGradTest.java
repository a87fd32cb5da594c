package io.loopus.trainer.grad;

import org.junit.jupiter.api.Test;

import java.util.Random;

import static io.loopus.trainer.grad.GradCheck.dot;
import static io.loopus.trainer.grad.TestData.gaussian;
import static io.loopus.trainer.grad.TestData.roundingNoise;
import static org.junit.jupiter.api.Assertions.assertEquals;

/** Finite-difference checks of the elementwise and matrix ops; each loss is a random linear function of the output. */
class OpGradTest {
    final Random r = new Random(11);

    @Test void linearWithAndWithoutBias() {
        for (boolean bias : new boolean[] {true, false}) {
            int n = 3, in = 5, out = 4;
            float[] x = gaussian(r, n * in), w = gaussian(r, out * in), b = bias ? gaussian(r, out) : null;
            float[] y = new float[n * out], c = gaussian(r, n * out);
            Linear op = new Linear(in, out);
            GradCheck.Loss loss = () -> {
                op.forward(x, n, w, b, y);
                return dot(c, y);
            };
            float[] dx = new float[x.length], dw = new float[w.length], db = bias ? new float[out] : null;
            loss.value();
            op.backward(x, c, n, w, dx, dw, db);
            GradCheck check = new GradCheck(loss, roundingNoise(c, y, y.length), 1);
            check.tensor("x", x, dx);
            check.tensor("W", w, dw);
            if (bias) check.tensor("b", b, db);
        }
    }

    @Test void linearBackwardAccumulates() {
        int n = 2, in = 3, out = 2;
        float[] x = gaussian(r, n * in), w = gaussian(r, out * in), b = gaussian(r, out), dy = gaussian(r, n * out);
        Linear op = new Linear(in, out);
        float[] dx = new float[x.length], dw = new float[w.length], db = new float[out];
        op.backward(x, dy, n, w, dx, dw, db);
        float[] dx1 = dx.clone(), dw1 = dw.clone(), db1 = db.clone();
        op.backward(x, dy, n, w, dx, dw, db);
        for (int i = 0; i < dx.length; i++) assertEquals(2 * dx1[i], dx[i], 1e-6);
        for (int i = 0; i < dw.length; i++) assertEquals(2 * dw1[i], dw[i], 1e-6);
        for (int i = 0; i < db.length; i++) assertEquals(2 * db1[i], db[i], 1e-6);
    }

    @Test void embeddingScatterAddsRepeatedTokens() {
        int vocab = 6, dim = 3;
        int[] ids = {4, 1, 4, 0};
        float[] table = gaussian(r, vocab * dim), out = new float[ids.length * dim], c = gaussian(r, out.length);
        GradCheck.Loss loss = () -> {
            Embedding.forward(table, dim, ids, ids.length, out);
            return dot(c, out);
        };
        float[] dTable = new float[table.length];
        Embedding.backward(c, dim, ids, ids.length, dTable);
        new GradCheck(loss, 0, 2).tensor("table", table, dTable);
        for (int i = 0; i < dim; i++) assertEquals(c[i] + c[2 * dim + i], dTable[4 * dim + i], 1e-6, "token 4 twice");
        for (int i = 0; i < dim; i++) assertEquals(0, dTable[5 * dim + i], "an unseen token");
    }

    @Test void residualAdd() {
        int n = 7;
        float[] a = gaussian(r, n), b = gaussian(r, n), out = new float[n], c = gaussian(r, n);
        GradCheck.Loss loss = () -> {
            Residual.forward(a, b, n, out);
            return dot(c, out);
        };
        float[] da = new float[n], db = new float[n];
        Residual.backward(c, n, da, db);
        GradCheck check = new GradCheck(loss, roundingNoise(c, out, n), 3);
        check.tensor("a", a, da);
        check.tensor("b", b, db);
    }

    @Test void siluMul() {
        int n = 9;
        float[] g = gaussian(r, n, 2), u = gaussian(r, n), out = new float[n], c = gaussian(r, n);
        GradCheck.Loss loss = () -> {
            SiluMul.forward(g, u, n, out);
            return dot(c, out);
        };
        float[] dg = new float[n], du = new float[n];
        SiluMul.backward(g, u, c, n, dg, du);
        GradCheck check = new GradCheck(loss, roundingNoise(c, out, n), 4);
        check.tensor("gate", g, dg);
        check.tensor("up", u, du);
    }

    @Test void siluOfAScalar() {
        float[] x = {0};
        float[] g = new float[1];
        GradCheck check = new GradCheck(() -> Silu.value(x[0]), 0, 5);
        for (float v : new float[] {-6f, -1.3f, -0.2f, 0f, 0.7f, 2.5f, 9f}) {
            x[0] = v;
            g[0] = (float) Silu.derivative(v);
            check.tensor("silu'(" + v + ")", x, g);
        }
    }
}
