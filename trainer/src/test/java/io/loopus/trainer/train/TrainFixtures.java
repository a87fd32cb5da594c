package io.loopus.trainer.train;

import io.loopus.worker.load.LdsCheckpoint;
import io.loopus.worker.load.Llama2cLoader;
import io.loopus.worker.load.ModelLoader;
import io.loopus.worker.load.SharedData;
import io.loopus.worker.loop.Split;
import io.loopus.worker.tokenizer.Tokenizer;
import org.junit.jupiter.api.Assumptions;

import java.nio.file.Path;

/** stories260K and TinyStories from ../shared, for the trainer's tests (skipped when absent). */
final class TrainFixtures {
    private TrainFixtures() {}

    static Path shared() {
        Path shared = SharedData.locate().orElse(null);
        Assumptions.assumeTrue(shared != null, "skipped: ../shared (or $LOOPUS_SHARED) is not present");
        return shared;
    }

    static Llama2cLoader.Checkpoint stories() {
        return Llama2cLoader.load(shared().resolve("models/stories260K/stories260K.bin"));
    }

    static Tokenizer tokenizer() {
        return ModelLoader.loadTokenizer(shared().resolve("models/stories260K/tok512.bin"), 512, 1);
    }

    static Path train() { return shared().resolve("data/tinystories/train.txt"); }

    static Path valid() { return shared().resolve("data/tinystories/valid.txt"); }

    /** stories260K with the initial gate and head of DESIGN §1 over the given split. */
    static TrainingModel initialModel(Split split, int loops, long seed) {
        Llama2cLoader.Checkpoint c = stories();
        LdsCheckpoint.Loaded l = LdsCheckpoint.initial(c.config(), c.weights(), split, loops, seed);
        return new TrainingModel(l.base(), l.weights(), split);
    }
}
