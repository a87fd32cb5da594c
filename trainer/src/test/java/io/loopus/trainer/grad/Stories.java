package io.loopus.trainer.grad;

import io.loopus.worker.load.Llama2cLoader;
import io.loopus.worker.load.ModelLoader;
import io.loopus.worker.load.SharedData;
import io.loopus.worker.loop.ConfidenceHead;
import io.loopus.worker.loop.GateWeights;
import io.loopus.worker.loop.LoopusWeights;
import io.loopus.worker.loop.Split;
import io.loopus.worker.model.Batch;
import io.loopus.worker.model.LayerStack;
import io.loopus.worker.model.LlamaConfig;
import io.loopus.worker.model.LlamaModel;
import io.loopus.worker.model.LlamaWeights;
import io.loopus.worker.model.PagedKvCache;
import io.loopus.worker.model.RopeTable;
import io.loopus.worker.tensor.CpuBackend;
import io.loopus.worker.tensor.CpuTensor;
import io.loopus.worker.tokenizer.Tokenizer;
import org.junit.jupiter.api.Assumptions;

import java.nio.file.Path;
import java.util.Arrays;
import java.util.Random;

/** stories260K from ../shared (tests skip without it) and the worker's inference over it, as the reference. */
final class Stories {
    private Stories() {}

    static Path dir() {
        Path shared = SharedData.locate().orElse(null);
        Assumptions.assumeTrue(shared != null, "skipped: ../shared (or $LOOPUS_SHARED) is not present");
        return shared.resolve("models/stories260K");
    }

    static Llama2cLoader.Checkpoint model() { return Llama2cLoader.load(dir().resolve("stories260K.bin")); }

    static Path tokenizerPath() { return dir().resolve("tok512.bin"); }

    static Tokenizer tokenizer() { return ModelLoader.loadTokenizer(tokenizerPath(), 512, 1); }

    /** The trainable copies of the base model over a split (gate and head at their initial values). */
    static TrainableParams params(Llama2cLoader.Checkpoint m, Split split) {
        int dim = m.config().dim();
        LoopusWeights w = new LoopusWeights(m.weights(), GateWeights.initial(dim, new Random(1)), ConfidenceHead.initial(dim, new Random(2)));
        return TrainableParams.copyOf(w, split);
    }

    /** The worker's logits at every position of one sequence from position 0 (ids.length x vocab). */
    static float[] logits(LlamaConfig c, LlamaWeights w, int[] ids) {
        LlamaModel model = new LlamaModel(c, w, CpuBackend.INSTANCE);
        PagedKvCache cache = model.newCache(ids.length + PagedKvCache.DEFAULT_BLOCK_SIZE);
        Batch batch = new Batch();
        batch.addChunk(cache.newSequence(), ids, 0, ids.length, 0, true);
        return Arrays.copyOf(((CpuTensor) model.forward(batch, cache)).data(), ids.length * c.vocabSize());
    }

    /** The worker's embedding and layers [0, e) over every sequence of a batch (its padding rows too): E(x). */
    static float[] encode(LlamaConfig c, LlamaWeights w, int e, BatchShape shape, int[] ids) {
        int n = shape.rows(), len = shape.length();
        LayerStack encoder = new LayerStack(c, Arrays.copyOfRange(w.layers(), 0, e), new RopeTable(c), CpuBackend.INSTANCE);
        PagedKvCache cache = new PagedKvCache(e, c.kvHeads(), c.headDim(), PagedKvCache.DEFAULT_BLOCK_SIZE,
                shape.sequences() * (len + PagedKvCache.DEFAULT_BLOCK_SIZE));
        int[][] tables = new int[n][];
        int[] positions = new int[n];
        for (int b = 0; b < shape.sequences(); b++) {
            int seq = cache.newSequence();
            cache.grow(seq, len);
            for (int t = 0; t < len; t++) {
                tables[b * len + t] = cache.blockTable(seq);
                positions[b * len + t] = t;
            }
        }
        CpuTensor x = new CpuTensor(n, c.dim());
        CpuBackend.INSTANCE.embed(w.embedding(), ids, n, x);
        encoder.run(x, n, positions, tables, cache);
        return x.data();
    }
}
