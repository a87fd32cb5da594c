package io.loopus.trainer.analyze;

import io.loopus.worker.bench.RandomModel;
import io.loopus.worker.model.LayerWeights;
import io.loopus.worker.model.LlamaModel;
import io.loopus.worker.model.LlamaWeights;
import io.loopus.worker.tensor.CpuBackend;
import io.loopus.worker.tensor.F32Matrix;
import io.loopus.worker.tensor.Matrix;

/**
 * Random Llama models (dim 64, the {@link ByteTokenizer} vocabulary) whose layers [from, to) are
 * quiet: their attention output (wo) and down projection (w2) are scaled by {@code scale}, so
 * the residual update of those layers is {@code scale} times what it would be (0: none at all).
 */
final class SyntheticModel {
    private SyntheticModel() {}

    static LlamaModel build(int layers, int from, int to, float scale) {
        RandomModel.Spec spec = new RandomModel.Spec(64, 172, layers, 4, 4, ByteTokenizer.VOCAB, 128);
        LlamaWeights w = RandomModel.build(spec, 7);
        LayerWeights[] quiet = w.layers().clone();
        for (int l = from; l < to; l++) {
            LayerWeights x = quiet[l];
            quiet[l] = new LayerWeights(x.attnNorm(), x.wq(), x.wk(), x.wv(), scaled(x.wo(), scale), x.bq(), x.bk(), x.bv(),
                    x.qNorm(), x.kNorm(), x.ffnNorm(), x.w1(), scaled(x.w2(), scale), x.w3());
        }
        return new LlamaModel(spec.config(), new LlamaWeights(w.embedding(), quiet, w.finalNorm(), w.lmHead()),
                CpuBackend.INSTANCE);
    }

    private static Matrix scaled(Matrix m, float scale) {
        float[] data = ((F32Matrix) m).data().clone();
        for (int i = 0; i < data.length; i++) data[i] *= scale;
        return new F32Matrix(m.rows(), m.cols(), data);
    }
}
