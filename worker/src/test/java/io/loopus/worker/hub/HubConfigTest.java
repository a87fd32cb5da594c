package io.loopus.worker.hub;

import org.junit.jupiter.api.Test;

import java.net.URI;
import java.nio.file.Path;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The environment rules, checked on a given map (never the real environment or home). */
class HubConfigTest {
    static final Path HOME = Path.of("/home/someone");

    @Test
    void defaults() {
        HubConfig c = HubConfig.fromEnvironment(Map.of(), HOME);
        assertEquals(URI.create("https://huggingface.co"), c.endpoint());
        assertNull(c.token());
        assertFalse(c.hasToken());
        assertEquals(Path.of("/home/someone/.cache/loopus"), c.cacheRoot());
    }

    @Test
    void cacheRootPrefersLoopusCacheThenXdg() {
        assertEquals(Path.of("/x/loopus"), HubConfig.fromEnvironment(Map.of("XDG_CACHE_HOME", "/x"), HOME).cacheRoot());
        assertEquals(Path.of("/c"), HubConfig.fromEnvironment(
                Map.of("XDG_CACHE_HOME", "/x", "LOOPUS_CACHE", "/c"), HOME).cacheRoot());
        assertEquals(Path.of("/home/someone/.cache/loopus"), HubConfig.fromEnvironment(
                Map.of("XDG_CACHE_HOME", " ", "LOOPUS_CACHE", ""), HOME).cacheRoot());
    }

    @Test
    void endpointAndToken() {
        HubConfig c = HubConfig.fromEnvironment(Map.of("HF_ENDPOINT", "http://mirror.local:8080/", "HF_TOKEN", "hf_abc\n"), HOME);
        assertEquals(URI.create("http://mirror.local:8080"), c.endpoint());
        assertEquals("hf_abc", c.token());
        assertTrue(c.hasToken());
        assertFalse(c.toString().contains("hf_abc"), c.toString());
        assertFalse(HubConfig.fromEnvironment(Map.of("HF_TOKEN", "  "), HOME).hasToken());
        assertThrows(IllegalArgumentException.class, () -> new HubConfig(URI.create("ftp://x"), null, HOME));
    }
}
