package io.loopus.trainer.grad;

import io.loopus.worker.loop.ConfidenceHead;
import io.loopus.worker.loop.GateWeights;
import io.loopus.worker.model.LlamaConfig;
import io.loopus.worker.model.RopeConvention;
import io.loopus.worker.model.RopeTable;
import com.sun.management.ThreadMXBean;
import org.junit.jupiter.api.Test;

import java.lang.management.ManagementFactory;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;

import static io.loopus.trainer.grad.TestData.gaussian;
import static io.loopus.trainer.grad.TestData.matrix;
import static io.loopus.trainer.grad.TestData.nearOne;

/**
 * Prints how long one {@link SupervisedStep} takes on one thread at stories260K's shape (B = 8
 * sequences of T = 256 tokens, 3 reasoning layers and 1 decoder layer, random weights), and how
 * that splits over the op classes: each op is timed alone, at the step's shapes, as many times as
 * one step calls it, with what each allocated. Prints only, asserts nothing. Its name keeps it
 * out of the default test run; run it with {@code -Dtest=SupervisedStepTiming} or through
 * {@code scripts/grad-timing.sh}.
 */
class SupervisedStepTiming {
    static final int B = 8, T = 256, REASONING = 3, DECODER = 1;
    static final int LAYER_FORWARDS = 2 * REASONING + 2 * DECODER; // D(h0) and D(h2) each run the decoder
    static final int LAYER_BACKWARDS = 2 * REASONING + DECODER;

    /** llama2.c's stories260K: dim 64, hidden 172, 8 heads over 4 kv heads of width 8, vocab 512. */
    static final LlamaConfig CONFIG = new LlamaConfig("llama", 64, 172, 5, 8, 4, 8, 512, 512, 1e-5f, 10000.0, null,
            RopeConvention.INTERLEAVED, false, false, false, 1, new int[] {2});

    /** -Dops=REGEX: time only the op classes whose name matches, and not the step. */
    static final String ONLY = System.getProperty("ops");
    static final ThreadMXBean THREAD = (ThreadMXBean) ManagementFactory.getThreadMXBean();

    /** One op class: what one step calls, forward and backward, as one run each. */
    record Op(String name, Runnable forward, Runnable backward) {}

    final Random r = new Random(5);
    final BatchShape shape = new BatchShape(B, T, full());
    final int n = shape.rows();

    @Test void printTimings() { run(2, 3); }

    public static void main(String[] args) {
        new SupervisedStepTiming().run(Integer.parseInt(args[0]), Integer.parseInt(args[1]));
    }

    void run(int warm, int timed) {
        if (ONLY == null) step(warm, timed);
        ops(warm, timed);
    }

    private void step(int warm, int timed) {
        TrainableParams p = params();
        TrainableParams g = p.zerosLike();
        SupervisedStep step = new SupervisedStep(CONFIG, REASONING, DECODER, B, T, 1);
        float[] h = gaussian(r, n * CONFIG.dim());
        int[] labels = new int[n];
        for (int i = 0; i < n; i++) labels[i] = r.nextInt(CONFIG.vocabSize());
        Run forward = new Run(timed), backward = new Run(timed);
        for (int i = -warm; i < timed; i++) {
            forward.time(i, () -> step.forward(p, shape, h, labels));
            backward.time(i, () -> step.backward(p, g));
        }
        System.out.printf("SupervisedStep, B=%d x T=%d, %d reasoning + %d decoder layers, one thread, CPU time of %d runs after %d warm-up:%n",
                B, T, REASONING, DECODER, timed, warm);
        System.out.printf("  %-28s %10s %10s %12s%n", "", "best", "mean", "allocated");
        System.out.printf("  %-28s %7.1f ms %7.1f ms %9d KB%n", "forward", forward.best(), forward.mean(), forward.allocatedKb());
        System.out.printf("  %-28s %7.1f ms %7.1f ms %9d KB%n", "backward", backward.best(), backward.mean(), backward.allocatedKb());
    }

