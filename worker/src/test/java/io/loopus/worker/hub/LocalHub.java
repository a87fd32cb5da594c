package io.loopus.worker.hub;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;

import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * A local HTTP server with the hub's URL layout: each path answers with bytes, a redirect, an error
 * status, or a body cut short. Records every request so tests can count them and read headers.
 */
final class LocalHub implements AutoCloseable {
    /** A request as the server saw it. */
    record Request(String path, String host, String authorization) {}

    @FunctionalInterface
    interface Answer {
        void handle(HttpExchange x) throws IOException;
    }

    private final HttpServer server;
    private final Map<String, Answer> answers = new ConcurrentHashMap<>();
    final List<Request> requests = new CopyOnWriteArrayList<>();

    LocalHub() throws IOException {
        server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        server.createContext("/", x -> {
            try (x) {
                String path = x.getRequestURI().getRawPath();
                requests.add(new Request(path, x.getRequestHeaders().getFirst("Host"),
                        x.getRequestHeaders().getFirst("Authorization")));
                Answer a = answers.get(path);
                if (a == null) {
                    x.getResponseHeaders().add("X-Error-Code", "EntryNotFound");
                    x.sendResponseHeaders(404, -1);
                } else {
                    a.handle(x);
                }
            }
        });
        server.start();
    }

    int port() {
        return server.getAddress().getPort();
    }

    URI endpoint() {
        return URI.create("http://127.0.0.1:" + port());
    }

    HubClient client(Path cacheRoot, String token) {
        return new HubClient(new HubConfig(endpoint(), token, cacheRoot));
    }

    LocalHub serve(String path, byte[] body) {
        answers.put(path, x -> {
            x.sendResponseHeaders(200, body.length);
            x.getResponseBody().write(body);
        });
        return this;
    }

    /** Answers 302 to {@code location} (a path on this server, or a whole URL: a CDN on another host). */
    LocalHub redirect(String path, String location) {
        answers.put(path, x -> {
            x.getResponseHeaders().add("Location", location);
            x.sendResponseHeaders(302, -1);
        });
        return this;
    }

    LocalHub status(String path, int status, String hubMessage) {
        answers.put(path, x -> {
            if (hubMessage != null) x.getResponseHeaders().add("X-Error-Message", hubMessage);
            x.sendResponseHeaders(status, -1);
        });
        return this;
    }

    /** Promises {@code body.length} bytes, sends the first {@code sent}, then drops the connection. */
    LocalHub truncated(String path, byte[] body, int sent) {
        answers.put(path, x -> {
            x.sendResponseHeaders(200, body.length);
            OutputStream out = x.getResponseBody();
            out.write(body, 0, sent);
            out.flush();
            // Closing the exchange short of Content-Length makes the server close the connection.
        });
        return this;
    }

    long count(String path) {
        return requests.stream().filter(r -> r.path().equals(path)).count();
    }

    Request last(String path) {
        Request last = null;
        for (Request r : requests) if (r.path().equals(path)) last = r;
        return last;
    }

    @Override
    public void close() {
        server.stop(0);
    }

    /** Deterministic non-text bytes, different for each seed. */
    static byte[] bytes(int n, int seed) {
        byte[] b = new byte[n];
        int s = seed * 7919 + 17;
        for (int i = 0; i < n; i++) {
            s = s * 1103515245 + 12345;
            b[i] = (byte) (s >>> 16);
        }
        return b;
    }
}
