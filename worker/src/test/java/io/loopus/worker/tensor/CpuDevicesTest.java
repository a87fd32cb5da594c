package io.loopus.worker.tensor;

import io.loopus.worker.model.PagedKvCache;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.stream.IntStream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** CPU devices: backends with thread pools of their own, which must compute exactly what the shared one does. */
class CpuDevicesTest {
    private static final Random RNG = new Random(7);

    private static float[] random(int n) {
        float[] x = new float[n];
        for (int i = 0; i < n; i++) x[i] = (float) RNG.nextGaussian();
        return x;
    }

    private static void assertBitsEqual(float[] expected, float[] actual, String what) {
        assertEquals(expected.length, actual.length, what);
        for (int i = 0; i < expected.length; i++) {
            if (Float.floatToRawIntBits(expected[i]) != Float.floatToRawIntBits(actual[i])) {
                throw new AssertionError(what + ": element " + i + " is " + actual[i] + ", expected " + expected[i]);
            }
        }
    }

    private static float[] matmul(Backend b, Matrix w, float[] x, int n) {
        CpuTensor out = new CpuTensor(n, w.rows());
        b.matmul(new CpuTensor(n, w.cols(), x), n, w, out);
        return out.data();
    }

    /** Names of the live threads of a pool. */
    private static List<String> threadsOf(String pool) {
        return Thread.getAllStackTraces().keySet().stream().filter(Thread::isAlive).map(Thread::getName)
                .filter(s -> s.startsWith("loopus-" + pool + "-")).toList();
    }

    @Test
    void aDeviceComputesBitIdenticalResultsToTheSharedBackend() {
        // Two pool sizes, so the chunking differs from the shared pool's whatever the machine's cores.
        try (CpuBackend two = CpuBackend.device(1, 2); CpuBackend three = CpuBackend.device(2, 3)) {
            assertEquals("cpu:1", two.name());
            assertEquals("cpu", CpuBackend.INSTANCE.name());
            assertEquals(List.of("loopus-cpu:1-1"), threadsOf("cpu:1"));

            int rows = 1030, cols = 512, n = 3; // 1.6M multiply-adds: many chunks; 1030 leaves a ragged tail
            float[] w = random(rows * cols);
            short[] bf16 = new short[w.length];
            for (int i = 0; i < w.length; i++) bf16[i] = HalfFloats.floatToBf16(w[i]);
            float[] x = random(n * cols);
            for (Matrix m : new Matrix[] {new F32Matrix(rows, cols, w), new HalfMatrix(rows, cols, bf16, DType.BF16)}) {
                assertTrue((long) n * rows * cols > 2 * 3 * Parallel.MIN_PARALLEL_WORK && !OpenBlasGemm.worthIt(m, n));
                float[] shared = matmul(CpuBackend.INSTANCE, m, x, n);
                assertBitsEqual(shared, matmul(two, m, x, n), "matmul " + m.dtype() + " on cpu:1");
                assertBitsEqual(shared, matmul(three, m, x, n), "matmul " + m.dtype() + " on cpu:2");
            }

            float[] attention = attention(CpuBackend.INSTANCE);
            assertBitsEqual(attention, attention(two), "attention on cpu:1");
            assertBitsEqual(attention, attention(three), "attention on cpu:2");

            int width = 768, tokens = 8;
            float[] weight = random(width);
            CpuTensor in = new CpuTensor(tokens, width, random(tokens * width));
            CpuTensor a = new CpuTensor(tokens, width), b = new CpuTensor(tokens, width);
            CpuBackend.INSTANCE.rmsNorm(in, tokens, weight, 1e-5f, a);
            two.rmsNorm(in, tokens, weight, 1e-5f, b);
            assertBitsEqual(a.data(), b.data(), "rmsNorm on cpu:1");
        }
    }

