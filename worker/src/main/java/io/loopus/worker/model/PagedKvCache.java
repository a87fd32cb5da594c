package io.loopus.worker.model;

import java.util.Arrays;

/**
 * Keys and values of many sequences in fixed-size blocks (vLLM-style paging): a sequence owns a
 * table of blocks, grows block by block, and returns its blocks to the pool the moment it is freed.
 * The block size must be a multiple of the CPU vector width (16 is, for every x86 and ARM width).
 *
 * <p>Host storage is allocated on the first {@link #keys}/{@link #values} call (the CPU backend's
 * first write), so a cache whose storage lives on a device ({@link KvMirror}) never holds the host
 * arrays. Not thread-safe: the stage that owns a cache is its only user.
 */
public final class PagedKvCache implements SequenceCache {
    public static final int DEFAULT_BLOCK_SIZE = 16;

    private final int layers;
    private final int kvDim;
    private final int headDim;
    private final int blockSize;
    private final int numBlocks;
    private float[][] keys; // null until the host storage is first used
    private float[][] values;
    private KvMirror mirror;
    private final int[] freeBlocks;
    private int freeCount;
    /** Live sequences by id; ids of freed sequences are reused, so the table stays as small as the peak. */
    private Sequence[] sequences = new Sequence[16];
    private int[] freeIds = new int[16];
    private int freeIdCount;
    private int nextId;

    private static final class Sequence {
        int[] blocks = new int[4];
        int blockCount;
        int length;
    }

    public PagedKvCache(LlamaConfig config, int capacityTokens) {
        this(config.layers(), config.kvHeads(), config.headDim(), DEFAULT_BLOCK_SIZE, capacityTokens);
    }

    public PagedKvCache(int layers, int kvHeads, int headDim, int blockSize, int capacityTokens) {
        this.layers = layers;
        this.kvDim = kvHeads * headDim;
        this.headDim = headDim;
        if (blockSize < 4 || Integer.bitCount(blockSize) != 1) {
            throw new IllegalArgumentException("KV block size must be a power of two >= 4, got " + blockSize);
        }
        this.blockSize = blockSize;
        this.numBlocks = Math.max(1, (capacityTokens + blockSize - 1) / blockSize);
        long perLayer = (long) numBlocks * blockSize * kvDim;
        if (perLayer > Integer.MAX_VALUE - 16) {
            throw new IllegalArgumentException("KV cache of " + capacityTokens + " tokens is too large for one layer array");
        }
        this.freeBlocks = new int[numBlocks];
        for (int i = 0; i < numBlocks; i++) freeBlocks[i] = numBlocks - 1 - i;
        this.freeCount = numBlocks;
    }

    public int capacityTokens() { return numBlocks * blockSize; }

    public int freeTokens() { return freeCount * blockSize; }

    /** Bytes of keys and values held by one sequence (whole blocks). */
    public long bytesOf(int seq) { return (long) sequence(seq).blockCount * blockSize * kvDim * layers * 2 * Float.BYTES; }

    /** Bytes of keys and values held by live sequences (whole blocks). */
    public long usedBytes() { return (long) (numBlocks - freeCount) * blockSize * kvDim * layers * 2 * Float.BYTES; }

    public int kvDim() { return kvDim; }

    public int blockSize() { return blockSize; }

    public int headDim() { return headDim; }

    /** Keys of one layer in host memory (allocated, zeroed, on first use). */
    public float[] keys(int layer) { return hostStorage()[layer]; }

    /** Values of one layer in host memory (allocated, zeroed, on first use). */
    public float[] values(int layer) {
        hostStorage();
        return values[layer];
    }

    private float[][] hostStorage() {
        if (keys == null) {
            int perLayer = numBlocks * blockSize * kvDim;
            keys = new float[layers][perLayer];
            values = new float[layers][perLayer];
        }
        return keys;
    }

    /** Blocks in the pool (used or free): the size of the storage, {@code numBlocks * blockSize * kvDim} floats per layer. */
    public int blocks() { return numBlocks; }

    /** The mirror that holds this cache's storage on a device, or null. */
    public KvMirror mirror() { return mirror; }

    /** Makes {@code m} this cache's device storage; a cache lives on one device only. */
    public void attachMirror(KvMirror m) {
        if (mirror != null && mirror != m) throw new IllegalStateException("this KV cache already lives on another device");
        mirror = m;
    }

