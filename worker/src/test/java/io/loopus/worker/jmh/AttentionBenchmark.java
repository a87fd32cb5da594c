package io.loopus.worker.jmh;

import io.loopus.worker.model.PagedKvCache;
import io.loopus.worker.tensor.AttentionShape;
import io.loopus.worker.tensor.CpuBackend;
import io.loopus.worker.tensor.CpuTensor;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Setup;

import java.util.SplittableRandom;

/**
 * Decode attention ({@code CpuBackend.attention}): each of {@code seqs} sequences has a 512-token
 * paged cache and one new query at position 511, 110M-class heads (12 x 64, no GQA). GB/s counts
 * the keys and values read; GFLOP/s 4 * heads * head_dim per cached position (q.k and p.v).
 */
public class AttentionBenchmark extends KernelBenchmark {
    static final int HEADS = 12, KV_HEADS = 12, HEAD_DIM = 64, CONTEXT = 512;
    static final AttentionShape SHAPE = new AttentionShape(HEADS, KV_HEADS, HEAD_DIM,
            java.util.stream.IntStream.range(0, HEAD_DIM).toArray());

    @Param({"1", "16"})
    public int seqs;

    PagedKvCache cache;
    CpuTensor q, out;
    int[][] tables;
    int[] positions;

    @Setup
    public void setup() {
        int kvDim = KV_HEADS * HEAD_DIM;
        cache = new PagedKvCache(1, KV_HEADS, HEAD_DIM, PagedKvCache.DEFAULT_BLOCK_SIZE, seqs * CONTEXT);
        SplittableRandom r = new SplittableRandom(4);
        for (float[] a : new float[][] {cache.keys(0), cache.values(0)}) {
            for (int i = 0; i < a.length; i++) a[i] = (float) r.nextGaussian();
        }
        tables = new int[seqs][];
        positions = new int[seqs];
        for (int s = 0; s < seqs; s++) {
            int id = cache.newSequence();
            cache.grow(id, CONTEXT);
            tables[s] = cache.blockTable(id);
            positions[s] = CONTEXT - 1;
        }
        q = new CpuTensor(seqs, HEADS * HEAD_DIM, randomFloats(seqs * HEADS * HEAD_DIM, 5));
        out = new CpuTensor(seqs, HEADS * HEAD_DIM);
        bytesPerOp = 2.0 * 4 * seqs * CONTEXT * kvDim;
        flopsPerOp = 4.0 * seqs * CONTEXT * HEADS * HEAD_DIM;
    }

    @Benchmark
    public float attention(Traffic t) {
        CpuBackend.INSTANCE.attention(q, seqs, SHAPE, tables, positions, cache, 0, out);
        return count(t, out.data()[0]);
    }
}
