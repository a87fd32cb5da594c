package io.loopus.server.demo;

import com.sun.net.httpserver.HttpServer;
import io.loopus.worker.hub.DemoAssets;
import io.loopus.worker.hub.HubClient;
import io.loopus.worker.hub.HubConfig;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The demo's first step without a shared folder: downloads with progress lines, and a clear error when the hub is unreachable. */
class DemoDownloadTest {
    @TempDir Path tmp;

    final ByteArrayOutputStream out = new ByteArrayOutputStream(), err = new ByteArrayOutputStream();
    final List<String> lines = new ArrayList<>();

    Demo demo(URI endpoint) {
        DemoAssets assets = new DemoAssets(new HubClient(new HubConfig(endpoint, null, tmp.resolve("cache"))), Optional.empty());
        ProgressSink.Factory progress = (label, unit, total) -> new ProgressSink() {
            @Override public void update(long done, String detail) { lines.add(label + " " + done + "/" + total + " " + unit); }

            @Override public void finish(long done) { lines.add(label + " finished " + done + "/" + total + " " + unit); }
        };
        return new Demo(assets, tmp.resolve("cache/demo"), new PrintStream(out, true, StandardCharsets.UTF_8),
                new PrintStream(err, true, StandardCharsets.UTF_8), progress);
    }

    @Test void downloadsTheInputsWithProgressLines() throws IOException {
        StringBuilder stories = new StringBuilder();
        for (int i = 0; i < 450; i++) stories.append("Story ").append(i).append(": Tom saw a cat.\n<|endoftext|>\n");
        Map<String, byte[]> files = Map.of(
                "/karpathy/tinyllamas/resolve/main/stories260K/stories260K.bin", new byte[300_000],
                "/karpathy/tinyllamas/resolve/main/stories260K/tok512.bin", new byte[6_000],
                "/datasets/roneneldan/TinyStories/resolve/main/TinyStories-valid.txt", stories.toString().getBytes(StandardCharsets.UTF_8));
        HttpServer hub = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        hub.createContext("/", x -> {
            try (x) {
                byte[] body = files.get(x.getRequestURI().getRawPath());
                if (body == null) {
                    x.sendResponseHeaders(404, -1);
                } else {
                    x.sendResponseHeaders(200, body.length);
                    x.getResponseBody().write(body);
                }
            }
        });
        hub.start();
        try {
            DemoAssets.Resolved r = demo(URI.create("http://127.0.0.1:" + hub.getAddress().getPort())).resolve();
            assertEquals(DemoAssets.Origin.HUB, r.origin());
            assertEquals(300_000, Files.size(r.model()));
            assertTrue(Files.readString(r.valid()).contains("Story 449"));
        } finally {
            hub.stop(0);
        }
        String e = err.toString(StandardCharsets.UTF_8);
        assertTrue(e.contains("downloading karpathy/tinyllamas/stories260K/stories260K.bin from the Hugging Face hub"), e);
        assertTrue(e.contains("downloading roneneldan/TinyStories/TinyStories-valid.txt"), e);
        assertTrue(lines.contains("download finished 293/293 KiB"), lines.toString());
        assertEquals(3, lines.stream().filter(l -> l.startsWith("download finished")).count(), lines.toString());

        // a second resolve finds everything in the cache: no downloads, no progress
        lines.clear();
        demo(URI.create("http://127.0.0.1:1")).resolve();
        assertEquals(List.of(), lines);
    }

    @Test void anUnreachableHubIsAOneLineError() throws IOException {
        int port;
        try (ServerSocket s = new ServerSocket(0)) {
            port = s.getLocalPort(); // closed again: nothing listens there
        }
        UncheckedIOException e = assertThrows(UncheckedIOException.class,
                () -> demo(URI.create("http://127.0.0.1:" + port)).resolve());
        String message = e.getMessage();
        assertTrue(message.startsWith("cannot download the demo's model and text (no shared data folder was found): "), message);
        assertTrue(message.contains("127.0.0.1:" + port), message);
        assertTrue(message.endsWith("set LOOPUS_SHARED to a folder with models/stories260K and data/tinystories, or HF_ENDPOINT"
                + " to a reachable hub"), message);
        assertFalse(message.contains("\n"), message);
    }
}
