package io.loopus.trainer.train;

import io.loopus.worker.load.ModelFormatException;
import io.loopus.worker.loop.Split;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Trainer checkpoints: an exact round trip, and clear refusals of corrupt or mismatched ones. */
class TrainingCheckpointTest {
    @TempDir Path tmp;

    private final Split split = new Split(1, 4, 5);

    private TrainConfig cfg(long seed) {
        return new TrainConfig(split, 4, 10, 0, 1e-3, 2, 2, 16, 4, 2, 1.0, 1.0, seed, 1, 5, 0, 0, false);
    }

    private Path written(TrainingModel model) {
        AdamW opt = new AdamW(AdamW.Settings.defaults(), TrainingModel::decayed);
        Map<String, float[]> grads = model.params().zerosLike().tensors();
        grads.values().forEach(g -> java.util.Arrays.fill(g, 0.01f));
        opt.step(model.tensors(), grads, 1e-3);
        SlotState[] slots = {new SlotState(0), new SlotState(1)};
        return TrainingCheckpoint.write(tmp, 3, model, opt.state(), slots, cfg(1), d -> {});
    }

    @Test
    void roundTripRestoresTheTensorsExactly() {
        TrainingModel model = TrainFixtures.initialModel(split, 4, 0);
        Path dir = written(model);
        assertEquals(dir, TrainingCheckpoint.latest(tmp));
        TrainingModel fresh = TrainFixtures.initialModel(split, 4, 99); // other gate and head
        TrainingCheckpoint.Restored r = TrainingCheckpoint.read(dir, fresh, cfg(1));
        assertEquals(3, r.update());
        assertEquals(1, r.optimizer().steps());
        for (var e : model.tensors().entrySet()) assertArrayEquals(e.getValue(), fresh.tensors().get(e.getKey()), e.getKey());
    }

    @Test
    void corruptOrMismatchedCheckpointsAreRefusedNamingTheFile() throws Exception {
        TrainingModel model = TrainFixtures.initialModel(split, 4, 0);
        Path dir = written(model);
        IllegalArgumentException other = assertThrows(IllegalArgumentException.class, () -> TrainingCheckpoint.read(dir, model, cfg(2)));
        assertTrue(other.getMessage().contains("state.json") && other.getMessage().contains("seed"), other.getMessage());

        Path tensors = dir.resolve("state.safetensors");
        byte[] bytes = Files.readAllBytes(tensors);
        Files.write(tensors, java.util.Arrays.copyOf(bytes, bytes.length / 2));
        ModelFormatException truncated = assertThrows(ModelFormatException.class, () -> TrainingCheckpoint.read(dir, model, cfg(1)));
        assertTrue(truncated.getMessage().contains("state.safetensors"), truncated.getMessage());

        Files.writeString(dir.resolve("state.json"), "{ not json");
        ModelFormatException json = assertThrows(ModelFormatException.class, () -> TrainingCheckpoint.read(dir, model, cfg(1)));
        assertTrue(json.getMessage().contains("state.json"), json.getMessage());
    }
}
