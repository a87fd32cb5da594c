package io.loopus.worker.hub;

import io.loopus.worker.io.AtomicFiles;

import java.io.IOException;
import java.io.InputStream;
import java.io.InterruptedIOException;
import java.io.OutputStream;
import java.net.ConnectException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpConnectTimeoutException;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.HttpTimeoutException;
import java.nio.channels.UnresolvedAddressException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.util.HexFormat;
import java.util.Objects;
import java.util.Optional;

/**
 * Downloads single files of hub repositories into a local cache, as huggingface_hub does from the
 * user's side: {@code GET {endpoint}/[datasets/]{repo}/resolve/{revision}/{path}}, following the
 * hub's redirects to its CDN. A cached file is never fetched again; a download appears in the cache
 * whole or not at all. Every failure is an {@link IOException} whose message names the URL.
 */
public final class HubClient {
    private static final int MAX_REDIRECTS = 10;
    private static final Duration CONNECT_TIMEOUT = Duration.ofSeconds(30);
    // Covers the wait for the response headers only; the body may take as long as it needs.
    private static final Duration RESPONSE_TIMEOUT = Duration.ofMinutes(2);
    private static final int CHUNK = 1 << 16;

    private final HubConfig config;
    private final HttpClient http;

    public HubClient(HubConfig config) {
        this.config = Objects.requireNonNull(config, "config");
        // Redirects are followed by hand (see send): the JDK client would forward the bearer token to
        // the CDN's host, which leaks it and makes pre-signed storage URLs refuse the request.
        this.http = HttpClient.newBuilder()
                .followRedirects(HttpClient.Redirect.NEVER)
                .connectTimeout(CONNECT_TIMEOUT)
                .build();
    }

    public static HubClient fromEnvironment() {
        return new HubClient(HubConfig.fromEnvironment());
    }

    public HubConfig config() {
        return config;
    }

    /** The URL the file is fetched from. */
    public URI url(HubFile file) {
        return URI.create(config.endpoint() + "/" + file.resolvePath());
    }

    /** Where the file is (or will be) in the cache. */
    public Path cachePath(HubFile file) {
        return config.cacheRoot().resolve(file.cachePath());
    }

    /** The cached file, if it is there (and has the expected size, when one is given). */
    public Optional<Path> cached(HubFile file) throws IOException {
        Path target = cachePath(file);
        if (!Files.isRegularFile(target)) return Optional.empty();
        // A size mismatch means the hub copy changed or the check is new: fetch again.
        if (file.expectedSize() >= 0 && Files.size(target) != file.expectedSize()) return Optional.empty();
        return Optional.of(target);
    }

    public Path download(HubFile file) throws IOException {
        return download(file, DownloadProgress.NONE);
    }

    /** The file's path in the cache, downloading it first unless it is already there. */
    public Path download(HubFile file, DownloadProgress progress) throws IOException {
        Optional<Path> hit = cached(file);
        if (hit.isPresent()) return hit.get();
        Path target = cachePath(file);
        try {
            Files.createDirectories(target.getParent());
        } catch (IOException e) {
            throw new IOException("cannot create the cache folder " + target.getParent() + " (" + e
                    + "); set LOOPUS_CACHE to a writable folder", e);
        }
        // Streamed into a temporary beside the target, renamed into place only when complete and checked.
        AtomicFiles.writeFile(target, temp -> fetch(file, temp, progress));
        return target;
    }

    private void fetch(HubFile file, Path temp, DownloadProgress progress) throws IOException {
        URI url = url(file);
        HttpResponse<InputStream> response = send(url);
        String where = "GET " + url + (response.uri().equals(url) ? "" : " (redirected to " + response.uri() + ")");
        try (InputStream in = response.body()) {
            if (response.statusCode() != 200) throw statusError(file, where, response);
            long total = response.headers().firstValueAsLong("Content-Length").orElse(-1);
            MessageDigest sha = file.sha256() == null ? null : sha256();
            long done = copy(in, temp, where, total, sha, progress);
            progress.update(done, total);
            if (total >= 0 && done != total)
                throw new IOException(where + ": connection closed after " + done + " of " + total + " bytes");
            if (file.expectedSize() >= 0 && done != file.expectedSize())
                throw new IOException(where + ": got " + done + " bytes, expected " + file.expectedSize());
            if (sha != null) {
                String got = HexFormat.of().formatHex(sha.digest());
                if (!got.equals(file.sha256()))
                    throw new IOException(where + ": sha256 " + got + " does not match the expected " + file.sha256());
            }
        }
    }

