package io.loopus.worker.hub;

import java.net.URI;
import java.nio.file.Path;
import java.util.Map;

/**
 * Where to download from, with which credentials, into which cache. Tests build one directly;
 * the command line uses {@link #fromEnvironment()}, which reads the same variables as huggingface_hub.
 *
 * @param endpoint  hub base URL, e.g. {@code https://huggingface.co}
 * @param token     access token sent as {@code Authorization: Bearer}, or null
 * @param cacheRoot folder that holds {@code hub/...}
 */
public record HubConfig(URI endpoint, String token, Path cacheRoot) {
    public static final String DEFAULT_ENDPOINT = "https://huggingface.co";

    public HubConfig {
        if (endpoint == null || cacheRoot == null) throw new IllegalArgumentException("endpoint and cache root are required");
        String scheme = endpoint.getScheme();
        if (!"http".equals(scheme) && !"https".equals(scheme) || endpoint.getHost() == null)
            throw new IllegalArgumentException("hub endpoint must be an http(s) URL, got " + endpoint);
        // "https://host/" and "https://host" must give the same file URLs.
        String e = endpoint.toString();
        while (e.endsWith("/")) e = e.substring(0, e.length() - 1);
        endpoint = URI.create(e);
        if (token != null && token.isBlank()) token = null;
        if (token != null) token = token.strip();
    }

    /** {@code $HF_ENDPOINT}, {@code $HF_TOKEN}, and {@code $LOOPUS_CACHE} / {@code $XDG_CACHE_HOME/loopus} / {@code ~/.cache/loopus}. */
    public static HubConfig fromEnvironment() {
        return fromEnvironment(System.getenv(), Path.of(System.getProperty("user.home")));
    }

    static HubConfig fromEnvironment(Map<String, String> env, Path home) {
        String endpoint = nonBlank(env.get("HF_ENDPOINT"));
        return new HubConfig(URI.create(endpoint != null ? endpoint : DEFAULT_ENDPOINT), env.get("HF_TOKEN"),
                cacheRoot(env, home));
    }

    static Path cacheRoot(Map<String, String> env, Path home) {
        String loopus = nonBlank(env.get("LOOPUS_CACHE"));
        if (loopus != null) return Path.of(loopus);
        String xdg = nonBlank(env.get("XDG_CACHE_HOME"));
        if (xdg != null) return Path.of(xdg, "loopus");
        return home.resolve(".cache").resolve("loopus");
    }

    public boolean hasToken() {
        return token != null;
    }

    /** Never prints the token (records print every component by default). */
    @Override
    public String toString() {
        return "HubConfig[endpoint=" + endpoint + ", token=" + (token == null ? "none" : "***") + ", cacheRoot=" + cacheRoot + "]";
    }

    private static String nonBlank(String s) {
        return s == null || s.isBlank() ? null : s.strip();
    }
}
