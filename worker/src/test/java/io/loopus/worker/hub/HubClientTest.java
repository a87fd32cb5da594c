package io.loopus.worker.hub;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.net.ServerSocket;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** HubClient against a local server with the hub's URL layout. */
class HubClientTest {
    static final String MODEL_URL = "/karpathy/tinyllamas/resolve/main/stories260K/stories260K.bin";
    static final String CDN_URL = "/cdn/blobs/0123abcd";

    @TempDir Path cache;
    LocalHub hub;
    final byte[] model = LocalHub.bytes(200_000, 1);

    @BeforeEach
    void start() throws IOException {
        hub = new LocalHub().serve(MODEL_URL, model);
    }

    @AfterEach
    void stop() {
        hub.close();
    }

    @Test
    void downloadsModelFileIntoHubCacheLayout() throws IOException {
        Path got = hub.client(cache, null).download(DemoAssets.MODEL);
        assertEquals(cache.resolve("hub/models/karpathy--tinyllamas/main/stories260K/stories260K.bin"), got);
        assertArrayEquals(model, Files.readAllBytes(got));
    }

    @Test
    void downloadsDatasetFileFromDatasetsPrefix() throws IOException {
        byte[] text = "Once upon a time.\n<|endoftext|>\n".getBytes();
        hub.serve("/datasets/roneneldan/TinyStories/resolve/main/TinyStories-valid.txt", text);
        Path got = hub.client(cache, null).download(DemoAssets.STORIES);
        assertEquals(cache.resolve("hub/datasets/roneneldan--TinyStories/main/TinyStories-valid.txt"), got);
        assertArrayEquals(text, Files.readAllBytes(got));
    }

    @Test
    void cachedFileIsNotRequestedAgain() throws IOException {
        HubClient client = hub.client(cache, null);
        Path first = client.download(DemoAssets.MODEL);
        Path second = client.download(DemoAssets.MODEL);
        // A fresh client over the same cache (a later run of the command) must not ask either.
        Path third = hub.client(cache, null).download(DemoAssets.MODEL);
        assertEquals(first, second);
        assertEquals(first, third);
        assertEquals(1, hub.requests.size(), hub.requests.toString());
    }

    @Test
    void sendsBearerTokenWhenConfiguredAndNoneOtherwise() throws IOException {
        hub.client(cache, "hf_secret").download(DemoAssets.MODEL);
        assertEquals("Bearer hf_secret", hub.last(MODEL_URL).authorization());
        hub.client(cache.resolve("other"), null).download(DemoAssets.MODEL);
        assertNull(hub.last(MODEL_URL).authorization());
    }

    @Test
    void followsRedirectToCdnPath() throws IOException {
        hub.redirect(MODEL_URL, CDN_URL).serve(CDN_URL, model);
        Path got = hub.client(cache, "hf_secret").download(DemoAssets.MODEL);
        assertArrayEquals(model, Files.readAllBytes(got));
        assertEquals(1, hub.count(MODEL_URL));
        assertEquals(1, hub.count(CDN_URL));
        // Same host and port: the token still goes along (the hub's own relative redirects need it).
        assertEquals("Bearer hf_secret", hub.last(CDN_URL).authorization());
    }

    @Test
    void tokenIsNotForwardedToAnotherHost() throws IOException {
        // "localhost" is another host name than the endpoint's 127.0.0.1, as a CDN would be.
        hub.redirect(MODEL_URL, "http://localhost:" + hub.port() + CDN_URL).serve(CDN_URL, model);
        Path got = hub.client(cache, "hf_secret").download(DemoAssets.MODEL);
        assertArrayEquals(model, Files.readAllBytes(got));
        assertEquals("Bearer hf_secret", hub.last(MODEL_URL).authorization());
        assertTrue(hub.last(CDN_URL).host().startsWith("localhost"), hub.last(CDN_URL).toString());
        assertNull(hub.last(CDN_URL).authorization());
    }

