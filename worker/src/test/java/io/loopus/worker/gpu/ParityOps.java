package io.loopus.worker.gpu;

import io.loopus.worker.model.LlamaConfig;
import io.loopus.worker.model.PagedKvCache;
import io.loopus.worker.model.RopeConvention;
import io.loopus.worker.model.RopeTable;
import io.loopus.worker.tensor.AttentionShape;
import io.loopus.worker.tensor.Backend;
import io.loopus.worker.tensor.CpuBackend;
import io.loopus.worker.tensor.DType;
import io.loopus.worker.tensor.F32Matrix;
import io.loopus.worker.tensor.HalfFloats;
import io.loopus.worker.tensor.HalfMatrix;
import io.loopus.worker.tensor.Matrix;
import io.loopus.worker.tensor.Tensor;

import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;

/**
 * Every op of {@link CudaBackend} against {@link CpuBackend} on seeded random inputs: the same
 * inputs go to both backends, and the outputs are compared with {@link ParityCheck#error}. Shared
 * by the JUnit parity test and {@code GpuCheck} (scripts/gpu-check.sh).
 */
public final class ParityOps {
    private final Backend gpu;
    private final String products;
    private final boolean cublas;
    private final Backend cpu = CpuBackend.INSTANCE;
    private final SplittableRandom random = new SplittableRandom(20261130);
    private final List<ParityCheck> checks = new ArrayList<>();

    public ParityOps(CudaBackend gpu) {
        this(gpu, gpu.products());
    }

    /**
     * @param device   the backend under test (any backend: the harness itself is tested with a CPU device)
     * @param products how it multiplies ("cuBLAS" selects the F16/BF16 bounds of rounded activations)
     */
    public ParityOps(Backend device, String products) {
        this.gpu = device;
        this.products = products;
        this.cublas = products.equals("cuBLAS");
    }

    /** Runs every op check (on the backend's product path) and returns the results. */
    public List<ParityCheck> run() {
        for (DType d : DType.values()) {
            embed(d);
            for (int n : new int[] {1, 3, 8, 9, 64, 100}) matmul(d, 96, 200, n);
        }
        matmul(DType.F32, 1, 257, 5); // a 1-row matrix (the confidence head)
        elementwise();
        rmsNorm(192, 192);
        rmsNorm(256, 64); // Qwen3's per-head q/k norm: groups of headDim
        layerNorm();
        rope(RopeConvention.INTERLEAVED);
        rope(RopeConvention.HALF);
        attention(8, 2, 64, new int[] {0, 5, 15, 16, 17, 40, 100}); // GQA, positions across blocks
        attention(4, 4, 32, new int[] {3, 31, 32, 200});
        attention(2, 1, 160, new int[] {9, 70}); // a head wider than the block of threads
        kvCopies();
        gate();
        rows();
        return checks;
    }

    private String tag(String op) { return op + " [" + products + "]"; }

    private float[] values(int n, double scale) {
        float[] v = new float[n];
        for (int i = 0; i < n; i++) v[i] = (float) (random.nextGaussian() * scale);
        return v;
    }

    /** The same values as a tensor of each backend: [cpu, gpu]. */
    private Tensor[] pair(int rows, int cols, float[] data) {
        Tensor c = cpu.allocate(rows, cols), g = gpu.allocate(rows, cols);
        cpu.writeRows(c, 0, rows, data, 0);
        gpu.writeRows(g, 0, rows, data, 0);
        return new Tensor[] {c, g};
    }

    private Tensor[] pair(int rows, int cols) {
        return pair(rows, cols, values(rows * cols, 1));
    }

    private static float[] rows(Backend b, Tensor t, int n) {
        float[] out = new float[n * t.cols()];
        b.readRows(t, 0, n, out, 0);
        return out;
    }

    private void compare(String name, Tensor[] p, int n, double bound) {
        checks.add(new ParityCheck(name, ParityCheck.error(rows(gpu, p[1], n), rows(cpu, p[0], n)), bound));
    }

    static Matrix matrix(DType d, int rows, int cols, float[] f32) {
        if (d == DType.F32) return new F32Matrix(rows, cols, f32);
        short[] h = new short[f32.length];
        for (int i = 0; i < h.length; i++) h[i] = d == DType.F16 ? HalfFloats.floatToF16(f32[i]) : HalfFloats.floatToBf16(f32[i]);
        return new HalfMatrix(rows, cols, h, d);
    }

    private void embed(DType d) {
        Matrix table = matrix(d, 50, 96, values(50 * 96, 1));
        int[] tokens = {3, 0, 49, 3, 17};
        Tensor[] out = {cpu.allocate(5, 96), gpu.allocate(5, 96)};
        cpu.embed(table, tokens, 5, out[0]);
        gpu.embed(table, tokens, 5, out[1]);
        compare("embed " + d, out, 5, 0); // a lookup and an exact widening
    }

