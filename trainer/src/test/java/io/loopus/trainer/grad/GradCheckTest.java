package io.loopus.trainer.grad;

import org.junit.jupiter.api.Test;
import org.opentest4j.AssertionFailedError;

import java.util.Random;

import static io.loopus.trainer.grad.GradCheck.dot;
import static io.loopus.trainer.grad.TestData.gaussian;
import static io.loopus.trainer.grad.TestData.roundingNoise;
import static org.junit.jupiter.api.Assertions.assertThrows;

/** The check can fail: a gradient with a sign error, a 1% scale error or a wrong entry is rejected. */
class GradCheckTest {
    final Random r = new Random(71);
    final int n = 3, in = 6, out = 5;
    final float[] x = gaussian(r, n * in), w = gaussian(r, out * in), b = gaussian(r, out);
    final float[] y = new float[n * out], c = gaussian(r, n * out);
    final Linear op = new Linear(in, out);
    final GradCheck.Loss loss = () -> {
        op.forward(x, n, w, b, y);
        return dot(c, y);
    };

    float[] weightGradient() {
        float[] dw = new float[w.length];
        loss.value();
        op.backward(x, c, n, w, null, dw, null);
        return dw;
    }

    GradCheck check() { return new GradCheck(loss, roundingNoise(c, y, y.length), 3); }

    @Test void theRightGradientPasses() { check().tensor("W", w, weightGradient()); }

    @Test void aSignErrorFails() {
        float[] dw = weightGradient();
        for (int i = 0; i < dw.length; i++) dw[i] = -dw[i];
        assertThrows(AssertionFailedError.class, () -> check().tensor("W", w, dw));
    }

    @Test void aOnePercentScaleErrorFails() {
        float[] dw = weightGradient();
        for (int i = 0; i < dw.length; i++) dw[i] *= 1.01f;
        assertThrows(AssertionFailedError.class, () -> check().tensor("W", w, dw));
    }

    @Test void oneWrongRowFails() {
        float[] dw = weightGradient();
        for (int i = 0; i < in; i++) dw[2 * in + i] = -dw[2 * in + i];
        assertThrows(AssertionFailedError.class, () -> check().tensor("W", w, dw));
    }
}
