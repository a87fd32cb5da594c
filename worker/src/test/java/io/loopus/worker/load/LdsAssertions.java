package io.loopus.worker.load;

import io.loopus.worker.loop.ConfidenceHead;
import io.loopus.worker.loop.GateWeights;
import io.loopus.worker.loop.LoopusWeights;
import io.loopus.worker.model.CausalModel;
import io.loopus.worker.model.LayerWeights;
import io.loopus.worker.model.LlamaConfig;
import io.loopus.worker.model.LlamaWeights;
import io.loopus.worker.tensor.Matrix;

import java.lang.reflect.RecordComponent;
import java.util.List;
import java.util.Objects;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Bit-exact comparisons of configs and weights (float arrays compare by bits: assertArrayEquals does). */
final class LdsAssertions {
    private LdsAssertions() {}

    /** Every field of a base config but those named. */
    static void assertSameConfig(LlamaConfig e, LlamaConfig a, String... except) {
        for (RecordComponent rc : LlamaConfig.class.getRecordComponents()) {
            if (List.of(except).contains(rc.getName())) continue;
            try {
                Object x = rc.getAccessor().invoke(e), y = rc.getAccessor().invoke(a);
                assertTrue(Objects.deepEquals(x, y), "config field " + rc.getName() + ": expected " + x + ", got " + y);
            } catch (ReflectiveOperationException ex) {
                throw new AssertionError(ex);
            }
        }
    }

    /**
     * Every tensor, in dtype and bits. {@code qOrder}/{@code kOrder} (null: none) say that the
     * actual q/k rows are the expected ones permuted: actual row r = expected row order[r].
     */
    static void assertSameWeights(LoopusWeights e, LoopusWeights a, int[] qOrder, int[] kOrder) {
        LlamaWeights eb = e.base(), ab = a.base();
        assertSameMatrix("embedding", eb.embedding(), ab.embedding(), null);
        assertSameMatrix("lm_head", eb.lmHead(), ab.lmHead(), null);
        assertArrayEquals(eb.finalNorm(), ab.finalNorm(), "final norm");
        assertEquals(eb.layers().length, ab.layers().length);
        for (int l = 0; l < eb.layers().length; l++) {
            LayerWeights el = eb.layers()[l], al = ab.layers()[l];
            String p = "layer " + l + " ";
            assertArrayEquals(el.attnNorm(), al.attnNorm(), p + "attention norm");
            assertSameMatrix(p + "wq", el.wq(), al.wq(), qOrder);
            assertSameMatrix(p + "wk", el.wk(), al.wk(), kOrder);
            assertSameMatrix(p + "wv", el.wv(), al.wv(), null);
            assertSameMatrix(p + "wo", el.wo(), al.wo(), null);
            assertArrayEquals(el.ffnNorm(), al.ffnNorm(), p + "ffn norm");
            assertSameMatrix(p + "w1", el.w1(), al.w1(), null);
            assertSameMatrix(p + "w2", el.w2(), al.w2(), null);
            assertSameMatrix(p + "w3", el.w3(), al.w3(), null);
            assertArrayEquals(el.bq(), al.bq(), p + "bq");
            assertArrayEquals(el.bk(), al.bk(), p + "bk");
            assertArrayEquals(el.bv(), al.bv(), p + "bv");
            assertArrayEquals(el.qNorm(), al.qNorm(), p + "q norm");
            assertArrayEquals(el.kNorm(), al.kNorm(), p + "k norm");
        }
        GateWeights eg = e.gate(), ag = a.gate();
        assertSameMatrix("gate W_in", eg.wIn(), ag.wIn(), null);
        assertSameMatrix("gate W_delta", eg.wDelta(), ag.wDelta(), null);
        assertArrayEquals(eg.bDelta(), ag.bDelta(), "gate b_delta");
        assertArrayEquals(eg.aLog(), ag.aLog(), "gate A_log");
        ConfidenceHead eh = e.head(), ah = a.head();
        assertArrayEquals(eh.normWeight(), ah.normWeight(), "head LayerNorm weight");
        assertArrayEquals(eh.normBias(), ah.normBias(), "head LayerNorm bias");
        assertSameMatrix("head weight", eh.weight(), ah.weight(), null);
        assertEquals(Float.floatToIntBits(eh.bias()), Float.floatToIntBits(ah.bias()), "head bias");
    }

    /**
     * The logits of every position of {@code ids} from two models, equal bit for bit (the CPU
     * kernels give the same bits whatever the JIT has compiled: see ExactTest).
     */
    static void assertSameLogits(CausalModel a, CausalModel b, int[] ids, String what) {
        float[][] x = Llama2cFiles.logits(a, ids), y = Llama2cFiles.logits(b, ids);
        for (int t = 0; t < ids.length; t++) assertArrayEquals(x[t], y[t], what + ", position " + t);
    }

    static void assertSameMatrix(String what, Matrix e, Matrix a, int[] order) {
        assertEquals(e.dtype(), a.dtype(), what + " dtype");
        assertEquals(e.rows(), a.rows(), what + " rows");
        assertEquals(e.cols(), a.cols(), what + " cols");
        float[] er = new float[e.cols()], ar = new float[a.cols()];
        for (int r = 0; r < e.rows(); r++) {
            e.rowInto(order == null ? r : order[r], er, 0);
            a.rowInto(r, ar, 0);
            assertArrayEquals(er, ar, what + " row " + r);
        }
    }
}
