package io.loopus.server.demo;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The demo's cache: keys from file bytes and recipe, entries that appear whole or are not taken as done. */
class ConversionCacheTest {
    @TempDir Path tmp;

    Path file(String name, String text) throws IOException {
        return Files.writeString(tmp.resolve(name), text);
    }

    @Test void sameInputsGiveTheSameKeyAndAnyChangeAnother() throws IOException {
        Path model = file("model.bin", "weights"), data = file("train.txt", "stories");
        String recipe = DemoRecipe.standard().canonical();
        String key = CacheKey.of(List.of(model, data), recipe);
        assertEquals(CacheKey.LENGTH, key.length());
        assertEquals(key, CacheKey.of(List.of(model, data), recipe));
        // the bytes count, not the names or places
        Path copy = Files.copy(model, Files.createDirectories(tmp.resolve("elsewhere")).resolve("other-name.bin"));
        assertEquals(key, CacheKey.of(List.of(copy, data), recipe));

        assertNotEquals(key, CacheKey.of(List.of(model, data), DemoRecipe.withSteps(61).canonical()));
        assertNotEquals(key, CacheKey.of(List.of(file("model2.bin", "weightz"), data), recipe));
        assertNotEquals(key, CacheKey.of(List.of(data, model), recipe));
        // bytes moved from one file to the next are another input
        assertNotEquals(CacheKey.of(List.of(file("a", "ab"), file("b", "c")), recipe),
                CacheKey.of(List.of(file("c", "a"), file("d", "bc")), recipe));
    }

    @Test void anEntryIsFoundOnlyOnceBuiltAndIsReused() {
        ConversionCache cache = new ConversionCache(tmp.resolve("cache"));
        assertTrue(cache.find("k1").isEmpty());
        AtomicInteger builds = new AtomicInteger();
        ConversionCache.Builder builder = dir -> {
            builds.incrementAndGet();
            Files.writeString(dir.resolve("model.txt"), "converted");
            return new ObjectMapper().createObjectNode().put("updates", 60);
        };
        ConversionCache.Finished built = cache.build("k1", false, builder);
        assertEquals(cache.entry("k1"), built.dir());
        assertEquals("k1", built.marker().path("key").asText());
        ConversionCache.Finished found = cache.find("k1").orElseThrow();
        assertEquals(60, found.marker().path("updates").asInt());
        assertEquals("converted", read(found.dir().resolve("model.txt")));
        assertEquals(1, builds.get());
        assertEquals(List.of("k1"), listing(cache.root()), "no temporaries left behind");
    }

    @Test void aHalfFinishedFolderIsNotTakenAsDoneAndIsReplaced() throws IOException {
        ConversionCache cache = new ConversionCache(tmp.resolve("cache"));
        Path half = Files.createDirectories(cache.entry("k2").resolve("run"));
        Files.writeString(half.resolve("metrics.jsonl"), "{\"step\":1}\n"); // a run killed before its marker
        assertTrue(cache.find("k2").isEmpty());
        // a marker naming another key (a folder copied by hand) is not done either
        Files.writeString(cache.entry("k2").resolve(ConversionCache.MARKER), "{\"key\":\"other\"}");
        assertTrue(cache.find("k2").isEmpty());
        Files.writeString(cache.entry("k2").resolve(ConversionCache.MARKER), "{\"key\":"); // torn
        assertTrue(cache.find("k2").isEmpty());

        cache.build("k2", false, dir -> {
            Files.writeString(dir.resolve("model.txt"), "whole");
            return new ObjectMapper().createObjectNode();
        });
        assertTrue(cache.find("k2").isPresent());
        assertEquals("whole", read(cache.entry("k2").resolve("model.txt")));
        assertFalse(Files.exists(cache.entry("k2").resolve("run")), "the half-finished files are gone");
        assertEquals(List.of("k2"), listing(cache.root()));
    }

    @Test void aFailedBuildLeavesNothingThatLooksDone() {
        ConversionCache cache = new ConversionCache(tmp.resolve("cache"));
        assertThrows(IllegalStateException.class, () -> cache.build("k3", false, dir -> {
            Files.writeString(dir.resolve("model.txt"), "half");
            throw new IllegalStateException("training failed");
        }));
        assertTrue(cache.find("k3").isEmpty());
        assertFalse(Files.exists(cache.entry("k3")));
        assertEquals(List.of(), listing(cache.root()), "the temporary folder is removed");
    }

    @Test void replaceBuildsAgainAndAnotherRunsFinishedEntryIsKept() {
        ConversionCache cache = new ConversionCache(tmp.resolve("cache"));
        cache.build("k4", false, dir -> marker(dir, "first"));
        cache.build("k4", true, dir -> marker(dir, "second")); // --fresh
        assertEquals("second", cache.find("k4").orElseThrow().marker().path("run").asText());
        // without replace, an entry that appeared while this one was built (another demo) wins
        ConversionCache.Finished kept = cache.build("k4", false, dir -> marker(dir, "third"));
        assertEquals("second", kept.marker().path("run").asText());
        assertEquals(List.of("k4"), listing(cache.root()));
    }

    @Test void keysCannotLeaveTheCache() {
        ConversionCache cache = new ConversionCache(tmp);
        assertThrows(IllegalArgumentException.class, () -> cache.entry("../x"));
    }

    private static ObjectNode marker(Path dir, String run) throws IOException {
        Files.writeString(dir.resolve("model.txt"), run);
        return new ObjectMapper().createObjectNode().put("run", run);
    }

    private static String read(Path p) {
        try {
            return Files.readString(p);
        } catch (IOException e) {
            throw new AssertionError(e);
        }
    }

    private static List<String> listing(Path dir) {
        try (Stream<Path> s = Files.list(dir)) {
            return s.map(p -> p.getFileName().toString()).sorted().toList();
        } catch (IOException e) {
            throw new AssertionError(e);
        }
    }
}