    private void ops(int warm, int timed) {
        List<Op> ops = new ArrayList<>();
        ops.add(linear("wq", CONFIG.dim(), CONFIG.qDim(), 1));
        ops.add(linear("wk, wv", CONFIG.dim(), CONFIG.kvDim(), 2));
        ops.add(linear("wo", CONFIG.qDim(), CONFIG.dim(), 1));
        ops.add(linear("w1, w3", CONFIG.dim(), CONFIG.hiddenDim(), 2));
        ops.add(linear("w2", CONFIG.hiddenDim(), CONFIG.dim(), 1));
        ops.add(lmHead());
        ops.add(attention());
        ops.add(rmsNorm());
        ops.add(crossEntropy());
        ops.add(siluMul());
        ops.add(rope());
        ops.add(gate());
        System.out.printf("per op class, timed alone over one step's calls (best of %d):%n  %-28s %10s %10s %12s%n",
                timed, "", "forward", "backward", "allocated");
        double sumF = 0, sumB = 0;
        for (Op op : ops) {
            if (ONLY != null && !op.name().matches(ONLY)) continue;
            Run f = new Run(timed), b = new Run(timed);
            for (int i = -warm; i < timed; i++) {
                f.time(i, op.forward());
                b.time(i, op.backward());
            }
            sumF += f.best();
            sumB += b.best();
            System.out.printf("  %-28s %7.1f ms %7.1f ms %9d KB%n", op.name(), f.best(), b.best(), f.allocatedKb() + b.allocatedKb());
        }
        System.out.printf("  %-28s %7.1f ms %7.1f ms%n", "sum", sumF, sumB);
    }

    /**
     * The thread's CPU time (steadier than wall time on a machine shared with other work) of each
     * timed run, and the bytes it allocated: the kernels allocate nothing once C2 has compiled
     * them, so anything here is either the end of a warm-up too short or a vector the JIT boxed.
     */
    static final class Run {
        final long[] nanos;
        long allocated;

        Run(int timed) { nanos = new long[timed]; }

        /** Runs body; run i < 0 is a warm-up and is not kept. */
        void time(int i, Runnable body) {
            long a0 = THREAD.getCurrentThreadAllocatedBytes(), t0 = THREAD.getCurrentThreadCpuTime();
            body.run();
            long t1 = THREAD.getCurrentThreadCpuTime(), a1 = THREAD.getCurrentThreadAllocatedBytes();
            if (i < 0) return;
            nanos[i] = t1 - t0;
            allocated += a1 - a0;
        }

        double best() { return Arrays.stream(nanos).min().orElseThrow() / 1e6; }

        double mean() { return Arrays.stream(nanos).average().orElseThrow() / 1e6; }

        long allocatedKb() { return allocated / nanos.length / 1024; }
    }

    /** copies Linear(in, out) maps per layer, over every layer application. */
    private Op linear(String names, int in, int out, int copies) {
        Linear op = new Linear(in, out);
        float[] x = gaussian(r, n * in), w = matrix(r, out, in), y = new float[n * out], dy = gaussian(r, n * out);
        float[] dx = new float[n * in], dw = new float[out * in];
        return new Op("Linear " + names + " (" + in + "->" + out + ")",
                () -> repeat(copies * LAYER_FORWARDS, () -> op.forward(x, n, w, null, y)),
                () -> repeat(copies * LAYER_BACKWARDS, () -> op.backward(x, dy, n, w, dx, dw, null)));
    }

    private Op lmHead() {
        int dim = CONFIG.dim(), vocab = CONFIG.vocabSize();
        Linear op = new Linear(dim, vocab);
        float[] x = gaussian(r, n * dim), w = matrix(r, vocab, dim), y = new float[n * vocab], dy = gaussian(r, n * vocab, 1e-3);
        float[] dx = new float[n * dim], dw = new float[vocab * dim];
        return new Op("Linear LM head (" + dim + "->" + vocab + ")",
                () -> repeat(2, () -> op.forward(x, n, w, null, y)),
                () -> op.backward(x, dy, n, w, dx, dw, null));
    }

    private Op attention() {
        int qDim = CONFIG.qDim(), kvDim = CONFIG.kvDim();
        CausalAttention op = new CausalAttention(CONFIG.heads(), CONFIG.kvHeads(), CONFIG.headDim(), T);
        float[] q = gaussian(r, n * qDim), k = gaussian(r, n * kvDim), v = gaussian(r, n * kvDim);
        float[] out = new float[n * qDim], lse = new float[n * CONFIG.heads()], dOut = gaussian(r, n * qDim);
        float[] dq = new float[n * qDim], dk = new float[n * kvDim], dv = new float[n * kvDim];
        return new Op("CausalAttention",
                () -> repeat(LAYER_FORWARDS, () -> op.forward(q, k, v, shape, out, lse)),
                () -> repeat(LAYER_BACKWARDS, () -> op.backward(q, k, v, out, lse, dOut, shape, dq, dk, dv)));
    }

