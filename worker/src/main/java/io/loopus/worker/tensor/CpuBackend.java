package io.loopus.worker.tensor;

import io.loopus.worker.model.PagedKvCache;
import io.loopus.worker.model.RopeTable;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;

/**
 * The reference backend: heap arrays, Vector API kernels, rows spread over the threads of its
 * pool. {@link #INSTANCE} uses the shared pool sized to the cores; {@link #device} makes a backend
 * with a pool of its own, so that stages pinned to different CPU devices compute at the same time.
 * Which pool runs a kernel never changes its result: every output element is summed in one fixed
 * order whatever the chunking.
 */
public final class CpuBackend implements Backend, AutoCloseable {
    public static final CpuBackend INSTANCE = new CpuBackend(Parallel.DEFAULT);

    /** Attention scores of one (row, head), per thread, grown to the longest sequence seen. */
    private static final ThreadLocal<float[]> SCORES = ThreadLocal.withInitial(() -> new float[256]);

    private final Parallel pool; // named like the backend: threads of cpu:1 are loopus-cpu:1-1, ...

    private CpuBackend(Parallel pool) {
        this.pool = pool;
    }

    /** CPU device {@code index} ("cpu:index") with a pool of {@code threads} threads of its own; close it when done. */
    public static CpuBackend device(int index, int threads) {
        if (index < 0) throw new IllegalArgumentException("CPU device index " + index);
        return new CpuBackend(new Parallel("cpu:" + index, threads));
    }

    private static float[] data(Tensor t) {
        return ((CpuTensor) t).data();
    }

    @Override public String name() { return pool.name(); }

    /** Threads this backend spreads a kernel over (the caller included). */
    public int threads() { return pool.threads(); }

    /**
     * Releases this device: stops its threads once the kernel in flight is done. The backend must
     * not be used afterwards (its threaded kernels throw). {@link #INSTANCE} cannot be closed.
     */
    @Override public void close() {
        pool.close();
    }

    @Override public Tensor allocate(int rows, int cols) { return new CpuTensor(rows, cols); }

    @Override public void embed(Matrix table, int[] tokens, int n, Tensor out) {
        float[] o = data(out);
        int dim = table.cols();
        for (int t = 0; t < n; t++) table.rowInto(tokens[t], o, t * dim);
    }

    @Override public void matmul(Tensor x, int n, Matrix w, Tensor out) {
        float[] xs = data(x), os = data(out);
        int xStride = x.cols(), outStride = out.cols();
        if (OpenBlasGemm.worthIt(w, n)) {
            OpenBlasGemm.multiply((F32Matrix) w, xs, xStride, n, os, outStride);
            return;
        }
        long work = (long) n * w.rows() * w.cols();
        pool.forRange(w.rows(), work, 4, (from, to) -> w.multiply(xs, xStride, n, os, outStride, from, to));
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
        int kvDim = cache.kvDim(), blockSize = cache.blockSize(), headDim = cache.headDim();
        for (int t = 0; t < n; t++) {
            int base = cache.blockBase(blockTables[t], positions[t]);
            int slot = positions[t] % blockSize;
            for (int d = 0; d < kvDim; d++) kc[base + d * blockSize + slot] = ks[t * k.cols() + d];
            for (int h = 0; h < kvDim / headDim; h++) {
                System.arraycopy(vs, t * v.cols() + h * headDim, vc, base + (h * blockSize + slot) * headDim, headDim);
            }
        }
    }

