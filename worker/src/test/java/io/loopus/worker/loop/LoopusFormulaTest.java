package io.loopus.worker.loop;

import io.loopus.worker.load.Llama2cLoader;
import io.loopus.worker.model.LayerStack;
import io.loopus.worker.model.LayerWeights;
import io.loopus.worker.model.LlamaConfig;
import io.loopus.worker.model.PagedKvCache;
import io.loopus.worker.model.RopeTable;
import io.loopus.worker.tensor.Backend;
import io.loopus.worker.tensor.CpuBackend;
import io.loopus.worker.tensor.CpuTensor;
import io.loopus.worker.tensor.Matrix;
import io.loopus.worker.tensor.Tensor;
import org.junit.jupiter.api.Test;

import java.util.Arrays;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * LoopusModel against the formulas of DESIGN §1 written out plainly: the base layers run as
 * whole-sequence stacks, and everything LoopUS adds (delta, confidence head, selective gate, exit
 * rule, decoder head) is computed here in double precision, one scalar at a time.
 */
class LoopusFormulaTest {
    private final Backend cpu = CpuBackend.INSTANCE;

    @Test
    void logitsAndExitDepthFollowTheFormulas() {
        Llama2cLoader.Checkpoint base = LoopFixtures.base();
        int[] ids = LoopFixtures.tokenizer().encode("Tom and his dog went to the park. They saw a big tree.", true);
        Split split = new Split(1, 4, 5);
        Random random = new Random(21);
        GateWeights gate = GateWeights.initial(64, random);
        ConfidenceHead head = ConfidenceHead.initial(64, random);

        // fixed depth: all logits
        Formula fixed = formula(base, split, gate, head, ids, 4, Double.NaN);
        LoopusModel m = LoopFixtures.looped(base, split, gate, head, ExitPolicy.fixed(4), KvPolicy.PER_DEPTH);
        float[][] actual = LoopFixtures.allLogits(m, ids);
        assertEquals(4, m.exitDepth(0));
        for (int t = 0; t < ids.length; t++) {
            float d = maxAbsDiff(fixed.logits[t], actual[t]);
            assertTrue(d <= 1e-4, "position " + t + " differs by " + d);
        }
        assertArrayClose(fixed.q, m.trace(0).q(), 1e-5);

        // threshold: tau just under the largest q, so the exit is where q peaks first
        int peak = 0;
        for (int t = 1; t < fixed.q.length; t++) if (fixed.q[t] > fixed.q[peak]) peak = t;
        double tau = fixed.q[peak] - 1e-4;
        Formula early = formula(base, split, gate, head, ids, 4, tau);
        assertEquals(peak + 1, early.depth);
        m.setExitPolicy(new ExitPolicy(HaltingStrategy.THRESHOLD, 4, 1, tau, 1, 1e-2));
        actual = LoopFixtures.allLogits(m, ids);
        assertEquals(early.depth, m.exitDepth(0));
        for (int t = 0; t < ids.length; t++) assertTrue(maxAbsDiff(early.logits[t], actual[t]) <= 1e-4, "position " + t);
    }

    private record Formula(float[][] logits, float[] q, int depth) {}

    /** The whole sequence through E, up to maxLoops of (R, q, gate) with a threshold exit, and D. */
    private Formula formula(Llama2cLoader.Checkpoint base, Split split, GateWeights gate, ConfidenceHead head,
                            int[] ids, int maxLoops, double tau) {
        LlamaConfig c = base.config();
        LayerWeights[] layers = base.weights().layers();
        RopeTable rope = new RopeTable(c);
        int n = ids.length, dim = c.dim(), last = n - 1;
        Tensor x = cpu.allocate(n, dim);
        cpu.embed(base.weights().embedding(), ids, n, x);
        run(c, Arrays.copyOfRange(layers, 0, split.encoderEnd()), rope, x, n);
        float[][] h = rows(x, n, dim);
        float[] qs = new float[maxLoops];
        int depth = maxLoops;
        for (int t = 1; t <= maxLoops; t++) {
            Tensor r = tensor(h);
            run(c, Arrays.copyOfRange(layers, split.encoderEnd(), split.decoderStart()), rope, r, n);
            float[][] rr = rows(r, n, dim);
            float[][] u = new float[n][dim];
            for (int p = 0; p < n; p++) for (int i = 0; i < dim; i++) u[p][i] = rr[p][i] - h[p][i];
            qs[t - 1] = (float) confidence(head, u[last]);
            for (int p = 0; p < n; p++) h[p] = gate(gate, u[p], rr[p], h[p]);
            if (!Double.isNaN(tau) && qs[t - 1] > tau) {
                depth = t;
                break;
            }
        }
        Tensor y = tensor(h);
        run(c, Arrays.copyOfRange(layers, split.decoderStart(), c.layers()), rope, y, n);
        float[][] out = new float[n][];
        for (int p = 0; p < n; p++) out[p] = lmHead(c, base.weights().finalNorm(), base.weights().lmHead(), rows(y, n, dim)[p]);
        return new Formula(out, Arrays.copyOf(qs, depth), depth);
    }

