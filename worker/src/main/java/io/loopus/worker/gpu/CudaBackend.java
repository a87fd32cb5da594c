package io.loopus.worker.gpu;

import io.loopus.worker.model.KvMirror;
import io.loopus.worker.model.PagedKvCache;
import io.loopus.worker.model.RopeConvention;
import io.loopus.worker.model.RopeTable;
import io.loopus.worker.tensor.AttentionShape;
import io.loopus.worker.tensor.Backend;
import io.loopus.worker.tensor.Matrix;
import io.loopus.worker.tensor.Tensor;
import jcuda.CudaException;
import jcuda.Pointer;
import jcuda.driver.CUdeviceptr;
import jcuda.driver.JCudaDriver;

/**
 * A CUDA device ({@code cuda:N}) behind the {@link Backend} interface: activations and KV caches
 * live in device memory, weights are uploaded once on first use, products go through cuBLAS (or the
 * loopus GEMM kernels where cuBLAS cannot load, reported once), and every other op is a kernel of
 * {@code src/main/cuda}. Host memory is touched only where the interface hands arrays over
 * ({@link #read}, {@link #readRows}, {@link #writeRows}, the gate's per-row means).
 *
 * <p>Kernels mirror {@link io.loopus.worker.tensor.CpuBackend} op for op (same layouts, same
 * summation order where it is cheap to keep), but a GPU sums in other orders and fuses multiplies
 * into FMAs, so results agree within a relative tolerance, not bit for bit (parity tests state it).
 * Every op runs on the device's legacy default stream, in call order; calls from several threads
 * (stages sharing a device) are serialised here.
 */
public final class CudaBackend implements Backend, AutoCloseable {
    /** How products run. AUTO: cuBLAS when it loads ({@code -Dloopus.cublas.disable=true} forces the kernels). */
    public enum Products { AUTO, CUBLAS, KERNELS }

    private static final int NORM_THREADS = 256, ROPE_THREADS = 128, KV_THREADS = 128, ATTENTION_THREADS = 128;
    private static String cublasFailure; // why cuBLAS did not load, once known (reported once)

    private final CudaContext context;
    private final DeviceMemory memory;
    private final DeviceWeights weights;
    private final Launcher launcher;
    private final Gemm gemm;
    private final IntUpload positionsUp, tablesUp, tokensUp, rowsUp, kvCopyUp;
    private final GrowingBuffer scores, halves, means;
    private int[] flatTables = new int[64];
    private boolean closed;

    private CudaBackend(CudaContext context, Products products) {
        this.context = context;
        this.memory = new DeviceMemory(context);
        this.weights = new DeviceWeights(memory);
        this.launcher = new Launcher(new PtxModules(context));
        this.positionsUp = new IntUpload(memory);
        this.tablesUp = new IntUpload(memory);
        this.tokensUp = new IntUpload(memory);
        this.rowsUp = new IntUpload(memory);
        this.kvCopyUp = new IntUpload(memory);
        this.scores = new GrowingBuffer(memory);
        this.halves = new GrowingBuffer(memory);
        this.means = new GrowingBuffer(memory);
        this.gemm = products(products);
    }

    /** Device {@code cuda:index}; a {@link CudaUnavailableException} (one clear line) when it cannot be had. */
    public static CudaBackend open(int index) {
        return open(index, Products.AUTO);
    }

    public static CudaBackend open(int index, Products products) {
        return new CudaBackend(CudaContext.of(index), products);
    }

    private Gemm products(Products p) {
        if (p == Products.KERNELS || (p == Products.AUTO && Boolean.getBoolean("loopus.cublas.disable"))) {
            return new KernelGemm(launcher);
        }
        synchronized (CudaBackend.class) {
            if (cublasFailure == null) {
                try {
                    return new CublasGemm(launcher, halves);
                } catch (CudaException | LinkageError e) {
                    cublasFailure = CudaFailure.reason(e);
                    System.err.println("loopus: cuBLAS unavailable (" + cublasFailure
                            + "); CUDA products use the loopus GEMM kernels");
                }
            }
        }
        if (p == Products.CUBLAS) throw new CudaUnavailableException(name() + ": cuBLAS unavailable: " + cublasFailure);
        return new KernelGemm(launcher);
    }