    @Override public void attention(Tensor q, int n, AttentionShape shape, int[][] blockTables,
                                    int[] positions, PagedKvCache cache, int layer, Tensor out) {
        int heads = shape.heads(), kvHeads = shape.kvHeads(), headDim = shape.headDim();
        int[] order = shape.channelOrder();
        float[] qs = data(q), os = data(out);
        float[] kc = cache.keys(layer), vc = cache.values(layer);
        int qCols = q.cols(), outCols = out.cols(), group = heads / kvHeads;
        int kvDim = cache.kvDim(), blockSize = cache.blockSize();
        float scale = (float) (1.0 / Math.sqrt(headDim));
        long work = 0;
        for (int t = 0; t < n; t++) work += (long) (positions[t] + 1) * headDim * heads * 2;
        pool.forRange(n * heads, work, 1, (from, to) -> {
            int longest = 0;
            for (int item = from; item < to; item++) longest = Math.max(longest, positions[item / heads] + 1);
            float[] scores = scores(longest + blockSize);
            for (int item = from; item < to; item++) {
                int t = item / heads, h = item % heads;
                int len = positions[t] + 1;
                int qo = t * qCols + h * headDim;
                int kvo = (h / group) * headDim;
                int[] table = blockTables[t];
                for (int p0 = 0; p0 < len; p0 += blockSize) {
                    int base = table[p0 / blockSize] * blockSize * kvDim;
                    blockScores(qs, qo, kc, base + kvo * blockSize, blockSize, order, scale, scores, p0);
                }
                float max = max(scores, len);
                float inv = 1f / expShiftedInPlace(scores, len, max);
                weightedValues(scores, len, inv, vc, table, kvDim, blockSize, kvo, headDim, os, t * outCols + h * headDim);
            }
        });
    }

    /**
     * Scores of one head against every slot of one key block (channel-major: slot j of channel d
     * at keys[k0 + d*blockSize + j]): one vector of slots per accumulator, channels in RoPE pair order.
     */
    private static void blockScores(float[] q, int qo, float[] keys, int k0, int blockSize, int[] order, float scale,
                                    float[] scores, int so) {
        FloatVector scaleV = FloatVector.broadcast(Kernels.F, scale);
        for (int j = 0; j < blockSize; j += Kernels.LANES) {
            FloatVector acc = FloatVector.zero(Kernels.F);
            for (int ch : order) {
                acc = FloatVector.fromArray(Kernels.F, keys, k0 + ch * blockSize + j)
                        .fma(FloatVector.broadcast(Kernels.F, q[qo + ch]), acc);
            }
            acc.mul(scaleV).intoArray(scores, so + j);
        }
    }

    private static float[] scores(int len) {
        float[] scores = SCORES.get();
        if (scores.length < len) {
            scores = new float[Math.max(len, 2 * scores.length)];
            SCORES.set(scores);
        }
        return scores;
    }

    /** Largest of x[0..n), vectorised (Math.max on floats is slow: it orders -0 and NaN). */
    private static float max(float[] x, int n) {
        int bound = Kernels.F.loopBound(n);
        FloatVector m = FloatVector.broadcast(Kernels.F, Float.NEGATIVE_INFINITY);
        for (int i = 0; i < bound; i += Kernels.LANES) m = m.max(FloatVector.fromArray(Kernels.F, x, i));
        float max = m.reduceLanes(VectorOperators.MAX);
        for (int i = bound; i < n; i++) if (x[i] > max) max = x[i];
        return max;
    }

    /** x[i] = exp(x[i] - shift) for i < n, vectorised (exp dominates attention otherwise); returns the sum. */
    static float expShiftedInPlace(float[] x, int n, float shift) {
        int bound = Kernels.F.loopBound(n);
        FloatVector shiftV = FloatVector.broadcast(Kernels.F, shift);
        FloatVector sumV = FloatVector.zero(Kernels.F);
        for (int i = 0; i < bound; i += Kernels.LANES) {
            FloatVector e = Exact.exp(FloatVector.fromArray(Kernels.F, x, i).sub(shiftV));
            e.intoArray(x, i);
            sumV = sumV.add(e);
        }
        float sum = Exact.sum(sumV);
        for (int i = bound; i < n; i++) {
            float e = Exact.exp(x[i] - shift);
            x[i] = e;
            sum += e;
        }
        return sum;
    }

