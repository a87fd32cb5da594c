package io.loopus.trainer.analyze;

import io.loopus.worker.load.SharedData;
import org.junit.jupiter.api.Assumptions;

import java.nio.file.Path;

/** The shared stories260K model and TinyStories text; tests that need them are skipped, with a message, when absent. */
final class Shared {
    private Shared() {}

    static Path root() {
        Path shared = SharedData.locate().orElse(null);
        Assumptions.assumeTrue(shared != null, "skipped: ../shared (or $LOOPUS_SHARED) is not present");
        return shared;
    }

    static Path stories260K() { return root().resolve("models/stories260K/stories260K.bin"); }

    static Path tokenizer() { return root().resolve("models/stories260K/tok512.bin"); }

    static Path trainText() { return root().resolve("data/tinystories/train.txt"); }
}