    @Override public String name() { return context.name(); }

    /** "cuBLAS" or "loopus kernels": what runs this backend's products. */
    public String products() { return gemm.name(); }

    /** Device memory this backend holds now (weights, activations, KV caches, work space). */
    public synchronized long deviceBytes() { return memory.bytes(); }

    /** Waits until the device has finished all work queued so far (for timing). */
    public synchronized void synchronize() {
        context.makeCurrent();
        JCudaDriver.cuCtxSynchronize();
    }

    /** The device pointer of a tensor of this backend, with its context current. */
    private CUdeviceptr ptr(Tensor t) {
        if (!(t instanceof CudaTensor c) || c.owner != this) {
            throw new IllegalArgumentException(name() + " was given a tensor of another backend: " + t);
        }
        return c.buffer.ptr;
    }

    private void enter() {
        if (closed) throw new IllegalStateException(name() + " is closed");
        context.makeCurrent();
    }

    @Override public synchronized Tensor allocate(int rows, int cols) {
        enter();
        CudaTensor t = new CudaTensor(rows, cols, this);
        long floats = (long) rows * cols;
        t.buffer = memory.allocate(t, 4 * floats);
        JCudaDriver.cuMemsetD32(t.buffer.ptr, 0, Math.max(1, floats)); // a new CPU tensor is zeros too
        return t;
    }

    @Override public synchronized void embed(Matrix table, int[] tokens, int n, Tensor out) {
        enter();
        DeviceMatrix m = weights.matrix(table);
        CUdeviceptr ids = tokensUp.upload(tokens, n);
        launcher.elementwise("embed_" + m.suffix(), (long) n * table.cols(), m.buffer().ptr, ids, n, table.cols(), ptr(out));
    }

    @Override public synchronized void matmul(Tensor x, int n, Matrix w, Tensor out) {
        enter();
        gemm.multiply(weights.matrix(w), ptr(x), x.cols(), n, ptr(out), out.cols());
    }

    @Override public synchronized void addBias(Tensor x, int n, float[] bias) {
        enter();
        launcher.elementwise("add_bias_f32", (long) n * bias.length, ptr(x), weights.vector(bias), n, x.cols(), bias.length);
    }

    @Override public synchronized void rmsNorm(Tensor x, int n, float[] weight, float eps, Tensor out) {
        enter();
        int groups = x.cols() / weight.length;
        launcher.launch("rms_norm_f32", n, groups, NORM_THREADS, 4 * NORM_THREADS, ptr(x), weights.vector(weight), ptr(out),
                x.cols(), weight.length, eps);
    }

    @Override public synchronized void rope(Tensor x, int n, int[] positions, RopeTable table) {
        enter();
        launcher.launch("rope_f32", n, 1, ROPE_THREADS, 0, ptr(x), positionsUp.upload(positions, n),
                weights.vector(table.cosTable()), weights.vector(table.sinTable()), x.cols(), table.headDim(),
                table.convention() == RopeConvention.INTERLEAVED ? 1 : 0);
    }

    @Override public synchronized void storeKv(Tensor k, Tensor v, int n, int[][] blockTables, int[] positions,
                                               PagedKvCache cache, int layer) {
        enter();
        DeviceKvCache kv = mirror(cache);
        CUdeviceptr tables = uploadTables(blockTables, positions, n, cache.blockSize());
        launcher.launch("store_kv_f32", n, 1, KV_THREADS, 0, ptr(k), ptr(v), k.cols(), v.cols(),
                positionsUp.upload(positions, n), tables, tables.withByteOffset(4L * n), kv.keys(layer), kv.values(layer),
                cache.kvDim(), cache.headDim(), cache.blockSize());
    }

