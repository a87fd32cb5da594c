package io.loopus.worker.tensor;

import io.loopus.worker.model.PagedKvCache;
import io.loopus.worker.model.RopeTable;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;

/** The reference backend: heap arrays, Vector API kernels, rows spread over the cores. */
public final class CpuBackend implements Backend {
    public static final CpuBackend INSTANCE = new CpuBackend();

    /** Attention scores of one (row, head), per thread, grown to the longest sequence seen. */
    private static final ThreadLocal<float[]> SCORES = ThreadLocal.withInitial(() -> new float[256]);

    private CpuBackend() {}

    private static float[] data(Tensor t) {
        return ((CpuTensor) t).data();
    }

    @Override public String name() { return "cpu"; }

    @Override public Tensor allocate(int rows, int cols) { return new CpuTensor(rows, cols); }

    @Override public void embed(Matrix table, int[] tokens, int n, Tensor out) {
        float[] o = data(out);
        int dim = table.cols();
        for (int t = 0; t < n; t++) table.rowInto(tokens[t], o, t * dim);
    }

    @Override public void matmul(Tensor x, int n, Matrix w, Tensor out) {
        float[] xs = data(x), os = data(out);
        int xStride = x.cols(), outStride = out.cols();
        long work = (long) n * w.rows() * w.cols();
        Parallel.forRange(w.rows(), work, 4, (from, to) -> w.multiply(xs, xStride, n, os, outStride, from, to));
    }

    @Override public void addBias(Tensor x, int n, float[] bias) {
        float[] xs = data(x);
        int cols = x.cols();
        for (int t = 0; t < n; t++) {
            for (int i = 0; i < bias.length; i++) xs[t * cols + i] += bias[i];
        }
    }

    @Override public void rmsNorm(Tensor x, int n, float[] weight, float eps, Tensor out) {
        float[] xs = data(x), os = data(out);
        int cols = x.cols(), width = weight.length, groups = cols / width;
        for (int t = 0; t < n; t++) {
            for (int g = 0; g < groups; g++) {
                int o = t * cols + g * width;
                float ss = Kernels.dot(xs, o, xs, o, width);
                float scale = (float) (1.0 / Math.sqrt(ss / width + eps));
                for (int i = 0; i < width; i++) os[o + i] = weight[i] * (scale * xs[o + i]);
            }
        }
    }

    @Override public void rope(Tensor x, int n, int[] positions, RopeTable table) {
        float[] xs = data(x);
        int cols = x.cols();
        int heads = cols / table.headDim();
        for (int t = 0; t < n; t++) table.rotate(xs, t * cols, heads, positions[t]);
    }

    @Override public void storeKv(Tensor k, Tensor v, int n, int[][] blockTables, int[] positions,
                                  PagedKvCache cache, int layer) {
        float[] ks = data(k), vs = data(v);
        float[] kc = cache.keys(layer), vc = cache.values(layer);
        int kvDim = cache.kvDim();
        for (int t = 0; t < n; t++) {
            int off = cache.offset(blockTables[t], positions[t]);
            System.arraycopy(ks, t * k.cols(), kc, off, kvDim);
            System.arraycopy(vs, t * v.cols(), vc, off, kvDim);
        }
    }

    @Override public void attention(Tensor q, int n, int heads, int kvHeads, int headDim, int[][] blockTables,
                                    int[] positions, PagedKvCache cache, int layer, Tensor out) {
        float[] qs = data(q), os = data(out);
        float[] kc = cache.keys(layer), vc = cache.values(layer);
        int qCols = q.cols(), group = heads / kvHeads;
        float scale = (float) (1.0 / Math.sqrt(headDim));
        long work = 0;
        for (int t = 0; t < n; t++) work += (long) (positions[t] + 1) * headDim * heads * 2;
        Parallel.forRange(n * heads, work, 1, (from, to) -> {
            for (int item = from; item < to; item++) {
                int t = item / heads, h = item % heads;
                int len = positions[t] + 1;
                float[] scores = SCORES.get();
                if (scores.length < len) {
                    scores = new float[Math.max(len, 2 * scores.length)];
                    SCORES.set(scores);
                }
                int qo = t * qCols + h * headDim;
                int kvo = (h / group) * headDim;
                int[] table = blockTables[t];
                float max = Float.NEGATIVE_INFINITY;
                for (int p = 0; p < len; p++) {
                    float s = Kernels.dot(qs, qo, kc, cache.offset(table, p) + kvo, headDim) * scale;
                    scores[p] = s;
                    if (s > max) max = s;
                }
                float sum = 0;
                for (int p = 0; p < len; p++) {
                    float e = (float) Math.exp(scores[p] - max);
                    scores[p] = e;
                    sum += e;
                }
                float inv = 1f / sum;
                int oo = t * out.cols() + h * headDim;
                for (int i = 0; i < headDim; i++) os[oo + i] = 0;
                for (int p = 0; p < len; p++) axpy(scores[p] * inv, vc, cache.offset(table, p) + kvo, os, oo, headDim);
            }
        });
    }

    /** y[yo..] += a * x[xo..]. */
    private static void axpy(float a, float[] x, int xo, float[] y, int yo, int n) {
        int bound = Kernels.F.loopBound(n);
        FloatVector av = FloatVector.broadcast(Kernels.F, a);
        for (int i = 0; i < bound; i += Kernels.LANES) {
            FloatVector.fromArray(Kernels.F, x, xo + i).fma(av, FloatVector.fromArray(Kernels.F, y, yo + i))
                    .intoArray(y, yo + i);
        }
        for (int i = bound; i < n; i++) y[yo + i] += a * x[xo + i];
    }

    @Override public void siluMul(Tensor gate, Tensor up, int n) {
        float[] g = data(gate), u = data(up);
        int cols = gate.cols();
        int bound = Kernels.F.loopBound(cols);
        // Row by row, so that a row's result never depends on which rows share its batch.
        for (int t = 0; t < n; t++) {
            int o = t * cols;
            for (int i = 0; i < bound; i += Kernels.LANES) {
                FloatVector x = FloatVector.fromArray(Kernels.F, g, o + i);
                FloatVector silu = x.div(x.neg().lanewise(VectorOperators.EXP).add(1f));
                silu.mul(FloatVector.fromArray(Kernels.F, u, o + i)).intoArray(g, o + i);
            }
            for (int i = bound; i < cols; i++) {
                float x = g[o + i];
                g[o + i] = x / (1f + (float) Math.exp(-x)) * u[o + i];
            }
        }
    }

    @Override public void add(Tensor x, Tensor y, int n) {
        float[] xs = data(x), ys = data(y);
        int len = n * x.cols();
        int bound = Kernels.F.loopBound(len);
        for (int i = 0; i < bound; i += Kernels.LANES) {
            FloatVector.fromArray(Kernels.F, xs, i).add(FloatVector.fromArray(Kernels.F, ys, i)).intoArray(xs, i);
        }
        for (int i = bound; i < len; i++) xs[i] += ys[i];
    }

    @Override public void gatherRows(Tensor src, int[] rows, int count, Tensor dst) {
        float[] s = data(src), d = data(dst);
        int cols = src.cols();
        for (int i = 0; i < count; i++) System.arraycopy(s, rows[i] * cols, d, i * cols, cols);
    }

    @Override public void read(Tensor t, int row, float[] dst) {
        System.arraycopy(data(t), row * t.cols(), dst, 0, t.cols());
    }
}