    /**
     * out[c] = inv * sum_p w[p] * V[p][c] for one head (its values contiguous within each block),
     * eight (or one) vectors of channels at a time with the sums kept in registers across all positions.
     */
    private static void weightedValues(float[] w, int len, float inv, float[] values, int[] table, int kvDim,
                                       int blockSize, int kvo, int headDim, float[] out, int oo) {
        int bound = Kernels.F.loopBound(headDim);
        FloatVector invV = FloatVector.broadcast(Kernels.F, inv);
        // Flat loops over positions (block from a shift, slot from a mask): vector sums carried
        // through nested loops are not kept in registers by this JDK's compiler.
        int shift = Integer.numberOfTrailingZeros(blockSize), mask = blockSize - 1;
        int blockFloats = blockSize * kvDim, head0 = kvo * blockSize;
        int c = 0;
        for (; c + 8 * Kernels.LANES <= bound; c += 8 * Kernels.LANES) { // eight vectors of channels per pass
            FloatVector a0 = FloatVector.zero(Kernels.F), a1 = a0, a2 = a0, a3 = a0, a4 = a0, a5 = a0, a6 = a0, a7 = a0;
            for (int p = 0; p < len; p++) {
                FloatVector wp = FloatVector.broadcast(Kernels.F, w[p]);
                int o = table[p >> shift] * blockFloats + head0 + (p & mask) * headDim + c;
                a0 = FloatVector.fromArray(Kernels.F, values, o).fma(wp, a0);
                a1 = FloatVector.fromArray(Kernels.F, values, o + Kernels.LANES).fma(wp, a1);
                a2 = FloatVector.fromArray(Kernels.F, values, o + 2 * Kernels.LANES).fma(wp, a2);
                a3 = FloatVector.fromArray(Kernels.F, values, o + 3 * Kernels.LANES).fma(wp, a3);
                a4 = FloatVector.fromArray(Kernels.F, values, o + 4 * Kernels.LANES).fma(wp, a4);
                a5 = FloatVector.fromArray(Kernels.F, values, o + 5 * Kernels.LANES).fma(wp, a5);
                a6 = FloatVector.fromArray(Kernels.F, values, o + 6 * Kernels.LANES).fma(wp, a6);
                a7 = FloatVector.fromArray(Kernels.F, values, o + 7 * Kernels.LANES).fma(wp, a7);
            }
            int o = oo + c;
            a0.mul(invV).intoArray(out, o);
            a1.mul(invV).intoArray(out, o + Kernels.LANES);
            a2.mul(invV).intoArray(out, o + 2 * Kernels.LANES);
            a3.mul(invV).intoArray(out, o + 3 * Kernels.LANES);
            a4.mul(invV).intoArray(out, o + 4 * Kernels.LANES);
            a5.mul(invV).intoArray(out, o + 5 * Kernels.LANES);
            a6.mul(invV).intoArray(out, o + 6 * Kernels.LANES);
            a7.mul(invV).intoArray(out, o + 7 * Kernels.LANES);
        }
        for (; c < bound; c += Kernels.LANES) {
            // Narrow heads: four partial sums over consecutive positions (same block: blocks hold a
            // multiple of 4), so the FMAs do not wait on each other.
            FloatVector a0 = FloatVector.zero(Kernels.F), a1 = a0, a2 = a0, a3 = a0;
            int p = 0;
            for (; p + 4 <= len; p += 4) {
                int o = table[p >> shift] * blockFloats + head0 + (p & mask) * headDim + c;
                a0 = FloatVector.fromArray(Kernels.F, values, o).fma(FloatVector.broadcast(Kernels.F, w[p]), a0);
                a1 = FloatVector.fromArray(Kernels.F, values, o + headDim).fma(FloatVector.broadcast(Kernels.F, w[p + 1]), a1);
                a2 = FloatVector.fromArray(Kernels.F, values, o + 2 * headDim)
                        .fma(FloatVector.broadcast(Kernels.F, w[p + 2]), a2);
                a3 = FloatVector.fromArray(Kernels.F, values, o + 3 * headDim)
                        .fma(FloatVector.broadcast(Kernels.F, w[p + 3]), a3);
            }
            for (; p < len; p++) {
                int o = table[p >> shift] * blockFloats + head0 + (p & mask) * headDim + c;
                a0 = FloatVector.fromArray(Kernels.F, values, o).fma(FloatVector.broadcast(Kernels.F, w[p]), a0);
            }
            a0.add(a1).add(a2.add(a3)).mul(invV).intoArray(out, oo + c);
        }
        for (c = bound; c < headDim; c++) {
            float acc = 0;
            for (int p = 0; p < len; p++) {
                acc += w[p] * values[table[p / blockSize] * blockSize * kvDim + kvo * blockSize + (p % blockSize) * headDim + c];
            }
            out[oo + c] = acc * inv;
        }
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
                FloatVector silu = x.div(Exact.exp(x.neg()).add(1f));
                silu.mul(FloatVector.fromArray(Kernels.F, u, o + i)).intoArray(g, o + i);
            }
            for (int i = bound; i < cols; i++) {
                float x = g[o + i];
                g[o + i] = x / (1f + Exact.exp(-x)) * u[o + i];
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

    @Override public void subtract(Tensor a, Tensor b, int n, Tensor out) {
        float[] as = data(a), bs = data(b), os = data(out);
        int len = n * a.cols();
        int bound = Kernels.F.loopBound(len);
        int i = 0;
        for (; i < bound; i += Kernels.F.length()) {
            FloatVector.fromArray(Kernels.F, as, i).sub(FloatVector.fromArray(Kernels.F, bs, i)).intoArray(os, i);
        }
        for (; i < len; i++) os[i] = as[i] - bs[i];
    }

    @Override public void layerNorm(Tensor x, int n, float[] weight, float[] bias, float eps, Tensor out) {
        float[] xs = data(x), os = data(out);
        int cols = x.cols();
        for (int t = 0; t < n; t++) {
            int o = t * cols;
            double sum = 0;
            for (int i = 0; i < cols; i++) sum += xs[o + i];
            float mean = (float) (sum / cols);
            double var = 0;
            for (int i = 0; i < cols; i++) {
                double d = xs[o + i] - mean;
                var += d * d;
            }
            float inv = (float) (1.0 / Math.sqrt(var / cols + eps));
            for (int i = 0; i < cols; i++) os[o + i] = (xs[o + i] - mean) * inv * weight[i] + bias[i];
        }
    }

    @Override public void selectiveGate(Tensor h, Tensor r, Tensor delta, float[] decay, int n, float[] meanAbar) {
        float[] hs = data(h), rs = data(r), ds = data(delta);
        int cols = h.cols();
        for (int t = 0; t < n; t++) {
            int o = t * cols;
            double sum = 0;
            for (int i = 0; i < cols; i++) {
                float abar = (float) Math.exp(softplus(ds[o + i]) * decay[i]);
                hs[o + i] = abar * rs[o + i] + (1 - abar) * hs[o + i];
                sum += abar;
            }
            meanAbar[t] = (float) (sum / cols);
        }
    }

    /** log(1 + e^x), linear above 20 as in PyTorch. */
    static float softplus(float x) {
        return x > 20 ? x : (float) Math.log1p(Math.exp(x));
    }

    @Override public void scatterRows(Tensor src, int[] rows, int count, Tensor dst) {
        float[] s = data(src), d = data(dst);
        int cols = src.cols();
        for (int i = 0; i < count; i++) System.arraycopy(s, i * cols, d, rows[i] * cols, cols);
    }

    @Override public void invalidate(Matrix w) {
        if (w instanceof F32Matrix f) OpenBlasGemm.forget(f);
    }

    @Override public void read(Tensor t, int row, float[] dst) {
        System.arraycopy(data(t), row * t.cols(), dst, 0, t.cols());
    }

    @Override public void readRows(Tensor t, int row, int count, float[] dst, int offset) {
        System.arraycopy(data(t), row * t.cols(), dst, offset, count * t.cols());
    }

    @Override public void writeRows(Tensor t, int row, int count, float[] src, int offset) {
        System.arraycopy(src, offset, data(t), row * t.cols(), count * t.cols());
    }
}
