package io.loopus.trainer.data;

import java.util.SplittableRandom;

/**
 * Which sequences make up each micro-batch: the corpus is shuffled once per epoch with a seeded
 * generator, and micro-batch g takes the next {@code size} sequences of that endless stream.
 * Stateless: micro-batch g is the same whenever and wherever it is asked for (resume, any number
 * of workers).
 */
public final class MicroBatchOrder {
    private final int sequences;
    private final int size;
    private final long seed;
    private int cachedEpoch = -1;
    private int[] permutation;

    public MicroBatchOrder(int sequences, int size, long seed) {
        if (size < 1) throw new IllegalArgumentException("--batch must be >= 1, got " + size);
        this.sequences = sequences;
        this.size = size;
        this.seed = seed;
    }

    public int size() { return size; }

    /** The index of the sequence in place {@code j} (0 <= j < size) of micro-batch g. */
    public synchronized int sequence(long g, int j) {
        long position = g * size + j;
        int epoch = (int) (position / sequences);
        if (epoch != cachedEpoch) {
            permutation = shuffle(epoch);
            cachedEpoch = epoch;
        }
        return permutation[(int) (position % sequences)];
    }

    private int[] shuffle(int epoch) {
        int[] p = new int[sequences];
        for (int i = 0; i < sequences; i++) p[i] = i;
        SplittableRandom random = new SplittableRandom(seed * 1_000_003L + epoch);
        for (int i = sequences - 1; i > 0; i--) {
            int k = random.nextInt(i + 1);
            int t = p[i];
            p[i] = p[k];
            p[k] = t;
        }
        return p;
    }
}
