package io.loopus.worker.bench;

import io.loopus.worker.load.Llama2cLoader;
import io.loopus.worker.model.Batch;
import io.loopus.worker.model.LlamaConfig;
import io.loopus.worker.model.LlamaModel;
import io.loopus.worker.model.LlamaWeights;
import io.loopus.worker.model.PagedKvCache;
import io.loopus.worker.tensor.CpuBackend;
import io.loopus.worker.tensor.F32Matrix;
import io.loopus.worker.tensor.Tensor;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class RandomModelTest {
    static final String SMALL = "dim=64,hidden=128,layers=2,heads=4,kv-heads=2,vocab=300,seq=64";

    @TempDir Path tmp;

    @Test
    void writesADeterministicLlama2cV0FileThatLoads() throws Exception {
        RandomModel.Spec spec = RandomModel.Spec.parse(SMALL);
        Path a = tmp.resolve("a.bin"), b = tmp.resolve("b.bin"), c = tmp.resolve("c.bin");
        RandomModel.write(spec, 7, a);
        RandomModel.write(spec, 7, b);
        RandomModel.write(spec, 8, c);
        assertEquals(spec.fileBytes(), Files.size(a));
        assertEquals(-1, Files.mismatch(a, b), "same seed, same bytes");
        assertNotEquals(-1, Files.mismatch(a, c), "another seed, other weights");
        try (Stream<Path> files = Files.list(tmp)) {
            assertEquals(3, files.count(), "no temporary file left behind");
        }

        Llama2cLoader.Checkpoint ckpt = Llama2cLoader.load(a);
        LlamaConfig cfg = ckpt.config();
        assertEquals(0, ckpt.version());
        assertEquals(64, cfg.dim());
        assertEquals(128, cfg.hiddenDim());
        assertEquals(2, cfg.layers());
        assertEquals(4, cfg.heads());
        assertEquals(2, cfg.kvHeads());
        assertEquals(16, cfg.headDim());
        assertEquals(300, cfg.vocabSize());
        assertEquals(64, cfg.contextLength());
        assertTrue(cfg.tiedEmbeddings());

        // The file holds exactly the weights build() makes in memory.
        LlamaWeights mem = RandomModel.build(spec, 7), file = ckpt.weights();
        assertArrayEquals(f32(mem.embedding()), f32(file.embedding()));
        for (int l = 0; l < 2; l++) {
            assertArrayEquals(f32(mem.layers()[l].wq()), f32(file.layers()[l].wq()));
            assertArrayEquals(f32(mem.layers()[l].wk()), f32(file.layers()[l].wk()));
            assertArrayEquals(f32(mem.layers()[l].w2()), f32(file.layers()[l].w2()));
            assertArrayEquals(f32(mem.layers()[l].w3()), f32(file.layers()[l].w3()));
            assertArrayEquals(mem.layers()[l].ffnNorm(), file.layers()[l].ffnNorm());
        }
        assertArrayEquals(mem.finalNorm(), file.finalNorm());
        assertEquals(mem.bytesPerToken(), file.bytesPerToken());
        float[] w = f32(mem.layers()[0].w1());
        double sq = 0;
        for (float v : w) sq += v * v;
        assertEquals(RandomModel.SCALE, Math.sqrt(sq / w.length), 0.1 * RandomModel.SCALE);
    }

    @Test
    void forwardPassStaysFinite() {
        RandomModel.Spec spec = RandomModel.Spec.parse(SMALL);
        LlamaModel model = new LlamaModel(spec.config(), RandomModel.build(spec, 1), CpuBackend.INSTANCE);
        PagedKvCache cache = model.newCache(64);
        Batch batch = new Batch();
        batch.addChunk(cache.newSequence(), ModelBench.randomPrompt(300, 64, 3), 0, 64, 0, true);
        Tensor logits = model.forward(batch, cache);
        float[] row = new float[300];
        for (int t = 0; t < 64; t++) {
            CpuBackend.INSTANCE.read(logits, t, row);
            for (float v : row) assertTrue(Float.isFinite(v));
        }
    }

    @Test
    void specErrorsNameTheProblem() {
        assertEquals(RandomModel.Spec.parse("dim=8,hidden=16,layers=1,heads=2,vocab=10,seq=4").kvHeads(), 2);
        assertThrows(IllegalArgumentException.class, () -> RandomModel.Spec.parse("dim=64,hidden=128"), "missing");
        var e = assertThrows(IllegalArgumentException.class, () -> RandomModel.Spec.parse(SMALL + ",width=3"));
        assertTrue(e.getMessage().contains("width"));
        e = assertThrows(IllegalArgumentException.class, () -> RandomModel.Spec.parse(SMALL.replace("heads=4", "heads=3")));
        assertTrue(e.getMessage().contains("heads"));
        e = assertThrows(IllegalArgumentException.class, () -> RandomModel.Spec.parse(SMALL.replace("seq=64", "seq=x")));
        assertTrue(e.getMessage().contains("seq"));
        e = assertThrows(IllegalArgumentException.class, () -> new RandomModel.Spec(8, 16, 1, 2, 2, 0, 4));
        assertTrue(e.getMessage().endsWith("positive: dim=8,hidden=16,layers=1,heads=2,kv-heads=2,vocab=0,seq=4"), e.getMessage());
    }

    private static float[] f32(io.loopus.worker.tensor.Matrix m) {
        return ((F32Matrix) m).data();
    }
}
