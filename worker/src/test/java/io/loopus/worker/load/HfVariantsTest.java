package io.loopus.worker.load;

import io.loopus.worker.model.LlamaModel;
import io.loopus.worker.tensor.CpuBackend;
import io.loopus.worker.tensor.DType;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Path;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The Hugging Face loader on small synthetic models, checked against a plain double-precision forward pass. */
class HfVariantsTest {
    static final int[] IDS = {1, 5, 9, 3, 28, 14, 14, 7, 0, 39, 22, 2, 11};

    @TempDir Path tmp;

    static LlamaModel load(Path dir) {
        return (LlamaModel) ModelLoader.load(dir, null, CpuBackend.INSTANCE).model();
    }

    static void assertMatchesReference(TinyHf.Spec s, Map<String, TinyHf.T> w, LlamaModel m, double tol) {
        double[][] ref = TinyHf.reference(s, w, IDS);
        float[][] got = Llama2cFiles.logits(m, IDS);
        double max = 0, scale = 0;
        for (int t = 0; t < IDS.length; t++) {
            for (int v = 0; v < s.vocab(); v++) {
                max = Math.max(max, Math.abs(ref[t][v] - got[t][v]));
                scale = Math.max(scale, Math.abs(ref[t][v]));
            }
        }
        assertTrue(scale > 0.5, "the logits should not be trivially small: " + scale);
        assertTrue(max <= tol, s.type() + ": max |loopus - reference| = " + max + " (logits up to " + scale + ")");
    }

    @Test void llamaAndMistralTiedAndUntiedMatchTheReference() throws IOException {
        for (String type : new String[] {"llama", "mistral"}) {
            for (boolean tied : new boolean[] {true, false}) {
                TinyHf.Spec s = TinyHf.Spec.llama(tied).withType(type);
                Map<String, TinyHf.T> w = TinyHf.randomWeights(s, 11);
                LlamaModel m = load(TinyHf.write(tmp.resolve(type + tied), s, w, DType.F32));
                assertEquals(tied, m.config().tiedEmbeddings());
                if (tied) assertSame(m.weights().embedding(), m.weights().lmHead());
                else assertNotSame(m.weights().embedding(), m.weights().lmHead());
                assertMatchesReference(s, w, m, 5e-5);
            }
        }
    }

    @Test void f16AndBf16WeightsGiveTheLogitsOfAnF32CopyOfTheRoundedWeights() throws IOException {
        TinyHf.Spec s = TinyHf.Spec.llama(false);
        Map<String, TinyHf.T> w = TinyHf.randomWeights(s, 12);
        for (DType dtype : new DType[] {DType.F16, DType.BF16}) {
            Map<String, TinyHf.T> rounded = TinyHf.rounded(w, dtype);
            LlamaModel half = load(TinyHf.write(tmp.resolve(dtype.name()), s, w, dtype));
            LlamaModel f32 = load(TinyHf.write(tmp.resolve(dtype + "-as-f32"), s, rounded, DType.F32));
            assertEquals(dtype, half.weights().layers()[1].wq().dtype(), "kept in its stored dtype");
            assertEquals(dtype, half.weights().lmHead().dtype());
            float[][] a = Llama2cFiles.logits(half, IDS), b = Llama2cFiles.logits(f32, IDS);
            assertTrue(Llama2cFiles.maxAbsDiff(a, b) <= 1e-5, dtype + ": max |diff| " + Llama2cFiles.maxAbsDiff(a, b));
            assertMatchesReference(s, rounded, half, 5e-5);
        }
    }

    @Test void aShardedIndexLoadsLikeOneFile() throws IOException {
        TinyHf.Spec s = TinyHf.Spec.llama(false);
        Map<String, TinyHf.T> w = TinyHf.randomWeights(s, 13);
        LlamaModel one = load(TinyHf.write(tmp.resolve("one"), s, w, DType.F32));
        LlamaModel sharded = load(TinyHf.writeSharded(tmp.resolve("sharded"), s, w, 3));
        float[][] a = Llama2cFiles.logits(one, IDS), b = Llama2cFiles.logits(sharded, IDS);
        for (int t = 0; t < IDS.length; t++) assertArrayEquals(a[t], b[t], "position " + t);
    }

    @Test void qwen2QkvBiasesMatchTheReference() throws IOException {
        TinyHf.Spec s = new TinyHf.Spec("qwen2", 16, 40, 2, 4, 2, 4, 40, true, 1_000_000.0, 1e-6);
        Map<String, TinyHf.T> w = TinyHf.randomWeights(s, 14);
        LlamaModel m = load(TinyHf.write(tmp.resolve("qwen2"), s, w, DType.F32));
        assertNotNull(m.weights().layers()[0].bq());
        assertMatchesReference(s, w, m, 5e-5);
    }

    @Test void qwen3PerHeadQkNormMatchesTheReference() throws IOException {
        // head_dim 6 with hidden 16 and 4 heads: q is 24 wide, not 16, as Qwen3 allows
        TinyHf.Spec s = new TinyHf.Spec("qwen3", 16, 40, 2, 4, 2, 6, 40, true, 1_000_000.0, 1e-6);
        Map<String, TinyHf.T> w = TinyHf.randomWeights(s, 15);
        LlamaModel m = load(TinyHf.write(tmp.resolve("qwen3"), s, w, DType.F32));
        assertEquals(6, m.config().headDim());
        assertNotNull(m.weights().layers()[1].qNorm());
        assertNull(m.weights().layers()[1].bq());
        assertMatchesReference(s, w, m, 5e-5);
    }
}
