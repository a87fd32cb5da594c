package io.loopus.trainer.train;

import java.util.Arrays;
import java.util.SplittableRandom;

/**
 * Where one micro-batch stream stands: its current batch, the hidden state h carried from loop
 * iteration to iteration, the next iteration n (of T) and which iterations are supervised. Passed
 * from the coordinator to a worker and back with each window, so that a checkpoint holds it.
 */
public final class SlotState {
    final int slot;
    long round = -1;      // batch round: this stream's micro-batch is round x streams + slot
    MicroBatch batch;
    float[] h;            // rows x dim, the state entering iteration `next`
    int next;             // next loop iteration, 0..T-1
    int windowsDone;      // supervised windows done in this round
    int[] supervised = new int[0];
    long resumeBatch = -1; // after a resume: the micro-batch to fetch again, keeping h and the position

    SlotState(int slot) { this.slot = slot; }

    public int slot() { return slot; }
    public long round() { return round; }

    /** Whether the stream needs the next round's micro-batch before its next window. */
    boolean needsBatch(int supervision) {
        return batch == null || windowsDone == supervision;
    }

    /**
     * S distinct supervised iterations of T, sorted, drawn from a generator seeded by the run's seed
     * and the micro-batch index (so a resumed or re-partitioned run draws the same ones).
     */
    static int[] sampleSupervised(long seed, long microBatch, int t, int s) {
        SplittableRandom random = new SplittableRandom(seed * 0x9E3779B97F4A7C15L + microBatch);
        int[] pool = new int[t];
        for (int i = 0; i < t; i++) pool[i] = i;
        for (int i = 0; i < s; i++) { // partial Fisher-Yates
            int k = i + random.nextInt(t - i);
            int tmp = pool[i];
            pool[i] = pool[k];
            pool[k] = tmp;
        }
        int[] chosen = Arrays.copyOf(pool, s);
        Arrays.sort(chosen);
        return chosen;
    }

    boolean isSupervised(int iteration) {
        return Arrays.binarySearch(supervised, iteration) >= 0;
    }
}