    @Test
    void notFoundNamesRepoRevisionAndPath() {
        HubFile missing = HubFile.model("karpathy/tinyllamas", "main", "stories260K/nope.bin");
        IOException e = assertThrows(IOException.class, () -> hub.client(cache, null).download(missing));
        assertMessage(e, "HTTP 404", hub.endpoint() + "/karpathy/tinyllamas/resolve/main/stories260K/nope.bin",
                "karpathy/tinyllamas", "revision main", "stories260K/nope.bin", "EntryNotFound");
        assertNoFiles();
    }

    @Test
    void unauthorizedSaysItNeedsHfToken() {
        hub.status(MODEL_URL, 401, "Access to model karpathy/tinyllamas is restricted.");
        IOException e = assertThrows(IOException.class, () -> hub.client(cache, null).download(DemoAssets.MODEL));
        assertMessage(e, "HTTP 401", hub.endpoint() + MODEL_URL, "needs HF_TOKEN", "is restricted");
        hub.status(MODEL_URL, 403, null);
        e = assertThrows(IOException.class, () -> hub.client(cache, "hf_wrong").download(DemoAssets.MODEL));
        assertMessage(e, "HTTP 403", MODEL_URL, "HF_TOKEN");
        assertNoFiles();
    }

    @Test
    void otherStatusNamesCodeAndUrl() {
        hub.status(MODEL_URL, 503, null);
        IOException e = assertThrows(IOException.class, () -> hub.client(cache, null).download(DemoAssets.MODEL));
        assertMessage(e, "HTTP 503", hub.endpoint() + MODEL_URL);
        assertNoFiles();
    }

    @Test
    void brokenDownloadLeavesNoFileBehind() {
        hub.truncated(MODEL_URL, model, 70_000);
        IOException e = assertThrows(IOException.class, () -> hub.client(cache, null).download(DemoAssets.MODEL));
        assertMessage(e, hub.endpoint() + MODEL_URL, " of " + model.length + " bytes");
        // the server sent 70,000 bytes; an abrupt close can discard some of them before the client reads them
        var received = java.util.regex.Pattern.compile("connection lost after (\\d+) of ").matcher(e.getMessage());
        assertTrue(received.find() && Long.parseLong(received.group(1)) <= 70_000, e.getMessage());
        assertNoFiles();
        // The next try starts afresh and succeeds.
        hub.serve(MODEL_URL, model);
        assertDoesDownload();
    }

    @Test
    void brokenDownloadBehindRedirectNamesBothUrls() {
        hub.redirect(MODEL_URL, CDN_URL).truncated(CDN_URL, model, 1000);
        IOException e = assertThrows(IOException.class, () -> hub.client(cache, null).download(DemoAssets.MODEL));
        assertMessage(e, MODEL_URL, "redirected to " + hub.endpoint() + CDN_URL);
        assertNoFiles();
    }

    @Test
    void connectionFailureNamesUrl() throws IOException {
        int closedPort;
        try (ServerSocket s = new ServerSocket(0)) {
            closedPort = s.getLocalPort();
        }
        HubClient client = new HubClient(new HubConfig(URI.create("http://127.0.0.1:" + closedPort), null, cache));
        IOException e = assertThrows(IOException.class, () -> client.download(DemoAssets.MODEL));
        assertMessage(e, "http://127.0.0.1:" + closedPort + MODEL_URL, "cannot connect", "refused");
        assertNoFiles();
    }

    @Test
    void unknownHostNamesUrl() {
        HubClient client = new HubClient(new HubConfig(URI.create("http://no-such-host.invalid"), null, cache));
        IOException e = assertThrows(IOException.class, () -> client.download(DemoAssets.MODEL));
        assertMessage(e, "http://no-such-host.invalid" + MODEL_URL, "cannot connect", "unknown host");
        assertNoFiles();
    }

    @Test
    void unwritableCacheSaysSo() throws IOException {
        Path blocked = cache.resolve("blocked");
        Files.writeString(blocked, "a file where the cache folder should be");
        IOException e = assertThrows(IOException.class, () -> hub.client(blocked, null).download(DemoAssets.MODEL));
        assertMessage(e, "cannot create the cache folder", blocked.toString(), "LOOPUS_CACHE");
        assertEquals(0, hub.requests.size());
    }