    /** Two per layer and the final norm; the backward also recomputes each layer's two outputs. */
    private Op rmsNorm() {
        int dim = CONFIG.dim();
        RmsNorm op = new RmsNorm(dim, CONFIG.normEps());
        float[] x = gaussian(r, n * dim), w = nearOne(r, dim), y = new float[n * dim], inv = new float[n];
        float[] dy = gaussian(r, n * dim), dx = new float[n * dim], dw = new float[dim];
        return new Op("RmsNorm",
                () -> repeat(2 * LAYER_FORWARDS + 2, () -> op.forward(x, n, dim, w, y, inv)),
                () -> {
                    repeat(2 * LAYER_BACKWARDS, () -> op.apply(x, inv, n, dim, w, y));
                    repeat(2 * LAYER_BACKWARDS + 1, () -> op.backward(x, inv, dy, n, dim, w, dx, dw));
                });
    }

    private Op crossEntropy() {
        int vocab = CONFIG.vocabSize();
        CrossEntropy op = new CrossEntropy(vocab);
        float[] logits = gaussian(r, n * vocab, 3), lse = new float[n], d = new float[n * vocab], acc = new float[B];
        int[] labels = new int[n];
        for (int i = 0; i < n; i++) labels[i] = r.nextInt(vocab);
        return new Op("CrossEntropy, TokenAccuracy",
                () -> {
                    repeat(2, () -> op.forward(logits, labels, n, lse));
                    TokenAccuracy.perSequence(logits, vocab, labels, shape, acc);
                },
                () -> op.backward(logits, lse, labels, n, 1, d));
    }

    /** The backward recomputes the product before differentiating it. */
    private Op siluMul() {
        int m = n * CONFIG.hiddenDim();
        float[] g = gaussian(r, m), u = gaussian(r, m), out = new float[m], dOut = gaussian(r, m);
        float[] dg = new float[m], du = new float[m];
        return new Op("SiluMul",
                () -> repeat(LAYER_FORWARDS, () -> SiluMul.forward(g, u, m, out)),
                () -> repeat(LAYER_BACKWARDS, () -> {
                    SiluMul.forward(g, u, m, out);
                    SiluMul.backward(g, u, dOut, m, dg, du);
                }));
    }

    private Op rope() {
        RopeTable table = new RopeTable(CONFIG);
        float[] q = gaussian(r, n * CONFIG.qDim()), k = gaussian(r, n * CONFIG.kvDim());
        return new Op("Rope",
                () -> repeat(LAYER_FORWARDS, () -> {
                    Rope.forward(table, q, shape, CONFIG.heads());
                    Rope.forward(table, k, shape, CONFIG.kvHeads());
                }),
                () -> repeat(LAYER_BACKWARDS, () -> {
                    Rope.backward(table, q, shape, CONFIG.heads());
                    Rope.backward(table, k, shape, CONFIG.kvHeads());
                }));
    }

    private Op gate() {
        int dim = CONFIG.dim();
        GateGrad op = new GateGrad(dim, n);
        GateGrad.Tape tape = op.newTape();
        GateParams p = GateParams.copyOf(GateWeights.initial(dim, r)), g = p.zerosLike();
        float[] rr = gaussian(r, n * dim), h = gaussian(r, n * dim), out = new float[n * dim], dOut = gaussian(r, n * dim);
        float[] dr = new float[n * dim], dh = new float[n * dim];
        return new Op("GateGrad",
                () -> repeat(2, () -> op.forward(p, rr, h, n, tape, out)),
                () -> repeat(2, () -> op.backward(p, n, tape, dOut, dr, dh, g)));
    }

    private TrainableParams params() {
        LayerParams[] reasoning = new LayerParams[REASONING], decoder = new LayerParams[DECODER];
        for (int l = 0; l < REASONING; l++) reasoning[l] = TestData.layer(CONFIG, r);
        for (int l = 0; l < DECODER; l++) decoder[l] = TestData.layer(CONFIG, r);
        int dim = CONFIG.dim();
        return new TrainableParams(reasoning, GateParams.copyOf(GateWeights.initial(dim, r)),
                HeadParams.copyOf(ConfidenceHead.initial(dim, r)), decoder, nearOne(r, dim),
                matrix(r, CONFIG.vocabSize(), dim));
    }

    private static int[] full() {
        int[] valid = new int[B];
        Arrays.fill(valid, T);
        return valid;
    }

    private static void repeat(int times, Runnable body) {
        for (int i = 0; i < times; i++) body.run();
    }
}
