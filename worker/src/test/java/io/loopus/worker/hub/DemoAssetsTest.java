package io.loopus.worker.hub;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.stream.IntStream;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** DemoAssets from a shared folder and from a local server with the hub's layout. */
class DemoAssetsTest {
    static final String MODEL_URL = "/karpathy/tinyllamas/resolve/main/stories260K/stories260K.bin";
    static final String TOKENIZER_URL = "/karpathy/tinyllamas/resolve/main/stories260K/tok512.bin";
    static final String STORIES_URL = "/datasets/roneneldan/TinyStories/resolve/main/TinyStories-valid.txt";
    static final String SEP = "<|endoftext|>";

    @TempDir Path tmp;
    LocalHub hub;
    final byte[] model = LocalHub.bytes(50_000, 2);
    final byte[] tokenizer = LocalHub.bytes(6_000, 3);

    @BeforeEach
    void start() throws IOException {
        hub = new LocalHub().serve(MODEL_URL, model).serve(TOKENIZER_URL, tokenizer);
    }

    @AfterEach
    void stop() {
        hub.close();
    }

    /** Story i: two lines, and every tenth one with a blank line inside, as real stories have. */
    static String story(int i) {
        return "Story " + i + ": Once upon a time there was a cat named Tom " + i + ".\n"
                + (i % 10 == 0 ? "\n" : "") + "Tom liked to play. The end " + i + ".";
    }

    /** TinyStories-valid.txt's format: each story, then a line {@code <|endoftext|>}. */
    static byte[] storiesFile(int n) {
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < n; i++) sb.append(story(i)).append('\n').append(SEP).append('\n');
        return sb.toString().getBytes(StandardCharsets.UTF_8);
    }

    @Test
    void downloadsFromHubAndDerivesTrainAndValid() throws IOException {
        // A redirect for the big file, as the hub sends its LFS files to the CDN.
        hub.redirect(STORIES_URL, "/cdn/tinystories").serve("/cdn/tinystories", storiesFile(420));
        Path cache = tmp.resolve("cache");
        List<String> downloaded = new ArrayList<>();
        DemoAssets.Resolved r = new DemoAssets(hub.client(cache, null), Optional.empty())
                .resolve(file -> { downloaded.add(file.path()); return DownloadProgress.NONE; });

        assertEquals(DemoAssets.Origin.HUB, r.origin());
        assertEquals("hub", r.origin().toString());
        assertEquals(List.of("stories260K/stories260K.bin", "stories260K/tok512.bin", "TinyStories-valid.txt"), downloaded);
        assertArrayEquals(model, Files.readAllBytes(r.model()));
        assertArrayEquals(tokenizer, Files.readAllBytes(r.tokenizer()));
        assertTrue(r.train().startsWith(cache) && r.valid().startsWith(cache), r.toString());

        String train = Files.readString(r.train());
        String valid = Files.readString(r.valid());
        assertEquals(expected(0, 20), train);
        assertEquals(expected(20, 420), valid);
        assertEquals(20, StorySplit.read(r.train()).size());
        assertEquals(400, StorySplit.read(r.valid()).size());
        assertEquals(400, valid.lines().filter(SEP::equals).count());
        assertTrue(train.endsWith("The end 19.\n" + SEP + "\n"), train);

        // Everything is cached now: a second resolve (a fresh client, as in a later run) asks nothing.
        int requests = hub.requests.size();
        DemoAssets.Resolved again = new DemoAssets(hub.client(cache, null), Optional.empty()).resolve();
        assertEquals(r, again);
        assertEquals(requests, hub.requests.size());
        assertOnlyFinalFiles(cache, 5);
    }

    @Test
    void usesSharedFolderWhenComplete() throws IOException {
        Path shared = tmp.resolve("shared");
        for (String f : List.of(DemoAssets.SHARED_MODEL, DemoAssets.SHARED_TOKENIZER, DemoAssets.SHARED_TRAIN,
                DemoAssets.SHARED_VALID)) {
            Files.createDirectories(shared.resolve(f).getParent());
            Files.writeString(shared.resolve(f), f);
        }
        DemoAssets.Resolved r = new DemoAssets(hub.client(tmp.resolve("cache"), null), Optional.of(shared)).resolve();
        assertEquals(new DemoAssets.Resolved(shared.resolve("models/stories260K/stories260K.bin"),
                shared.resolve("models/stories260K/tok512.bin"), shared.resolve("data/tinystories/train.txt"),
                shared.resolve("data/tinystories/valid.txt"), DemoAssets.Origin.SHARED), r);
        assertEquals(0, hub.requests.size());

        // A shared folder that lacks one of the four falls back to the hub.
        Files.delete(shared.resolve(DemoAssets.SHARED_VALID));
        hub.serve(STORIES_URL, storiesFile(401));
        r = new DemoAssets(hub.client(tmp.resolve("cache"), null), Optional.of(shared)).resolve();
        assertEquals(DemoAssets.Origin.HUB, r.origin());
        assertEquals(1, StorySplit.read(r.train()).size());
    }

    @Test
    void tooFewStoriesIsAnErrorAndDerivesNothing() {
        hub.serve(STORIES_URL, storiesFile(400));
        Path cache = tmp.resolve("cache");
        IOException e = assertThrows(IOException.class,
                () -> new DemoAssets(hub.client(cache, null), Optional.empty()).resolve());
        assertTrue(e.getMessage().contains("TinyStories-valid.txt") && e.getMessage().contains("400 stories"), e.getMessage());
        assertTrue(Files.notExists(cache.resolve("derived/tinystories/train.txt")));
    }

    @Test
    void splitDropsBlankPiecesAndReadsCrlf() throws IOException {
        Path f = tmp.resolve("s.txt");
        Files.writeString(f, "\n" + SEP + "\r\nfirst\r\nstory\r\n" + SEP + "\r\n\r\n  \r\n" + SEP + "\r\nsecond\r\n\r\n"
                + SEP + " \nthird without a final separator\n");
        assertEquals(List.of("first\nstory", "second", "third without a final separator"), StorySplit.read(f));
        StorySplit.split(f, 1, tmp.resolve("t.txt"), tmp.resolve("v.txt"));
        assertEquals("first\nstory\n" + SEP + "\nsecond\n" + SEP + "\n", Files.readString(tmp.resolve("t.txt")));
        assertEquals("third without a final separator\n" + SEP + "\n", Files.readString(tmp.resolve("v.txt")));
    }

    static String expected(int from, int to) {
        StringBuilder sb = new StringBuilder();
        IntStream.range(from, to).forEach(i -> sb.append(story(i)).append('\n').append(SEP).append('\n'));
        return sb.toString();
    }

    /** Exactly {@code n} files under the cache and none of them a temp file. */
    static void assertOnlyFinalFiles(Path cache, int n) throws IOException {
        try (Stream<Path> all = Files.walk(cache)) {
            List<Path> files = all.filter(Files::isRegularFile).toList();
            assertEquals(n, files.size(), files.toString());
            assertTrue(files.stream().noneMatch(p -> p.getFileName().toString().endsWith(".tmp")), files.toString());
        }
    }
}