    private void matmul(DType d, int rows, int cols, int n) {
        Matrix w = matrix(d, rows, cols, values(rows * cols, 0.05));
        Tensor[] x = pair(n, cols);
        Tensor[] out = {cpu.allocate(n, rows), gpu.allocate(n, rows)};
        cpu.matmul(x[0], n, w, out[0]);
        gpu.matmul(x[1], n, w, out[1]);
        compare(tag("matmul " + d + " " + rows + "x" + cols + " n=" + n), out, n, ParityBounds.product(d, cublas));
    }

    private void elementwise() {
        int n = 7, cols = 300;
        float[] ys = values(n * cols, 1);
        Tensor[] x = pair(n, cols), y = pair(n, cols, ys);
        cpu.add(x[0], y[0], n);
        gpu.add(x[1], y[1], n);
        compare("add", x, n, 0);
        float[] bias = values(cols, 1);
        cpu.addBias(x[0], n, bias);
        gpu.addBias(x[1], n, bias);
        compare("addBias", x, n, 0);
        Tensor[] out = {cpu.allocate(n, cols), gpu.allocate(n, cols)};
        cpu.subtract(x[0], y[0], n, out[0]);
        gpu.subtract(x[1], y[1], n, out[1]);
        compare("subtract", out, n, 0);
        Tensor[] g = pair(n, cols, values(n * cols, 3));
        cpu.siluMul(g[0], y[0], n);
        gpu.siluMul(g[1], y[1], n);
        compare("siluMul", g, n, ParityBounds.F32);
    }

    private void rmsNorm(int cols, int width) {
        int n = 6;
        float[] weight = values(width, 1);
        Tensor[] x = pair(n, cols, values(n * cols, 2));
        Tensor[] out = {cpu.allocate(n, cols), gpu.allocate(n, cols)};
        cpu.rmsNorm(x[0], n, weight, 1e-5f, out[0]);
        gpu.rmsNorm(x[1], n, weight, 1e-5f, out[1]);
        compare("rmsNorm " + cols + " in groups of " + width, out, n, ParityBounds.F32);
        cpu.rmsNorm(x[0], n, weight, 1e-5f, x[0]); // in place, as Qwen3's q/k norm runs
        gpu.rmsNorm(x[1], n, weight, 1e-5f, x[1]);
        compare("rmsNorm in place", x, n, ParityBounds.F32);
    }

    private void layerNorm() {
        int n = 5, cols = 257;
        float[] w = values(cols, 1), b = values(cols, 1);
        Tensor[] x = pair(n, cols, values(n * cols, 4));
        Tensor[] out = {cpu.allocate(n, cols), gpu.allocate(n, cols)};
        cpu.layerNorm(x[0], n, w, b, 1e-5f, out[0]);
        gpu.layerNorm(x[1], n, w, b, 1e-5f, out[1]);
        compare("layerNorm", out, n, ParityBounds.F32);
    }

    static LlamaConfig config(int heads, int kvHeads, int headDim, RopeConvention rope) {
        int dim = heads * headDim;
        return new LlamaConfig("llama", dim, 2 * dim, 2, heads, kvHeads, headDim, 100, 512, 1e-5f, 10000.0, null,
                rope, false, false, false, 1, new int[] {2});
    }

    private void rope(RopeConvention convention) {
        RopeTable table = new RopeTable(config(4, 2, 64, convention));
        int n = 6, cols = 4 * 64;
        int[] positions = {0, 1, 7, 100, 511, 300};
        Tensor[] x = pair(n, cols);
        cpu.rope(x[0], n, positions, table);
        gpu.rope(x[1], n, positions, table);
        compare("rope " + convention, x, n, ParityBounds.F32);
    }

    /**
     * Keys and values of three sequences written in two batches (a prompt, then decode rows), then
     * attention for rows at the given positions, spread over the sequences.
     */
    private void attention(int heads, int kvHeads, int headDim, int[] positions) {
        LlamaConfig c = config(heads, kvHeads, headDim, RopeConvention.HALF);
        int longest = 0;
        for (int p : positions) longest = Math.max(longest, p + 1);
        PagedKvCache[] caches = {new PagedKvCache(1, kvHeads, headDim, 16, 3 * 256), new PagedKvCache(1, kvHeads, headDim, 16, 3 * 256)};
        int[][] seqs = new int[2][3];
        for (int b = 0; b < 2; b++) {
            for (int s = 0; s < 3; s++) {
                seqs[b][s] = caches[b].newSequence();
                caches[b].grow(seqs[b][s], longest);
            }
        }
        // every position of every sequence, in one batch per sequence
        Tensor[] k = pair(longest, c.kvDim()), v = pair(longest, c.kvDim());
        int[] all = new int[longest];
        for (int p = 0; p < longest; p++) all[p] = p;
        for (int s = 0; s < 3; s++) {
            int[][][] tables = new int[2][longest][];
            for (int b = 0; b < 2; b++) java.util.Arrays.fill(tables[b], caches[b].blockTable(seqs[b][s]));
            cpu.storeKv(k[0], v[0], longest, tables[0], all, caches[0], 0);
            gpu.storeKv(k[1], v[1], longest, tables[1], all, caches[1], 0);
        }
        int n = positions.length;
        int[][][] tables = new int[2][n][];
        for (int t = 0; t < n; t++) {
            for (int b = 0; b < 2; b++) tables[b][t] = caches[b].blockTable(seqs[b][t % 3]);
        }
        Tensor[] q = pair(n, c.qDim());
        Tensor[] out = {cpu.allocate(n, c.qDim()), gpu.allocate(n, c.qDim())};
        AttentionShape shape = new AttentionShape(heads, kvHeads, headDim, new RopeTable(c).pairOrder());
        cpu.attention(q[0], n, shape, tables[0], positions, caches[0], 0, out[0]);
        gpu.attention(q[1], n, shape, tables[1], positions, caches[1], 0, out[1]);
        compare("storeKv + attention " + heads + "/" + kvHeads + " heads of " + headDim + " up to " + longest,
                out, n, ParityBounds.F32);
    }

