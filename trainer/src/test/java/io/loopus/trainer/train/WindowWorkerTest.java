package io.loopus.trainer.train;

import io.loopus.trainer.data.PackedCorpus;
import io.loopus.trainer.grad.TrainableParams;
import io.loopus.worker.loop.Split;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertTrue;

/** A few synchronous updates on stories260K: the supervised loss goes down on the data it sees. */
class WindowWorkerTest {
    @Test
    void repeatedUpdatesOnOneBatchLowerItsLoss() {
        Split split = new Split(1, 4, 5);
        TrainingModel model = TrainFixtures.initialModel(split, 4, 0);
        TrainConfig cfg = new TrainConfig(split, 4, 40, 0, 3e-3, 4, 1, 64, 2, 2, 1.0, 1.0, 7, 1, 100, 0, 0, false);
        BatchSource data = new BatchSource(PackedCorpus.load(TrainFixtures.train(), TrainFixtures.tokenizer(), 64), 4, 7);
        WindowWorker worker = new WindowWorker(model, cfg);
        Updater updater = new Updater(model.tensors(), cfg);
        TrainableParams grads = model.params().zerosLike();
        MicroBatch batch = data.get(0);
        double first = Double.NaN, last = Double.NaN;
        long t0 = System.nanoTime();
        for (int u = 0; u < 12; u++) {
            SlotState s = new SlotState(0);
            worker.start(s, batch); // the same batch each time: its loss must fall
            WindowWorker.Result r = worker.window(s, grads);
            updater.add(grads.tensors());
            updater.apply(u);
            if (u == 0) first = r.losses().lm();
            last = r.losses().lm();
            System.out.printf("update %d: lm %.4f mono %.4f conf %.4f (lm before %.4f, acc %.3f)%n", u, r.losses().lm(),
                    r.losses().monotone(), r.losses().confidence(), r.losses().lmBefore(), r.losses().tokenAccuracy());
        }
        System.out.printf("%.1f ms per window%n", (System.nanoTime() - t0) / 1e6 / 12);
        assertTrue(last < first - 0.1, "lm loss " + first + " -> " + last);
    }
}
