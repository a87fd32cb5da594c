package io.loopus.trainer.grad;

import io.loopus.worker.loop.ConfidenceHead;
import io.loopus.worker.loop.GateWeights;
import io.loopus.worker.model.LlamaConfig;
import io.loopus.worker.model.RopeConvention;
import io.loopus.worker.model.RopeTable;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;

import static io.loopus.trainer.grad.TestData.gaussian;
import static io.loopus.trainer.grad.TestData.nearOne;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

/**
 * The control step on a tiny random model (4 layers, dim 16, vocab 32, split 1:3: one encoder, two
 * reasoning and one decoder layer, so the backward passes gradients through a chain of three),
 * two sequences, one of them padded.
 */
class ControlStepTest {
    static final int REASONING = 2, DECODER = 1;

    /** The model, a batch, the frozen encoder's output h and a step sized for the batch. */
    static final class Tiny {
        final LlamaConfig config;
        final BatchShape shape = new BatchShape(2, 6, new int[] {6, 4});
        final int[] labels = new int[shape.rows()];
        final float[] h;
        final TrainableParams p;
        final ControlStep step;

        /** qwen: rotate-half RoPE, q/k/v biases and q/k norms; otherwise Llama's interleaved RoPE without them. */
        Tiny(boolean qwen, long seed) {
            Random r = new Random(seed);
            config = TestData.config(16, 24, 1 + REASONING + DECODER, 4, 2, 4, 32,
                    qwen ? RopeConvention.HALF : RopeConvention.INTERLEAVED, qwen, qwen);
            step = new ControlStep(config, REASONING, DECODER, shape.sequences(), shape.length());
            int n = shape.rows(), len = shape.length();
            int[] ids = new int[n];
            for (int i = 0; i < n; i++) ids[i] = r.nextInt(config.vocabSize());
            for (int row = 0; row < n; row++) {
                labels[row] = shape.position(row) + 1 < shape.valid()[row / len] ? ids[row + 1] : CrossEntropy.IGNORE;
            }
            h = new float[n * config.dim()];
            Embedding.forward(gaussian(r, config.vocabSize() * config.dim()), config.dim(), ids, n, h);
            LayerGrad encoder = new LayerGrad(config, new RopeTable(config), shape.sequences(), len);
            encoder.forward(TestData.layer(config, r), shape, h, encoder.newTape(), h);
            p = new TrainableParams(new LayerParams[] {TestData.layer(config, r), TestData.layer(config, r)},
                    GateParams.copyOf(GateWeights.initial(config.dim(), r)), HeadParams.copyOf(ConfidenceHead.initial(config.dim(), r)),
                    new LayerParams[] {TestData.layer(config, r)}, nearOne(r, config.dim()),
                    gaussian(r, config.vocabSize() * config.dim(), 0.5));
        }

        double forward() { return step.forward(p, shape, h, labels); }

        TrainableParams gradients() {
            forward();
            TrainableParams g = p.zerosLike();
            step.backward(p, g);
            return g;
        }
    }

    /** The control set: every trainable tensor but the gate's and the head's. */
    static Map<String, float[]> trained(TrainableParams p) {
        Map<String, float[]> out = new LinkedHashMap<>(p.tensors());
        out.keySet().removeIf(name -> name.startsWith("reasoning.gate") || name.startsWith("q_head"));
        return out;
    }

    /**
     * Every tensor of the control set, jointly along random directions and one by one. The loss
     * (about 4) passes through fewer rounded float32 stages than the supervised step's, whose
     * measured jitter of 2^-23 of the loss is the basis of the 2^-20 allowed here too.
     */
    @ParameterizedTest(name = "qwen-like: {0}")
    @ValueSource(booleans = {false, true})
    void gradientOfTheWholeStep(boolean qwen) {
        Tiny m = new Tiny(qwen, 91);
        double loss = m.forward();
        TrainableParams g = m.gradients();
        GradCheck check = new GradCheck(m::forward, 0x1p-20 * Math.abs(loss), 9);
        Map<String, float[]> params = trained(m.p), grads = trained(g);
        assertEquals(3 * (qwen ? 14 : 9) + 2, params.size());
        check.jointly("the control set", new ArrayList<>(params.values()), new ArrayList<>(grads.values()), 4);
        params.forEach((name, x) -> check.tensor(name, x, grads.get(name)));
    }

    /** The gate and the head take no part: their gradients stay zero and changing them changes nothing. */
    @Test void gateAndHeadAreLeftOut() {
        Tiny m = new Tiny(true, 92);
        double loss = m.forward();
        TrainableParams g = m.gradients();
        List<float[]> left = List.of(g.gate().wIn(), g.gate().wDelta(), g.gate().bDelta(), g.gate().aLog(),
                g.head().normWeight(), g.head().normBias(), g.head().weight(), g.head().bias());
        for (float[] a : left) for (float v : a) assertEquals(0f, v);
        for (float[] a : List.of(m.p.gate().wIn(), m.p.gate().aLog(), m.p.head().weight(), m.p.head().bias())) a[0] += 1;
        assertEquals(loss, m.forward());
    }

    @Test void backwardAccumulates() {
        Tiny m = new Tiny(false, 93);
        TrainableParams g = m.gradients();
        Map<String, float[]> once = new LinkedHashMap<>();
        g.tensors().forEach((name, x) -> once.put(name, x.clone()));
        m.step.backward(m.p, g);
        g.tensors().forEach((name, x) -> {
            for (int i = 0; i < x.length; i++) assertEquals(2 * once.get(name)[i], x[i], 1e-6 * (1 + Math.abs(x[i])), name);
        });
    }

    @Test void misuseIsRefused() {
        Tiny m = new Tiny(false, 94);
        assertThrows(IllegalStateException.class, () -> m.step.backward(m.p, m.p.zerosLike()));
        TrainableParams oneReasoningLayer = new TrainableParams(new LayerParams[] {m.p.reasoning()[0]}, m.p.gate(),
                m.p.head(), m.p.decoder(), m.p.finalNorm(), m.p.lmHead());
        assertThrows(IllegalArgumentException.class, () -> m.step.forward(oneReasoningLayer, m.shape, m.h, m.labels));
        BatchShape tooLong = new BatchShape(1, 13, new int[] {13});
        assertThrows(IllegalArgumentException.class, () -> m.step.forward(m.p, tooLong, new float[13 * 16], new int[13]));
        assertThrows(IllegalArgumentException.class, () -> new ControlStep(m.config, 0, 1, 1, 4));
    }
}