    /** q = sigmoid(w . LayerNorm(u) + b). */
    private static double confidence(ConfidenceHead head, float[] u) {
        int dim = u.length;
        double mean = 0, var = 0;
        for (float v : u) mean += v;
        mean /= dim;
        for (float v : u) var += (v - mean) * (v - mean);
        var /= dim;
        double logit = head.bias();
        for (int i = 0; i < dim; i++) {
            double ln = (u[i] - mean) / Math.sqrt(var + ConfidenceHead.NORM_EPS) * head.normWeight()[i] + head.normBias()[i];
            logit += head.weight().get(0, i) * ln;
        }
        return 1 / (1 + Math.exp(-logit));
    }

    /** h' = Abar r + (1 - Abar) h, Abar = exp(softplus(W_delta W_in u + b) * -exp(A_log)). */
    private static float[] gate(GateWeights g, float[] u, float[] r, float[] h) {
        int dim = u.length, k = GateWeights.rank(dim);
        double[] z = new double[k];
        for (int j = 0; j < k; j++) for (int i = 0; i < dim; i++) z[j] += g.wIn().get(j, i) * u[i];
        float[] out = new float[dim];
        for (int i = 0; i < dim; i++) {
            double d = g.bDelta()[i];
            for (int j = 0; j < k; j++) d += g.wDelta().get(i, j) * z[j];
            double softplus = Math.log1p(Math.exp(d));
            double abar = Math.exp(softplus * -Math.exp(g.aLog()[i]));
            out[i] = (float) (abar * r[i] + (1 - abar) * h[i]);
        }
        return out;
    }

    private static float[] lmHead(LlamaConfig c, float[] norm, Matrix head, float[] x) {
        double ss = 0;
        for (float v : x) ss += v * v;
        double scale = 1 / Math.sqrt(ss / x.length + c.normEps());
        float[] out = new float[c.vocabSize()];
        for (int v = 0; v < out.length; v++) {
            double s = 0;
            for (int i = 0; i < x.length; i++) s += head.get(v, i) * (norm[i] * x[i] * scale);
            out[v] = (float) s;
        }
        return out;
    }

    /** A block of base layers over the whole sequence with a fresh cache (no history between calls). */
    private void run(LlamaConfig c, LayerWeights[] layers, RopeTable rope, Tensor x, int n) {
        PagedKvCache cache = new PagedKvCache(layers.length, c.kvHeads(), c.headDim(), 16, n);
        int seq = cache.newSequence();
        cache.grow(seq, n);
        int[] positions = new int[n];
        int[][] tables = new int[n][];
        for (int p = 0; p < n; p++) {
            positions[p] = p;
            tables[p] = cache.blockTable(seq);
        }
        new LayerStack(c, layers, rope, cpu).run(x, n, positions, tables, cache);
    }

    private float[][] rows(Tensor t, int n, int dim) {
        float[][] out = new float[n][dim];
        for (int p = 0; p < n; p++) cpu.read(t, p, out[p]);
        return out;
    }

    private static Tensor tensor(float[][] rows) {
        int dim = rows[0].length;
        float[] flat = new float[rows.length * dim];
        for (int p = 0; p < rows.length; p++) System.arraycopy(rows[p], 0, flat, p * dim, dim);
        return new CpuTensor(rows.length, dim, flat);
    }

    private static float maxAbsDiff(float[] a, float[] b) { return LoopFixtures.maxAbsDiff(a, b); }

    private static void assertArrayClose(float[] expected, float[] actual, double tol) {
        assertEquals(expected.length, actual.length);
        for (int i = 0; i < expected.length; i++) {
            assertTrue(Math.abs(expected[i] - actual[i]) <= tol, "index " + i + ": " + expected[i] + " vs " + actual[i]);
        }
    }
}
