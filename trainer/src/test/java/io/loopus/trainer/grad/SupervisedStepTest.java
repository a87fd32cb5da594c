package io.loopus.trainer.grad;

import io.loopus.worker.loop.ConfidenceHead;
import io.loopus.worker.loop.GateWeights;
import io.loopus.worker.model.LlamaConfig;
import io.loopus.worker.model.RopeConvention;
import io.loopus.worker.model.RopeTable;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.opentest4j.AssertionFailedError;

import java.util.ArrayList;
import java.util.Map;
import java.util.Random;

import static io.loopus.trainer.grad.TestData.gaussian;
import static io.loopus.trainer.grad.TestData.nearOne;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

/**
 * The whole supervised step on a tiny random model (3 layers, dim 16, vocab 32, split 1:2: one
 * encoder, one reasoning and one decoder layer), two sequences, one of them padded.
 */
class SupervisedStepTest {
    static final double BETA = 1;

    /** The model, a batch, the frozen encoder's output h and a step sized for the batch. */
    static final class Tiny {
        final Random r;
        final LlamaConfig config;
        final BatchShape shape = new BatchShape(2, 6, new int[] {6, 4});
        final int[] labels = new int[shape.rows()];
        final float[] h;
        final TrainableParams p;
        final SupervisedStep step;

        /** qwen: rotate-half RoPE, q/k/v biases and q/k norms; otherwise Llama's interleaved RoPE without them. */
        Tiny(boolean qwen, long seed) {
            r = new Random(seed);
            config = TestData.config(16, 24, 3, 4, 2, 4, 32, qwen ? RopeConvention.HALF : RopeConvention.INTERLEAVED, qwen, qwen);
            step = new SupervisedStep(config, 1, 1, shape.sequences(), shape.length(), BETA);
            int n = shape.rows(), len = shape.length();
            int[] ids = new int[n];
            for (int i = 0; i < n; i++) ids[i] = r.nextInt(config.vocabSize());
            for (int row = 0; row < n; row++) {
                boolean hasNext = shape.position(row) + 1 < shape.valid()[row / len];
                labels[row] = hasNext ? ids[row + 1] : CrossEntropy.IGNORE;
            }
            // the frozen encoder: embedding and layer 0, run once
            h = new float[n * config.dim()];
            Embedding.forward(gaussian(r, config.vocabSize() * config.dim()), config.dim(), ids, n, h);
            LayerGrad encoder = new LayerGrad(config, new RopeTable(config), shape.sequences(), len);
            encoder.forward(TestData.layer(config, r), shape, h, encoder.newTape(), h);
            HeadParams head = HeadParams.copyOf(ConfidenceHead.initial(config.dim(), r));
            for (int i = 0; i < config.dim(); i++) head.normWeight()[i] += (float) (0.1 * r.nextGaussian());
            p = new TrainableParams(new LayerParams[] {TestData.layer(config, r)},
                    GateParams.copyOf(GateWeights.initial(config.dim(), r)), head,
                    new LayerParams[] {TestData.layer(config, r)}, nearOne(r, config.dim()),
                    gaussian(r, config.vocabSize() * config.dim(), 0.5));
        }

        SupervisedStep.Losses forward() { return step.forward(p, shape, h, labels); }

        /**
         * L with its two stopgrad quantities held at their values at θ0 (CE(D(h0), y) and the
         * accuracy targets), as the analytic gradient treats them; an argmax that flips under a
         * perturbation then changes nothing.
         */
        GradCheck.Loss frozenLoss(double lmBefore, float[] targets) {
            return () -> {
                SupervisedStep.Losses l = forward();
                return l.lm() + BETA * Silu.value(l.lm() - lmBefore) + BceWithLogits.forward(step.qLogits(), targets, 2);
            };
        }
    }

    @Test void lossTermsAreTheDesignsFormula() {
        Tiny m = new Tiny(false, 81);
        SupervisedStep.Losses l = m.forward();
        assertEquals(Silu.value(l.lm() - l.lmBefore()), l.monotone(), 1e-12);
        assertEquals(l.lm() + BETA * l.monotone() + l.confidence(), l.total(), 1e-12);
        assertEquals(BceWithLogits.forward(m.step.qLogits(), m.step.targets(), 2), l.confidence(), 1e-12);
        assertEquals(0, m.step.targets()[0] * 5 % 1, 1e-5, "a fraction of 5 labelled rows");
        assertEquals(0, m.step.targets()[1] * 3 % 1, 1e-5, "a fraction of 3 labelled rows");
    }

    /**
     * Every trainable tensor, jointly along random directions and one by one (directions, the
     * largest entry, sampled entries). The loss (about 4) passes through some 40 rounded float32
     * stages; its measured jitter is about 2^-23 of it, and 2^-20 of it is allowed.
     */
    @ParameterizedTest(name = "qwen-like: {0}")
    @ValueSource(booleans = {false, true})
    void gradientOfTheWholeStep(boolean qwen) {
        Tiny m = new Tiny(qwen, 81);
        SupervisedStep.Losses base = m.forward();
        TrainableParams g = m.p.zerosLike();
        m.step.backward(m.p, g);
        GradCheck check = new GradCheck(m.frozenLoss(base.lmBefore(), m.step.targets().clone()),
                0x1p-20 * Math.abs(base.total()), 9);
        Map<String, float[]> params = m.p.tensors(), grads = g.tensors();
        assertEquals(qwen ? 2 * 14 + 10 : 2 * 9 + 10, params.size());
        check.jointly("all trainable tensors", new ArrayList<>(params.values()), new ArrayList<>(grads.values()), 4);
        params.forEach((name, x) -> check.tensor(name, x, grads.get(name)));
    }

    @Test void aWrongGradientOfTheStepIsRejected() {
        Tiny m = new Tiny(false, 82);
        SupervisedStep.Losses base = m.forward();
        TrainableParams g = m.p.zerosLike();
        m.step.backward(m.p, g);
        GradCheck check = new GradCheck(m.frozenLoss(base.lmBefore(), m.step.targets().clone()),
                0x1p-20 * Math.abs(base.total()), 9);
        float[] wrong = g.gate().aLog().clone();
        for (int i = 0; i < wrong.length; i++) wrong[i] = -wrong[i];
        assertThrows(AssertionFailedError.class, () -> check.tensor("A_log, negated", m.p.gate().aLog(), wrong));
        // the baseline CE(D(h0)) is a constant: the gradient is not that of the loss with it live
        GradCheck live = new GradCheck(() -> m.forward().total(), 0x1p-20 * Math.abs(base.total()), 9);
        assertThrows(AssertionFailedError.class, () -> live.tensor("lm_head", m.p.lmHead(), g.lmHead()));
    }

    @Test void backwardAccumulates() {
        Tiny m = new Tiny(true, 83);
        m.forward();
        TrainableParams g = m.p.zerosLike();
        m.step.backward(m.p, g);
        Map<String, float[]> once = new java.util.LinkedHashMap<>();
        g.tensors().forEach((name, x) -> once.put(name, x.clone()));
        m.step.backward(m.p, g);
        g.tensors().forEach((name, x) -> {
            for (int i = 0; i < x.length; i++) assertEquals(2 * once.get(name)[i], x[i], 1e-6 * (1 + Math.abs(x[i])), name);
        });
    }
}
