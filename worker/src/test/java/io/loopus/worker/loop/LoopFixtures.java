package io.loopus.worker.loop;

import io.loopus.worker.TestData;
import io.loopus.worker.load.Llama2cLoader;
import io.loopus.worker.model.Batch;
import io.loopus.worker.model.CausalModel;
import io.loopus.worker.model.SequenceCache;
import io.loopus.worker.tensor.CpuBackend;
import io.loopus.worker.tensor.F32Matrix;
import io.loopus.worker.tensor.Tensor;
import io.loopus.worker.tokenizer.Llama2cTokenizer;
import io.loopus.worker.tokenizer.Tokenizer;

import java.util.Arrays;
import java.util.Random;

/** stories260K recast as LoopUS models for the tests of this package. */
final class LoopFixtures {
    private LoopFixtures() {}

    static Llama2cLoader.Checkpoint base() { return Llama2cLoader.load(TestData.model()); }

    static Tokenizer tokenizer() { return Llama2cTokenizer.load(TestData.tokenizer(), 512); }

    /** A gate whose Abar is exactly 1: Delta = softplus(-100) underflows, so h' = r. */
    static GateWeights openGate(int hidden) {
        int k = GateWeights.rank(hidden);
        float[] b = new float[hidden];
        Arrays.fill(b, -100f);
        return new GateWeights(new F32Matrix(k, hidden, new float[k * hidden]),
                new F32Matrix(hidden, k, new float[hidden * k]), b, new float[hidden]);
    }

    static LoopusModel looped(Llama2cLoader.Checkpoint base, Split split, GateWeights gate, ConfidenceHead head,
                              ExitPolicy exit, KvPolicy kv) {
        LoopusConfig lc = new LoopusConfig(split, exit.maxLoops(), exit.tau(), exit.qEvalInterval(),
                HaltingStrategy.THRESHOLD, exit.epsilon());
        LoopusModel m = new LoopusModel(base.config(), new LoopusWeights(base.weights(), gate, head), lc,
                CpuBackend.INSTANCE);
        m.setExitPolicy(exit);
        m.setKvPolicy(kv);
        return m;
    }

    /** The initial (seeded) gate and head of DESIGN §1. */
    static LoopusModel initial(Llama2cLoader.Checkpoint base, Split split, ExitPolicy exit, KvPolicy kv, long seed) {
        Random random = new Random(seed);
        int h = base.config().dim();
        return looped(base, split, GateWeights.initial(h, random), ConfidenceHead.initial(h, random), exit, kv);
    }

    /** Logits of every position of ids, from one forward step over a fresh cache. */
    static float[][] allLogits(CausalModel model, int[] ids) {
        SequenceCache cache = model.newCache(ids.length);
        int seq = cache.newSequence();
        Batch batch = new Batch();
        batch.addChunk(seq, ids, 0, ids.length, 0, true);
        Tensor logits = model.forward(batch, cache);
        float[][] out = new float[ids.length][model.config().vocabSize()];
        for (int t = 0; t < ids.length; t++) model.backend().read(logits, t, out[t]);
        return out;
    }

    static float maxAbsDiff(float[] a, float[] b) {
        float max = 0;
        for (int i = 0; i < a.length; i++) max = Math.max(max, Math.abs(a[i] - b[i]));
        return max;
    }
}