    /** Grouped-query decode attention over sequences of different lengths: enough (row, head) items to go parallel. */
    private static float[] attention(Backend b) {
        int heads = 8, kvHeads = 2, headDim = 64, n = 4;
        AttentionShape shape = new AttentionShape(heads, kvHeads, headDim, IntStream.range(0, headDim).toArray());
        PagedKvCache cache = new PagedKvCache(1, kvHeads, headDim, PagedKvCache.DEFAULT_BLOCK_SIZE, n * 512);
        Random r = new Random(3); // same cache and queries for every backend
        for (float[] kv : new float[][] {cache.keys(0), cache.values(0)}) {
            for (int i = 0; i < kv.length; i++) kv[i] = (float) r.nextGaussian();
        }
        int[][] tables = new int[n][];
        int[] positions = {511, 300, 77, 400};
        for (int s = 0; s < n; s++) {
            int id = cache.newSequence();
            cache.grow(id, positions[s] + 1);
            tables[s] = cache.blockTable(id);
        }
        float[] q = new float[n * heads * headDim];
        for (int i = 0; i < q.length; i++) q[i] = (float) r.nextGaussian();
        CpuTensor out = new CpuTensor(n, heads * headDim);
        b.attention(new CpuTensor(n, heads * headDim, q), n, shape, tables, positions, cache, 0, out);
        return out.data();
    }

    /** One device's workload: its own matrices and inputs, and what a lone thread computed for them. */
    private record Case(Matrix w, float[] x, int n, float[] expected) {}

    @Test
    void threeDevicesDrivenConcurrentlyDoNotCrossTalk() throws Exception {
        int[] vectorSizes = {3, 1}; // token counts that stay on the Vector API kernels
        Matrix sharedBig = new F32Matrix(1024, 768, random(1024 * 768)); // every device multiplies by it
        boolean blas = OpenBlasGemm.worthIt(sharedBig, 32);
        List<List<Case>> perDevice = new ArrayList<>();
        for (int d = 0; d < 3; d++) {
            List<Case> cases = new ArrayList<>();
            Matrix small = new F32Matrix(512 + 4 * d, 256, random((512 + 4 * d) * 256));
            for (int n : vectorSizes) {
                float[] x = random(n * small.cols());
                float[] expected = new float[n * small.rows()];
                small.multiply(x, small.cols(), n, expected, small.rows(), 0, small.rows());
                cases.add(new Case(small, x, n, expected));
            }
            if (blas) { // its own big matrix and the shared one; OpenBLAS's own rounding, computed alone first
                Matrix own = new F32Matrix(1024, 768, random(1024 * 768));
                for (Matrix m : new Matrix[] {own, sharedBig}) {
                    float[] x = random(32 * m.cols());
                    cases.add(new Case(m, x, 32, matmul(CpuBackend.INSTANCE, m, x, 32)));
                }
            }
            perDevice.add(cases);
        }
        CpuBackend[] devices = {CpuBackend.device(0, 2), CpuBackend.device(1, 2), CpuBackend.device(2, 2)};
        ExecutorService callers = Executors.newFixedThreadPool(3);
        try {
            CyclicBarrier start = new CyclicBarrier(3);
            List<Future<?>> done = new ArrayList<>();
            for (int d = 0; d < 3; d++) {
                CpuBackend device = devices[d];
                List<Case> cases = perDevice.get(d);
                done.add(callers.submit(() -> {
                    start.await();
                    for (int round = 0; round < 20; round++) {
                        for (Case c : cases) {
                            assertBitsEqual(c.expected, matmul(device, c.w, c.x, c.n),
                                    device.name() + " round " + round + ", " + c.n + " tokens x " + c.w.rows());
                        }
                    }
                    return null;
                }));
            }
            for (Future<?> f : done) f.get(5, TimeUnit.MINUTES);
        } finally {
            callers.shutdownNow();
            for (CpuBackend d : devices) d.close();
        }
    }

