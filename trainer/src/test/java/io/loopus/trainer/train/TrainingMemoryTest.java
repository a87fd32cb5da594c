package io.loopus.trainer.train;

import io.loopus.trainer.data.PackedCorpus;
import io.loopus.trainer.grad.TrainableParams;
import io.loopus.worker.loop.Split;
import org.junit.jupiter.api.Test;

import java.lang.management.ManagementFactory;

import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Random deep supervision's memory does not grow with T: every buffer is sized when a worker is
 * made, and a round of T loop iterations allocates the same whatever T is.
 */
class TrainingMemoryTest {
    @Test
    void aRoundAllocatesTheSameAtT8AndT32() {
        Split split = new Split(1, 4, 5);
        TrainingModel model = TrainFixtures.initialModel(split, 4, 0);
        BatchSource data = new BatchSource(PackedCorpus.load(TrainFixtures.valid(), TrainFixtures.tokenizer(), 64), 2, 1);
        int[] ts = {8, 32};
        TrainConfig[] cfgs = new TrainConfig[2];
        WindowWorker[] workers = new WindowWorker[2];
        TrainableParams grads = model.params().zerosLike();
        for (int i = 0; i < 2; i++) {
            cfgs[i] = new TrainConfig(split, 4, 10, 0, 1e-3, 2, 1, 64, ts[i], 2, 1.0, 1.0, 3, 1, 100, 0, 0, false);
            workers[i] = new WindowWorker(model, cfgs[i]);
        }
        long[] allocated = {Long.MAX_VALUE, Long.MAX_VALUE};
        for (int rep = 0; rep < 8; rep++) { // the first rounds warm the JIT; the least of the rest is the steady state
            for (int i = 0; i < 2; i++) {
                long before = threadAllocatedBytes();
                round(workers[i], data, grads, cfgs[i]);
                if (rep >= 3) allocated[i] = Math.min(allocated[i], threadAllocatedBytes() - before);
            }
        }
        System.out.printf("bytes allocated by one round (encoder, T iterations, 2 supervised windows): T=8 %d, T=32 %d%n",
                allocated[0], allocated[1]);
        assertTrue(allocated[1] < allocated[0] * 1.5 + (1 << 20), "T=32 allocated " + allocated[1] + " vs " + allocated[0]);
    }

    /** One batch round with the supervised windows at the end of T, so that all T iterations run. */
    private static void round(WindowWorker worker, BatchSource data, TrainableParams grads, TrainConfig cfg) {
        SlotState s = new SlotState(0);
        worker.start(s, data.get(0));
        s.supervised = new int[] {cfg.reasoningSteps() - 2, cfg.reasoningSteps() - 1};
        worker.window(s, grads);
        worker.window(s, grads);
    }

    private static long threadAllocatedBytes() {
        return ((com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean()).getCurrentThreadAllocatedBytes();
    }
}