    @Override public int newSequence() {
        int id = freeIdCount > 0 ? freeIds[--freeIdCount] : nextId++;
        if (id >= sequences.length) sequences = Arrays.copyOf(sequences, 2 * sequences.length);
        sequences[id] = new Sequence();
        return id;
    }

    /** Returns the sequence's blocks to the pool. Unknown ids are ignored. */
    @Override public void free(int seq) {
        if (seq < 0 || seq >= sequences.length || sequences[seq] == null) return;
        Sequence s = sequences[seq];
        sequences[seq] = null;
        for (int i = 0; i < s.blockCount; i++) freeBlocks[freeCount++] = s.blocks[i];
        if (freeIdCount == freeIds.length) freeIds = Arrays.copyOf(freeIds, 2 * freeIds.length);
        freeIds[freeIdCount++] = seq;
    }

    public int length(int seq) { return sequence(seq).length; }

    /** Makes room for positions [0, length) and records the new length. */
    public void grow(int seq, int length) {
        Sequence s = sequence(seq);
        int need = (length + blockSize - 1) / blockSize;
        if (need - s.blockCount > freeCount) {
            throw new KvCacheFullException("KV cache full: sequence needs " + length + " tokens, "
                    + freeTokens() + " of " + capacityTokens() + " free");
        }
        if (need > s.blocks.length) s.blocks = Arrays.copyOf(s.blocks, Math.max(need, 2 * s.blocks.length));
        while (s.blockCount < need) s.blocks[s.blockCount++] = freeBlocks[--freeCount];
        s.length = Math.max(s.length, length);
    }

    /** Gives {@code dst} the keys and values of positions [0, length) of {@code src} (whole blocks are copied). */
    public void copyPrefix(int src, int dst, int length) {
        grow(dst, length);
        int[] from = sequence(src).blocks, to = sequence(dst).blocks;
        int count = (length + blockSize - 1) / blockSize;
        if (mirror != null) mirror.copyBlocks(from, to, count);
        if (keys == null) return; // nothing written on the host
        int blockFloats = blockSize * kvDim;
        for (int b = 0; b < count; b++) {
            for (int l = 0; l < layers; l++) {
                System.arraycopy(keys[l], from[b] * blockFloats, keys[l], to[b] * blockFloats, blockFloats);
                System.arraycopy(values[l], from[b] * blockFloats, values[l], to[b] * blockFloats, blockFloats);
            }
        }
    }

    /**
     * Copies the keys and values of positions [from, to) of {@code src} into the same positions of
     * {@code dst}, in every layer (both must already cover them).
     */
    public void copyPositions(int src, int dst, int from, int to) {
        int[] a = sequence(src).blocks, b = sequence(dst).blocks;
        if (mirror != null) mirror.copyPositions(a, b, from, to);
        if (keys == null) return; // nothing written on the host
        int heads = kvDim / headDim;
        for (int pos = from; pos < to; pos++) {
            int fromBase = blockBase(a, pos), toBase = blockBase(b, pos), slot = pos % blockSize;
            for (int l = 0; l < layers; l++) {
                float[] k = keys[l], v = values[l];
                for (int d = 0; d < kvDim; d++) k[toBase + d * blockSize + slot] = k[fromBase + d * blockSize + slot];
                for (int h = 0; h < heads; h++) {
                    int off = (h * blockSize + slot) * headDim;
                    System.arraycopy(v, fromBase + off, v, toBase + off, headDim);
                }
            }
        }
    }

    /** The block table of a sequence (valid until the sequence grows or is freed). */
    public int[] blockTable(int seq) { return sequence(seq).blocks; }

    /**
     * Start of the block holding {@code pos} in a layer array. A block is head-major, so that one
     * head's part of a block is one contiguous run: keys {@code [kvHead][channel][slot]} (attention
     * scores a vector of positions at a time) and values {@code [kvHead][slot][channel]}.
     */
    public int blockBase(int[] blockTable, int pos) {
        return blockTable[pos / blockSize] * blockSize * kvDim;
    }

    public int layers() { return layers; }

    private Sequence sequence(int seq) {
        Sequence s = seq >= 0 && seq < sequences.length ? sequences[seq] : null;
        if (s == null) throw new IllegalArgumentException("unknown KV cache sequence " + seq);
        return s;
    }

    /** Raised when admitting more tokens would overflow the cache. */
    public static final class KvCacheFullException extends RuntimeException {
        public KvCacheFullException(String message) { super(message); }
    }
}