    @Override public synchronized void attention(Tensor q, int n, AttentionShape shape, int[][] blockTables,
                                                 int[] positions, PagedKvCache cache, int layer, Tensor out) {
        enter();
        DeviceKvCache kv = mirror(cache);
        int longest = 0;
        for (int t = 0; t < n; t++) longest = Math.max(longest, positions[t] + 1);
        CUdeviceptr tables = uploadTables(blockTables, positions, n, cache.blockSize());
        CUdeviceptr scratch = scores.ensure(4L * n * shape.heads() * longest);
        int shared = 4 * (2 * shape.headDim() + 2 * ATTENTION_THREADS);
        float scale = (float) (1.0 / Math.sqrt(shape.headDim()));
        launcher.launch("attention_f32", n, shape.heads(), ATTENTION_THREADS, shared, ptr(q), q.cols(), ptr(out), out.cols(),
                positionsUp.upload(positions, n), tables, tables.withByteOffset(4L * n), kv.keys(layer), kv.values(layer),
                weights.ints(shape.channelOrder()), shape.heads(), shape.kvHeads(), shape.headDim(), cache.kvDim(),
                cache.blockSize(), scale, scratch, longest);
    }

    /**
     * Row t's block table as offsets[t] into one flat int array, after the n offsets: only the blocks
     * up to its position, so the copy is as small as the context in use.
     */
    private CUdeviceptr uploadTables(int[][] blockTables, int[] positions, int n, int blockSize) {
        int size = n;
        for (int t = 0; t < n; t++) size += positions[t] / blockSize + 1;
        if (flatTables.length < size) flatTables = new int[Math.max(size, 2 * flatTables.length)];
        int at = n;
        for (int t = 0; t < n; t++) {
            int blocks = positions[t] / blockSize + 1;
            flatTables[t] = at - n;
            System.arraycopy(blockTables[t], 0, flatTables, at, blocks);
            at += blocks;
        }
        return tablesUp.upload(flatTables, size);
    }

    /** The device storage of a cache, made (and attached to it) on first use. */
    private DeviceKvCache mirror(PagedKvCache cache) {
        KvMirror m = cache.mirror();
        if (m instanceof DeviceKvCache d && d.cache == cache && owns(d)) return d;
        if (m != null) throw new IllegalStateException("this KV cache lives on another device than " + name());
        DeviceKvCache d = new DeviceKvCache(cache, this, memory);
        cache.attachMirror(d);
        return d;
    }

    private boolean owns(DeviceKvCache d) {
        return d.owner() == this;
    }

    /** {@link DeviceKvCache#copyBlocks}: whole blocks, every layer (PagedKvCache.copyPrefix). */
    synchronized void copyKvBlocks(DeviceKvCache kv, int[] from, int[] to, int count) {
        if (count <= 0) return;
        enter();
        int[] both = new int[2 * count];
        System.arraycopy(from, 0, both, 0, count);
        System.arraycopy(to, 0, both, count, count);
        CUdeviceptr ids = kvCopyUp.upload(both, both.length);
        PagedKvCache c = kv.cache;
        launcher.launch("copy_kv_blocks_f32", count, c.layers(), KV_THREADS, 0, kv.keysBase(), kv.valuesBase(),
                kv.layerFloats, ids, ids.withByteOffset(4L * count), c.blockSize() * c.kvDim());
    }

    /** {@link DeviceKvCache#copyPositions}: positions [start, end), every layer (the loop's fill-forward). */
    synchronized void copyKvPositions(DeviceKvCache kv, int[] fromTable, int[] toTable, int start, int end) {
        if (end <= start) return;
        enter();
        PagedKvCache c = kv.cache;
        int blocks = (end - 1) / c.blockSize() + 1;
        int[] both = new int[2 * blocks];
        System.arraycopy(fromTable, 0, both, 0, blocks);
        System.arraycopy(toTable, 0, both, blocks, blocks);
        CUdeviceptr ids = kvCopyUp.upload(both, both.length);
        launcher.launch("copy_kv_positions_f32", end - start, c.layers(), KV_THREADS, 0, kv.keysBase(), kv.valuesBase(),
                kv.layerFloats, ids, ids.withByteOffset(4L * blocks), start, c.kvDim(), c.headDim(), c.blockSize());
    }