    /** Streams the body into {@code temp}; read failures name the URL, write failures the file. */
    private static long copy(InputStream in, Path temp, String where, long total, MessageDigest sha,
                             DownloadProgress progress) throws IOException {
        byte[] buf = new byte[CHUNK];
        long done = 0;
        try (OutputStream out = Files.newOutputStream(temp)) {
            while (true) {
                int n;
                try {
                    n = in.read(buf);
                } catch (IOException e) {
                    throw new IOException(where + ": connection lost after " + done + " of "
                            + (total >= 0 ? total + " bytes" : "? bytes") + " (" + e.getMessage() + ")", e);
                }
                if (n < 0) return done;
                try {
                    out.write(buf, 0, n);
                } catch (IOException e) {
                    throw new IOException(where + ": cannot write " + temp + " (" + e + ")", e);
                }
                if (sha != null) sha.update(buf, 0, n);
                done += n;
                progress.update(done, total);
            }
        }
    }

    /**
     * GETs {@code url}, following redirects as the {@code requests} library does for huggingface_hub:
     * the token goes only to the endpoint's own host, never to a CDN host, and https never drops to http.
     */
    private HttpResponse<InputStream> send(URI url) throws IOException {
        URI current = url;
        for (int hop = 0; ; hop++) {
            HttpRequest.Builder request = HttpRequest.newBuilder(current).GET().timeout(RESPONSE_TIMEOUT)
                    .header("User-Agent", "loopus (java.net.http)");
            if (config.hasToken() && sameOrigin(current, config.endpoint()))
                request.header("Authorization", "Bearer " + config.token());
            HttpResponse<InputStream> response = exchange(url, current, request.build());
            if (!isRedirect(response.statusCode())) return response;
            response.body().close();
            if (hop == MAX_REDIRECTS) throw new IOException("GET " + url + ": more than " + MAX_REDIRECTS + " redirects");
            String location = response.headers().firstValue("Location").orElseThrow(() -> new IOException(
                    "GET " + url + ": HTTP " + response.statusCode() + " redirect without a Location header"));
            URI next;
            try {
                next = current.resolve(location);
            } catch (IllegalArgumentException e) {
                throw new IOException("GET " + url + ": redirect to an invalid URL \"" + location + "\"", e);
            }
            if ("https".equals(current.getScheme()) && !"https".equals(next.getScheme()))
                throw new IOException("GET " + url + ": refusing a redirect from https to " + next);
            current = next;
        }
    }

    private HttpResponse<InputStream> exchange(URI url, URI current, HttpRequest request) throws IOException {
        String where = "GET " + url + (current.equals(url) ? "" : " (redirected to " + current + ")");
        try {
            return http.send(request, HttpResponse.BodyHandlers.ofInputStream());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new InterruptedIOException(where + ": interrupted");
        } catch (HttpConnectTimeoutException e) {
            throw new IOException(where + ": cannot connect to " + current.getAuthority() + " (timed out)", e);
        } catch (HttpTimeoutException e) {
            throw new IOException(where + ": no response within " + RESPONSE_TIMEOUT.toSeconds() + " s", e);
        } catch (ConnectException e) {
            throw new IOException(where + ": cannot connect to " + current.getAuthority() + " ("
                    + (causedBy(e, UnresolvedAddressException.class) ? "unknown host"
                       : e.getMessage() != null ? e.getMessage() : "connection refused") + ")", e);
        } catch (IOException e) {
            throw new IOException(where + ": " + (e.getMessage() != null ? e.getMessage() : e.getClass().getSimpleName()), e);
        }
    }

    private IOException statusError(HubFile file, String where, HttpResponse<?> response) {
        int status = response.statusCode();
        // The hub explains itself in these headers (e.g. "GatedRepo", "Access to model ... is restricted").
        String hubSays = response.headers().firstValue("X-Error-Message")
                .or(() -> response.headers().firstValue("X-Error-Code"))
                .map(m -> " Hub says: " + m.strip()).orElse("");
        String what = switch (status) {
            case 401, 403 -> config.hasToken()
                    ? "access refused with the HF_TOKEN given; check that the token can read " + file.repo()
                      + " (gated repositories need their terms accepted on the website)."
                    : file.repo() + " needs HF_TOKEN (it is private or gated, or does not exist); set HF_TOKEN to"
                      + " an access token.";
            case 404 -> "not found: " + file.describe() + " (check the repository, revision and path).";
            default -> "unexpected response for " + file.describe() + ".";
        };
        return new IOException(where + ": HTTP " + status + ", " + what + hubSays);
    }

    private static boolean causedBy(Throwable e, Class<? extends Throwable> kind) {
        for (Throwable t = e; t != null; t = t.getCause()) if (kind.isInstance(t)) return true;
        return false;
    }

    private static boolean isRedirect(int status) {
        return status == 301 || status == 302 || status == 303 || status == 307 || status == 308;
    }

    private static boolean sameOrigin(URI a, URI b) {
        return a.getHost() != null && a.getHost().equalsIgnoreCase(b.getHost()) && port(a) == port(b);
    }

    private static int port(URI u) {
        return u.getPort() >= 0 ? u.getPort() : "https".equals(u.getScheme()) ? 443 : 80;
    }

    private static MessageDigest sha256() {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is missing from this JDK", e);
        }
    }
}