    /** copyPrefix and copyPositions (the loop's fill-forward) move the same keys on both backends. */
    private void kvCopies() {
        int heads = 4, kvHeads = 2, headDim = 32, len = 40;
        LlamaConfig c = config(heads, kvHeads, headDim, RopeConvention.INTERLEAVED);
        PagedKvCache[] caches = {new PagedKvCache(3, kvHeads, headDim, 16, 4 * 64), new PagedKvCache(3, kvHeads, headDim, 16, 4 * 64)};
        Backend[] bs = {cpu, gpu};
        int[] pos = new int[len];
        for (int p = 0; p < len; p++) pos[p] = p;
        Tensor[] k = pair(len, c.kvDim()), v = pair(len, c.kvDim());
        int[][] ids = new int[2][3];
        for (int b = 0; b < 2; b++) {
            for (int s = 0; s < 3; s++) ids[b][s] = caches[b].newSequence();
            caches[b].grow(ids[b][0], len);
            caches[b].grow(ids[b][1], len);
            int[][] t = new int[len][];
            java.util.Arrays.fill(t, caches[b].blockTable(ids[b][0]));
            for (int layer = 0; layer < 3; layer++) bs[b].storeKv(k[b], v[b], len, t, pos, caches[b], layer);
            caches[b].copyPrefix(ids[b][0], ids[b][2], len);       // whole blocks
            caches[b].copyPositions(ids[b][0], ids[b][1], 10, 35); // positions, across a block edge
        }
        AttentionShape shape = new AttentionShape(heads, kvHeads, headDim, new RopeTable(c).pairOrder());
        Tensor[] q = pair(len, c.qDim());
        for (int s = 1; s <= 2; s++) {
            for (int layer = 0; layer < 3; layer += 2) {
                Tensor[] out = {cpu.allocate(len, c.qDim()), gpu.allocate(len, c.qDim())};
                for (int b = 0; b < 2; b++) {
                    int[][] t = new int[len][];
                    java.util.Arrays.fill(t, caches[b].blockTable(ids[b][s]));
                    bs[b].attention(q[b], len, shape, t, pos, caches[b], layer, out[b]);
                }
                compare((s == 1 ? "copyPositions" : "copyPrefix") + " then attention, layer " + layer, out, len, ParityBounds.F32);
            }
        }
    }

    private void gate() {
        int n = 5, cols = 130;
        float[] decay = new float[cols];
        for (int i = 0; i < cols; i++) decay[i] = (float) -Math.exp(Math.log(i + 1));
        Tensor[] h = pair(n, cols), r = pair(n, cols), delta = pair(n, cols, values(n * cols, 8)); // some above 20: softplus' linear branch
        float[] meanCpu = new float[n], meanGpu = new float[n];
        cpu.selectiveGate(h[0], r[0], delta[0], decay, n, meanCpu);
        gpu.selectiveGate(h[1], r[1], delta[1], decay, n, meanGpu);
        compare("selectiveGate", h, n, ParityBounds.F32);
        checks.add(new ParityCheck("selectiveGate mean Abar", ParityCheck.error(meanGpu, meanCpu), ParityBounds.F32));
    }

    private void rows() {
        int cols = 33;
        Tensor[] src = pair(6, cols);
        int[] order = {5, 0, 2, 2};
        Tensor[] dst = {cpu.allocate(4, cols), gpu.allocate(4, cols)};
        cpu.gatherRows(src[0], order, 4, dst[0]);
        gpu.gatherRows(src[1], order, 4, dst[1]);
        compare("gatherRows", dst, 4, 0);
        Tensor[] back = pair(6, cols);
        int[] places = {4, 1, 3};
        cpu.scatterRows(dst[0], places, 3, back[0]);
        gpu.scatterRows(dst[1], places, 3, back[1]);
        compare("scatterRows", back, 6, 0);
    }
}