    @Override public synchronized void siluMul(Tensor gate, Tensor up, int n) {
        enter();
        long count = (long) n * gate.cols();
        launcher.elementwise("silu_mul_f32", count, ptr(gate), ptr(up), count);
    }

    @Override public synchronized void add(Tensor x, Tensor y, int n) {
        enter();
        long count = (long) n * x.cols();
        launcher.elementwise("add_f32", count, ptr(x), ptr(y), count);
    }

    @Override public synchronized void subtract(Tensor a, Tensor b, int n, Tensor out) {
        enter();
        long count = (long) n * a.cols();
        launcher.elementwise("subtract_f32", count, ptr(a), ptr(b), ptr(out), count);
    }

    @Override public synchronized void layerNorm(Tensor x, int n, float[] weight, float[] bias, float eps, Tensor out) {
        enter();
        launcher.launch("layer_norm_f32", n, 1, NORM_THREADS, 8 * NORM_THREADS, ptr(x), weights.vector(weight),
                weights.vector(bias), ptr(out), x.cols(), eps);
    }

    @Override public synchronized void selectiveGate(Tensor h, Tensor r, Tensor delta, float[] decay, int n, float[] meanAbar) {
        enter();
        if (n <= 0) return;
        CUdeviceptr m = means.ensure(4L * n);
        launcher.launch("selective_gate_f32", n, 1, NORM_THREADS, 8 * NORM_THREADS, ptr(h), ptr(r), ptr(delta),
                weights.vector(decay), h.cols(), m);
        JCudaDriver.cuMemcpyDtoH(Pointer.to(meanAbar), m, 4L * n);
    }

    @Override public synchronized void gatherRows(Tensor src, int[] rows, int count, Tensor dst) {
        enter();
        long elements = (long) count * src.cols();
        launcher.elementwise("gather_rows_f32", elements, ptr(src), rowsUp.upload(rows, count), count, src.cols(), ptr(dst));
    }

    @Override public synchronized void scatterRows(Tensor src, int[] rows, int count, Tensor dst) {
        enter();
        long elements = (long) count * src.cols();
        launcher.elementwise("scatter_rows_f32", elements, ptr(src), rowsUp.upload(rows, count), count, src.cols(), ptr(dst));
    }

    @Override public synchronized void invalidate(Matrix w) {
        enter();
        weights.forget(w);
    }

    @Override public synchronized void read(Tensor t, int row, float[] dst) {
        enter();
        JCudaDriver.cuMemcpyDtoH(Pointer.to(dst), ((CudaTensor) t).buffer.at((long) row * t.cols()), 4L * t.cols());
    }

    @Override public synchronized void readRows(Tensor t, int row, int count, float[] dst, int offset) {
        if (count <= 0) return;
        enter();
        JCudaDriver.cuMemcpyDtoH(Pointer.to(dst).withByteOffset(4L * offset), ((CudaTensor) t).buffer.at((long) row * t.cols()),
                4L * count * t.cols());
    }

    @Override public synchronized void writeRows(Tensor t, int row, int count, float[] src, int offset) {
        if (count <= 0) return;
        enter();
        JCudaDriver.cuMemcpyHtoD(((CudaTensor) t).buffer.at((long) row * t.cols()), Pointer.to(src).withByteOffset(4L * offset),
                4L * count * t.cols());
    }

    /** The device address of rows [row, ..) of a tensor of this backend ({@link DeviceTransfer}). */
    CUdeviceptr rowAddress(Tensor t, int row) {
        ptr(t);
        return ((CudaTensor) t).buffer.at((long) row * t.cols());
    }

    CudaContext context() { return context; }

    /** Frees everything this backend put on its device; it must not be used afterwards. */
    @Override public synchronized void close() {
        if (closed) return;
        closed = true;
        memory.freeAll();
    }
}
