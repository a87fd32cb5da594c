package io.loopus.worker.load;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.Assumptions;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;

/** The shared stories260K files ($LOOPUS_SHARED, else ../shared beside the project root); absent: the test is skipped. */
final class Stories {
    private Stories() {}

    static Path shared() {
        Path found = null;
        String env = System.getenv("LOOPUS_SHARED");
        if (env != null && !env.isBlank()) {
            found = Path.of(env);
        } else {
            for (Path d = Path.of("").toAbsolutePath(); d != null && found == null; d = d.getParent()) {
                if (Files.isDirectory(d.resolveSibling("shared").resolve("models/stories260K"))) found = d.resolveSibling("shared");
            }
        }
        Path f = found;
        Assumptions.assumeTrue(f != null && Files.isRegularFile(f.resolve("models/stories260K/stories260K.bin")),
                "skipped: no shared test data (set LOOPUS_SHARED or put shared/ beside the project root)");
        return f;
    }

    static Path dir() { return shared().resolve("models/stories260K"); }

    static Path model() { return dir().resolve("stories260K.bin"); }

    static Path tokenizer() { return dir().resolve("tok512.bin"); }

    static JsonNode golden() {
        try {
            return new ObjectMapper().readTree(dir().resolve("golden.json").toFile());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    static int[] ints(JsonNode array) {
        int[] out = new int[array.size()];
        for (int i = 0; i < out.length; i++) out[i] = array.get(i).asInt();
        return out;
    }

    static float[] floats(JsonNode array) {
        float[] out = new float[array.size()];
        for (int i = 0; i < out.length; i++) out[i] = (float) array.get(i).asDouble();
        return out;
    }
}
