package io.loopus.worker.load;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;

/**
 * Finds the project's shared test data: {@code $LOOPUS_SHARED}, else {@code ../shared} beside the
 * project root (looked up from the working directory and its parents).
 */
public final class SharedData {
    private SharedData() {}

    public static Optional<Path> locate() {
        String env = System.getenv("LOOPUS_SHARED");
        if (env != null && !env.isBlank() && Files.isDirectory(Path.of(env))) return Optional.of(Path.of(env));
        for (Path dir = Path.of("").toAbsolutePath(); dir != null; dir = dir.getParent()) {
            Path candidate = dir.resolveSibling("shared");
            if (Files.isDirectory(candidate.resolve("models"))) return Optional.of(candidate);
        }
        return Optional.empty();
    }
}
