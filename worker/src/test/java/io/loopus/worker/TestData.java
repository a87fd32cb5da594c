package io.loopus.worker;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.loopus.worker.load.SharedData;
import org.junit.jupiter.api.Assumptions;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;

/** The shared stories260K files; tests that need them are skipped, with a message, when absent. */
public final class TestData {
    private TestData() {}

    public static Path stories() {
        Path shared = SharedData.locate().orElse(null);
        Assumptions.assumeTrue(shared != null,
                "skipped: ../shared (or $LOOPUS_SHARED) with models/stories260K is not present");
        return shared.resolve("models/stories260K");
    }

    public static Path model() { return stories().resolve("stories260K.bin"); }

    public static Path modelV0() { return stories().resolve("stories260K_v0.bin"); }

    public static Path tokenizer() { return stories().resolve("tok512.bin"); }

    public static JsonNode golden() {
        try {
            return new ObjectMapper().readTree(stories().resolve("golden.json").toFile());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    public static int[] ints(JsonNode array) {
        int[] out = new int[array.size()];
        for (int i = 0; i < out.length; i++) out[i] = array.get(i).asInt();
        return out;
    }
}
