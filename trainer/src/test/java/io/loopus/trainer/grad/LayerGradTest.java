package io.loopus.trainer.grad;

import io.loopus.worker.load.Llama2cLoader;
import io.loopus.worker.load.SharedData;
import io.loopus.worker.model.LayerStack;
import io.loopus.worker.model.LayerWeights;
import io.loopus.worker.model.LlamaConfig;
import io.loopus.worker.model.PagedKvCache;
import io.loopus.worker.model.RopeConvention;
import io.loopus.worker.model.RopeTable;
import io.loopus.worker.tensor.CpuBackend;
import io.loopus.worker.tensor.CpuTensor;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;

import java.nio.file.Path;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Random;

import static io.loopus.trainer.grad.GradCheck.dot;
import static io.loopus.trainer.grad.TestData.gaussian;
import static io.loopus.trainer.grad.TestData.roundingNoise;
import static org.junit.jupiter.api.Assertions.assertEquals;

class LayerGradTest {
    final Random r = new Random(61);
    final BatchShape shape = new BatchShape(2, 5, new int[] {5, 3});

    /** Llama: interleaved RoPE, GQA, no biases, no q/k norms. */
    @Test void llamaLayerGradients() {
        check(TestData.config(12, 20, 1, 4, 2, 4, 8, RopeConvention.INTERLEAVED, false, false));
    }

    /** Qwen2/3-like: rotate-half RoPE, GQA, q/k/v biases, per-head q/k norms, head width != dim / heads. */
    @Test void qwenLayerGradients() {
        check(TestData.config(12, 20, 1, 4, 2, 6, 8, RopeConvention.HALF, true, true));
    }

    private void check(LlamaConfig c) {
        LayerParams w = TestData.layer(c, r);
        int n = shape.rows();
        float[] x = gaussian(r, n * c.dim()), out = new float[x.length], cot = gaussian(r, x.length);
        LayerGrad layer = new LayerGrad(c, new RopeTable(c), shape.sequences(), shape.length());
        LayerGrad.Tape tape = layer.newTape();
        GradCheck.Loss loss = () -> {
            layer.forward(w, shape, x, tape, out);
            return dot(cot, out);
        };
        loss.value();
        LayerParams g = w.zerosLike();
        float[] dx = new float[x.length];
        layer.backward(w, shape, tape, cot, dx, g);
        GradCheck check = new GradCheck(loss, roundingNoise(cot, out, out.length), 7);
        check.tensor("x", x, dx);
        Map<String, float[]> params = new LinkedHashMap<>(), grads = new LinkedHashMap<>();
        w.putInto("layer", params);
        g.putInto("layer", grads);
        assertEquals(c.qkNorm() ? 14 : 9, params.size());
        params.forEach((name, p) -> check.tensor(name, p, grads.get(name)));
    }

    @Test void paddedRowsChangeNothingForTheValidOnes() {
        LlamaConfig c = TestData.config(12, 20, 1, 4, 2, 6, 8, RopeConvention.HALF, true, true);
        LayerParams w = TestData.layer(c, r);
        LayerGrad layer = new LayerGrad(c, new RopeTable(c), 2, 5);
        float[] x = gaussian(r, 10 * c.dim()), out = new float[x.length], alone = new float[3 * c.dim()];
        layer.forward(w, shape, x, layer.newTape(), out);
        float[] second = Arrays.copyOfRange(x, 5 * c.dim(), 8 * c.dim());
        layer.forward(w, new BatchShape(1, 3, new int[] {3}), second, layer.newTape(), alone);
        for (int i = 0; i < alone.length; i++) assertEquals(alone[i], out[5 * c.dim() + i], 1e-6, "channel " + i);
    }

    /** The forward is the worker's inference forward (LayerStack) on a random Qwen3-like layer. */
    @Test void forwardIsTheWorkersOnAQwenLayer() {
        LlamaConfig c = TestData.config(16, 24, 1, 4, 2, 6, 8, RopeConvention.HALF, true, true);
        LayerParams w = TestData.layer(c, r);
        int n = c.contextLength();
        float[] x = gaussian(r, n * c.dim());
        assertAgrees(c, w, x, n, "qwen-like layer");
    }

    /** Each of stories260K's five layers over a whole context of real hidden states. */
    @Test void forwardIsTheWorkersOnStories260K() {
        Path shared = SharedData.locate().orElse(null);
        Assumptions.assumeTrue(shared != null, "skipped: ../shared (or $LOOPUS_SHARED) is not present");
        Llama2cLoader.Checkpoint model = Llama2cLoader.load(shared.resolve("models/stories260K/stories260K.bin"));
        LlamaConfig c = model.config();
        int n = c.contextLength(), dim = c.dim();
        float[] x = new float[n * dim];
        for (int t = 0; t < n; t++) model.weights().embedding().rowInto((7 * t + 3) % c.vocabSize(), x, t * dim);
        for (int l = 0; l < c.layers(); l++) {
            x = assertAgrees(c, LayerParams.copyOf(model.weights().layers()[l]), x, n, "stories260K layer " + l);
        }
    }

    /**
     * Runs one layer both ways over one sequence of n rows and compares them within 1e-5 absolute
     * (stories260K's states reach |16|; the two differ by a few 1e-6, from float32 sums in the
     * worker's kernels against double sums here); returns the worker's output.
     */
    private static float[] assertAgrees(LlamaConfig c, LayerParams w, float[] x, int n, String what) {
        float[] ours = new float[x.length];
        LayerGrad layer = new LayerGrad(c, new RopeTable(c), 1, n);
        layer.forward(w, new BatchShape(1, n, new int[] {n}), x, layer.newTape(), ours);
        float[] theirs = inference(c, w.toWeights(), x, n);
        for (int i = 0; i < x.length; i++) {
            assertEquals(theirs[i], ours[i], 1e-5, what + ": position " + i / c.dim() + ", channel " + i % c.dim());
        }
        return theirs;
    }

    private static float[] inference(LlamaConfig c, LayerWeights w, float[] x, int n) {
        LayerStack stack = new LayerStack(c, new LayerWeights[] {w}, new RopeTable(c), CpuBackend.INSTANCE);
        PagedKvCache cache = new PagedKvCache(c, n);
        int seq = cache.newSequence();
        cache.grow(seq, n);
        int[][] tables = new int[n][];
        int[] positions = new int[n];
        for (int t = 0; t < n; t++) {
            tables[t] = cache.blockTable(seq);
            positions[t] = t;
        }
        CpuTensor state = new CpuTensor(n, c.dim(), x.clone());
        stack.runLayer(0, state, n, positions, tables, cache);
        return state.data();
    }
}
