package io.loopus.worker.gpu;

import io.loopus.worker.loop.ConfidenceHead;
import io.loopus.worker.loop.ExitPolicy;
import io.loopus.worker.loop.GateWeights;
import io.loopus.worker.loop.LoopusConfig;
import io.loopus.worker.loop.LoopusModel;
import io.loopus.worker.loop.LoopusWeights;
import io.loopus.worker.loop.Split;
import io.loopus.worker.model.LayerWeights;
import io.loopus.worker.model.LlamaConfig;
import io.loopus.worker.model.LlamaWeights;
import io.loopus.worker.model.RopeConvention;
import io.loopus.worker.tensor.Backend;
import io.loopus.worker.tensor.DType;
import io.loopus.worker.tensor.Matrix;

import java.util.Random;
import java.util.SplittableRandom;

/** Small seeded random models for stack parity: grouped-query heads, either RoPE pairing, Qwen-style extras. */
public final class ParityModels {
    private ParityModels() {}

    /** dim 256 (8 heads of 32, 2 KV heads), hidden 688, vocab 500, context 256. */
    public static LlamaConfig config(int layers, RopeConvention rope, boolean qwen) {
        return new LlamaConfig(qwen ? "qwen3" : "llama", 256, 688, layers, 8, 2, 32, 500, 256, 1e-5f, 10000.0, null, rope,
                qwen, qwen, false, 1, new int[] {2});
    }

    /** Weights N(0, 0.05), norms near 1; with {@code qwen}, q/k/v biases and per-head q/k norms. */
    public static LlamaWeights weights(LlamaConfig c, DType dtype, long seed) {
        SplittableRandom r = new SplittableRandom(seed);
        LayerWeights[] layers = new LayerWeights[c.layers()];
        boolean qwen = c.qkNorm();
        for (int l = 0; l < layers.length; l++) {
            layers[l] = new LayerWeights(norm(r, c.dim()), m(r, dtype, c.qDim(), c.dim()), m(r, dtype, c.kvDim(), c.dim()),
                    m(r, dtype, c.kvDim(), c.dim()), m(r, dtype, c.dim(), c.qDim()),
                    qwen ? v(r, c.qDim(), 0.1) : null, qwen ? v(r, c.kvDim(), 0.1) : null, qwen ? v(r, c.kvDim(), 0.1) : null,
                    qwen ? norm(r, c.headDim()) : null, qwen ? norm(r, c.headDim()) : null,
                    norm(r, c.dim()), m(r, dtype, c.hiddenDim(), c.dim()), m(r, dtype, c.dim(), c.hiddenDim()),
                    m(r, dtype, c.hiddenDim(), c.dim()));
        }
        return new LlamaWeights(m(r, dtype, c.vocabSize(), c.dim()), layers, norm(r, c.dim()), m(r, dtype, c.vocabSize(), c.dim()));
    }

    /** A LoopUS model over a base: split given, the reference's initial gate and head (seeded). */
    public static LoopusModel looped(LlamaConfig c, LlamaWeights w, Split split, ExitPolicy exit, Backend backend) {
        Random random = new Random(11);
        LoopusModel m = new LoopusModel(c, new LoopusWeights(w, GateWeights.initial(c.dim(), random),
                ConfidenceHead.initial(c.dim(), random)), LoopusConfig.defaults(split, exit.maxLoops()), backend);
        m.setExitPolicy(exit);
        return m;
    }

    private static float[] v(SplittableRandom r, int n, double scale) {
        float[] x = new float[n];
        for (int i = 0; i < n; i++) x[i] = (float) (r.nextGaussian() * scale);
        return x;
    }

    private static float[] norm(SplittableRandom r, int n) {
        float[] x = v(r, n, 0.1);
        for (int i = 0; i < n; i++) x[i] += 1f;
        return x;
    }

    private static Matrix m(SplittableRandom r, DType d, int rows, int cols) {
        return ParityOps.matrix(d, rows, cols, v(r, rows * cols, 0.05));
    }
}