    @Test
    void forgettingWeightsWhileAnotherDeviceMultipliesByThemIsSafe() throws Exception {
        F32Matrix w = new F32Matrix(1024, 768, random(1024 * 768));
        if (!OpenBlasGemm.worthIt(w, 32)) return; // no off-heap copies without OpenBLAS
        float[] x = random(32 * 768);
        float[] expected = matmul(CpuBackend.INSTANCE, w, x, 32);
        AtomicBoolean stop = new AtomicBoolean();
        // Frees the off-heap copy over and over (the values do not change) while the products read it.
        Thread forgetter = new Thread(() -> {
            while (!stop.get()) CpuBackend.INSTANCE.invalidate(w);
        });
        try (CpuBackend device = CpuBackend.device(1, 2)) {
            forgetter.start();
            for (int i = 0; i < 50; i++) assertBitsEqual(expected, matmul(device, w, x, 32), "product " + i);
        } finally {
            stop.set(true);
            forgetter.join();
        }
    }

    @Test
    void aKernelFailingInAWorkerFailsTheCallerAndThePoolKeepsWorking() {
        try (Parallel pool = new Parallel("failing", 3)) {
            AtomicBoolean workerRan = new AtomicBoolean();
            IllegalStateException e = assertThrows(IllegalStateException.class,
                    () -> pool.forRange(1 << 12, 1L << 30, 1, (from, to) -> {
                        if (Thread.currentThread().getName().startsWith("loopus-failing-")) {
                            workerRan.set(true);
                            throw new IllegalStateException("worker chunk at " + from);
                        }
                        // The caller holds on to its first chunk until a worker has taken one.
                        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
                        while (!workerRan.get() && System.nanoTime() < deadline) Thread.onSpinWait();
                    }));
            assertTrue(workerRan.get(), "no worker took a chunk");
            assertTrue(e.getMessage().startsWith("worker chunk at"), e.getMessage());

            int[] sum = new int[1 << 12];
            pool.forRange(sum.length, 1L << 30, 1, (from, to) -> {
                for (int i = from; i < to; i++) sum[i] = i;
            });
            for (int i = 0; i < sum.length; i++) assertEquals(i, sum[i]);
        }
    }

    @Test
    void aKernelCalledFromItsOwnPoolsWorkerRunsInline() {
        try (Parallel pool = new Parallel("nested", 2)) {
            AtomicBoolean workerRan = new AtomicBoolean(), inline = new AtomicBoolean(true);
            pool.forRange(1 << 12, 1L << 30, 1, (from, to) -> {
                Thread outer = Thread.currentThread();
                if (!outer.getName().startsWith("loopus-nested-")) { // the caller: wait for the worker to take a chunk
                    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
                    while (!workerRan.get() && System.nanoTime() < deadline) Thread.onSpinWait();
                    return;
                }
                workerRan.set(true);
                pool.forRange(1 << 12, 1L << 30, 1, (f, t) -> {
                    if (Thread.currentThread() != outer) inline.set(false);
                });
            });
            assertTrue(workerRan.get(), "no worker took a chunk");
            assertTrue(inline.get(), "a nested kernel left its worker thread");
        }
    }

    @Test
    void closeEndsThePoolsThreads() {
        Parallel pool = new Parallel("closing", 4);
        assertEquals(3, threadsOf("closing").size());
        int[] out = new int[1 << 12];
        pool.forRange(out.length, 1L << 30, 1, (from, to) -> {
            for (int i = from; i < to; i++) out[i] = 1;
        });
        pool.close();
        assertEquals(List.of(), threadsOf("closing"));
        assertThrows(IllegalStateException.class, () -> pool.forRange(out.length, 1L << 30, 1, (from, to) -> {}));
        pool.close(); // twice is fine

        CpuBackend device = CpuBackend.device(7, 3);
        assertEquals(2, threadsOf("cpu:7").size());
        device.close();
        assertEquals(List.of(), threadsOf("cpu:7"));

        assertThrows(UnsupportedOperationException.class, CpuBackend.INSTANCE::close);
        Parallel.DEFAULT.forRange(out.length, 1L << 30, 1, (from, to) -> {});
    }
}
