package io.loopus.server.demo;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.DirectoryNotEmptyException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.security.SecureRandom;
import java.time.Duration;
import java.time.Instant;
import java.util.Comparator;
import java.util.Optional;
import java.util.stream.Stream;

/**
 * Finished conversions under {@code ROOT/KEY/}. An entry is built in a hidden temporary folder beside
 * it, gets its marker file ({@value #MARKER}, naming the key) last, and is then renamed into place in
 * one step: a folder without the marker, or with another key's, is never taken as done (a killed
 * run, a copy by hand), and is replaced by the next build.
 */
public final class ConversionCache {
    public static final String MARKER = "demo.json";
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final SecureRandom RANDOM = new SecureRandom();
    /** Temporaries of the same key older than this are left over from a killed run. */
    private static final Duration STALE = Duration.ofHours(1);

    /** Writes an entry's files into a folder and returns what its marker should hold besides the key. */
    @FunctionalInterface
    public interface Builder {
        ObjectNode build(Path dir) throws IOException;
    }

    private final Path root;

    public ConversionCache(Path root) {
        this.root = root.toAbsolutePath().normalize();
    }

    public Path root() { return root; }

    /** Where the entry for {@code key} is (or will be). */
    public Path entry(String key) {
        if (!key.matches("[0-9a-zA-Z_-]+")) throw new IllegalArgumentException("bad cache key \"" + key + "\"");
        return root.resolve(key);
    }

    /** The finished entry for {@code key}, with its marker, if there is one. */
    public Optional<Finished> find(String key) {
        Path dir = entry(key);
        Path marker = dir.resolve(MARKER);
        if (!Files.isRegularFile(marker)) return Optional.empty();
        try {
            JsonNode m = JSON.readTree(marker.toFile());
            if (m == null || !key.equals(m.path("key").asText())) return Optional.empty();
            return Optional.of(new Finished(dir, (ObjectNode) m));
        } catch (IOException | ClassCastException e) {
            return Optional.empty(); // a torn or foreign marker: not done
        }
    }

    /** A finished entry: its folder and its marker's contents. */
    public record Finished(Path dir, ObjectNode marker) {}

    /**
     * Builds the entry for {@code key} and puts it in place. An unfinished folder at the key is
     * replaced; a finished one too when {@code replace}, else (another run finished first) it is kept
     * and returned, and this build is dropped.
     */
    public Finished build(String key, boolean replace, Builder builder) {
        Path target = entry(key);
        Path tmp = sibling(key, "tmp");
        try {
            Files.createDirectories(root);
            removeStale(key);
            Files.createDirectory(tmp);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot create " + tmp + " (" + e.getMessage() + "); set LOOPUS_CACHE or --out "
                    + "to a writable folder", e);
        }
        boolean published = false;
        try {
            ObjectNode marker = builder.build(tmp);
            marker.put("key", key);
            JSON.writerWithDefaultPrettyPrinter().writeValue(tmp.resolve(MARKER).toFile(), marker);
            Optional<Finished> existing = find(key);
            if (existing.isPresent() && !replace) return existing.get();
            Path old = null;
            if (Files.exists(target)) {
                old = sibling(key, "old");
                Files.move(target, old, StandardCopyOption.ATOMIC_MOVE);
            }
            try {
                Files.move(tmp, target, StandardCopyOption.ATOMIC_MOVE);
                published = true;
            } catch (FileAlreadyExistsException | DirectoryNotEmptyException raced) {
                Optional<Finished> theirs = find(key);
                if (theirs.isEmpty()) throw raced;
                return theirs.get();
            } finally {
                if (old != null) deleteTree(old);
            }
            return new Finished(target, marker);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write " + target + ": " + e.getMessage(), e);
        } finally {
            if (!published) deleteTree(tmp);
        }
    }

    private Path sibling(String key, String kind) {
        return root.resolve("." + key + "." + Long.toHexString(RANDOM.nextLong()) + "." + kind);
    }

    /** Hidden temporaries of this key that a killed run left behind. */
    private void removeStale(String key) throws IOException {
        Instant before = Instant.now().minus(STALE);
        try (Stream<Path> s = Files.list(root)) {
            s.filter(p -> p.getFileName().toString().startsWith("." + key + "."))
                    .filter(p -> {
                        try {
                            return Files.getLastModifiedTime(p).toInstant().isBefore(before);
                        } catch (IOException e) {
                            return false;
                        }
                    })
                    .forEach(ConversionCache::deleteTree);
        }
    }

    static void deleteTree(Path dir) {
        if (!Files.exists(dir)) return;
        try (Stream<Path> s = Files.walk(dir)) {
            s.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        } catch (IOException ignored) {
            // best effort: a leftover hidden folder is harmless and removed by a later build
        }
    }
}
