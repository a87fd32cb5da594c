package io.loopus.worker.io;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.security.SecureRandom;
import java.util.Comparator;
import java.util.stream.Stream;

/**
 * Files and directories that appear whole or not at all: written under a temporary name beside
 * the target, then renamed into place with an atomic move; the temporary is removed on failure.
 * Temporary names are fresh paths (not createTempFile/Directory, whose 0600/0700 modes would
 * stick to the result), so the result gets the usual permissions.
 */
public final class AtomicFiles {
    private static final SecureRandom RANDOM = new SecureRandom();

    /** Writes the contents of a path it is given. */
    @FunctionalInterface
    public interface Contents {
        void writeTo(Path path) throws IOException;
    }

    private AtomicFiles() {}

    /** Writes {@code target} (replacing an old file) through a temporary file beside it. */
    public static void writeFile(Path target, Contents contents) throws IOException {
        Path abs = target.toAbsolutePath();
        Files.createDirectories(abs.getParent());
        Path tmp = temporary(abs);
        boolean moved = false;
        try {
            contents.writeTo(tmp);
            Files.move(tmp, abs, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            moved = true;
        } finally {
            if (!moved) {
                try {
                    Files.deleteIfExists(tmp);
                } catch (IOException ignored) {
                    // already failing
                }
            }
        }
    }

    /**
     * Writes directory {@code target}, which must be missing or empty (an empty one is replaced),
     * through a temporary directory beside it.
     */
    public static void writeDirectory(Path target, Contents contents) throws IOException {
        Path abs = target.toAbsolutePath();
        Files.createDirectories(abs.getParent());
        Path tmp = Files.createDirectory(temporary(abs));
        boolean moved = false;
        try {
            contents.writeTo(tmp);
            Files.deleteIfExists(abs); // an empty directory (a full one refuses): rename cannot replace it portably
            Files.move(tmp, abs, StandardCopyOption.ATOMIC_MOVE);
            moved = true;
        } finally {
            if (!moved) deleteTree(tmp);
        }
    }

    private static Path temporary(Path abs) {
        return abs.resolveSibling("." + abs.getFileName() + "." + Long.toHexString(RANDOM.nextLong()) + ".tmp");
    }

    private static void deleteTree(Path dir) {
        try (Stream<Path> s = Files.walk(dir)) {
            s.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        } catch (IOException ignored) {
            // best effort: a leftover hidden temporary is harmless
        }
    }
}