    @Test
    void redirectLoopIsAnError() {
        hub.redirect(MODEL_URL, MODEL_URL);
        IOException e = assertThrows(IOException.class, () -> hub.client(cache, null).download(DemoAssets.MODEL));
        assertMessage(e, MODEL_URL, "redirects");
    }

    @Test
    void checksExpectedSizeAndSha256() throws Exception {
        String sha = HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(model));
        HubClient client = hub.client(cache, null);

        IOException e = assertThrows(IOException.class, () -> client.download(DemoAssets.MODEL.expecting(model.length + 1, null)));
        assertMessage(e, MODEL_URL, "expected " + (model.length + 1));
        String wrong = "0".repeat(64);
        e = assertThrows(IOException.class, () -> client.download(DemoAssets.MODEL.expecting(-1, wrong)));
        assertMessage(e, MODEL_URL, "sha256", sha, wrong);
        assertNoFiles();

        Path got = client.download(DemoAssets.MODEL.expecting(model.length, sha));
        assertArrayEquals(model, Files.readAllBytes(got));
    }

    @Test
    void cachedFileOfWrongSizeIsFetchedAgain() throws IOException {
        HubClient client = hub.client(cache, null);
        Path target = client.cachePath(DemoAssets.MODEL);
        Files.createDirectories(target.getParent());
        Files.write(target, new byte[10]);
        assertEquals(0, hub.requests.size());
        client.download(DemoAssets.MODEL); // no size known: the cached file stands
        assertEquals(0, hub.requests.size());
        client.download(DemoAssets.MODEL.expecting(model.length, null));
        assertEquals(1, hub.requests.size());
        assertArrayEquals(model, Files.readAllBytes(target));
    }

    @Test
    void reportsProgressUpToContentLength() throws IOException {
        List<long[]> calls = new ArrayList<>();
        hub.client(cache, null).download(DemoAssets.MODEL, (done, total) -> calls.add(new long[] {done, total}));
        assertFalse(calls.isEmpty());
        long previous = 0;
        for (long[] c : calls) {
            assertEquals(model.length, c[1]);
            assertTrue(c[0] >= previous && c[0] <= model.length);
            previous = c[0];
        }
        assertEquals(model.length, calls.get(calls.size() - 1)[0]);
    }

    @Test
    void encodesRevisionAndPathAndKeepsThemInsideCache() {
        HubClient client = hub.client(cache, null);
        HubFile f = HubFile.model("owner/name", "refs/pr/1", "sub dir/a+b.bin");
        assertEquals(URI.create(hub.endpoint() + "/owner/name/resolve/refs%2Fpr%2F1/sub%20dir/a%2Bb.bin"), client.url(f));
        assertEquals(cache.resolve("hub/models/owner--name/refs%2Fpr%2F1/sub dir/a+b.bin"), client.cachePath(f));
        for (String bad : List.of("../x", "a/../../x", "/etc/passwd", "a//b", "a\\b", ""))
            assertThrows(IllegalArgumentException.class, () -> HubFile.model("owner/name", "main", bad), bad);
        for (String bad : List.of("name", "a/b/c", "../x", "a/..", "a b/c"))
            assertThrows(IllegalArgumentException.class, () -> HubFile.model(bad, "main", "f"), bad);
    }

    void assertDoesDownload() {
        try {
            assertArrayEquals(model, Files.readAllBytes(hub.client(cache, null).download(DemoAssets.MODEL)));
        } catch (IOException e) {
            throw new AssertionError(e);
        }
    }

    /** Nothing at all under the cache root: no final file and no leftover temp file. */
    void assertNoFiles() {
        try (Stream<Path> all = Files.walk(cache)) {
            List<Path> files = all.filter(Files::isRegularFile).toList();
            assertTrue(files.isEmpty(), "left behind: " + files);
        } catch (IOException e) {
            throw new AssertionError(e);
        }
    }

    static void assertMessage(IOException e, String... words) {
        for (String w : words) assertTrue(e.getMessage().contains(w), "\"" + w + "\" in: " + e.getMessage());
        assertEquals(1, e.getMessage().lines().count(), "one line: " + e.getMessage());
    }
}
