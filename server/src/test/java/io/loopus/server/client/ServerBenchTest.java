package io.loopus.server.client;

import com.fasterxml.jackson.databind.JsonNode;
import io.loopus.server.cli.CliTest;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** {@code bench --server} against the scripted server. */
class ServerBenchTest {
    static ScriptedLoopus scripted;

    @TempDir Path tmp;

    @BeforeAll static void up() throws Exception {
        scripted = new ScriptedLoopus();
    }

    @AfterAll static void down() throws Exception {
        scripted.close();
    }

    @Test
    void jsonNumbersAreConsistent() throws Exception {
        int callsBefore = scripted.generateCalls.get();
        CliTest.Run r = CliTest.run("bench", "--server", scripted.address(), "--concurrency", "4", "--requests", "24",
                "--max-new-tokens", "6", "--trace", "--json");
        assertEquals(0, r.code(), r.err());
        JsonNode o = ClientJson.MAPPER.readTree(r.out());
        assertEquals(24, o.path("completed").asInt());
        assertEquals(0, o.path("failed").asInt());
        assertEquals(24, scripted.generateCalls.get() - callsBefore);
        double seconds = o.path("seconds").asDouble();
        assertTrue(seconds > 0);
        // every default prompt is longer than 6 characters, so every request gives 6 tokens
        assertEquals(24 * 6 / seconds, o.path("tokens_per_second").asDouble(), 1e-6 * o.path("tokens_per_second").asDouble());
        assertEquals(24 / seconds, o.path("requests_per_second").asDouble(), 1e-9 * 24 / seconds);
        assertTrue(o.path("ttft_ms").path("p50").asDouble() <= o.path("ttft_ms").path("p99").asDouble());
        assertTrue(o.path("itl_ms").path("p50").asDouble() >= 0);
        assertEquals(3.0, o.path("loop_passes_per_token").asDouble(), 1e-12);
        JsonNode h = o.path("depth_histogram"); // depths 1, 2, 3, 1, 2, 3 per request
        assertEquals(48, h.path("1").asLong());
        assertEquals(48, h.path("2").asLong());
        assertEquals(48, h.path("3").asLong());
        // the scripted's busy seconds grow by 0.25 / 0.5 / 0.125 between the two ModelInfo calls
        assertEquals(0.5 / seconds, o.path("stage_busy").path("loop").asDouble(), 1e-9);
        assertEquals(0.25 / seconds, o.path("stage_busy").path("encoder").asDouble(), 1e-9);
        assertEquals(0.125 / seconds, o.path("stage_busy").path("decoder").asDouble(), 1e-9);
        assertEquals("depth-wise", o.path("batching").asText());
    }

    @Test
    void failuresAreCountedByCodeAndTheTableIsPrinted() throws Exception {
        Path prompts = tmp.resolve("prompts.txt");
        Files.writeString(prompts, "ab\n\nxyz\n");
        CliTest.Run r = CliTest.run("bench", "--server", scripted.address(), "--concurrency", "2", "--requests", "4", "--prompts", prompts.toString());
        assertEquals(0, r.code(), r.err());
        assertTrue(r.out().contains("4 completed, 0 failed"), r.out());
        assertTrue(r.out().contains("stage busy") && r.out().contains("loop "), r.out());

        r = CliTest.run("bench", "--server", scripted.address(), "--requests", "3", "--prompt", "", "--json");
        assertEquals(0, r.code(), r.err());
        JsonNode o = ClientJson.MAPPER.readTree(r.out());
        assertEquals(0, o.path("completed").asInt());
        assertEquals(3, o.path("failed").asInt());
        assertEquals(3, o.path("failed_by_code").path("INVALID_ARGUMENT").asInt());
        assertTrue(o.path("ttft_ms").path("p50").isNull());
    }

    @Test
    void offlineAndServerFlagsDoNotMix() {
        CliTest.Run r = CliTest.run("bench", "--server", scripted.address(), "--seconds", "1");
        assertEquals(2, r.code());
        assertTrue(r.err().contains("--seconds"), r.err());
        r = CliTest.run("bench", "--random-model", "dim=8,hidden=16,layers=1,heads=1,kv-heads=1,vocab=32,seq=16", "--concurrency", "2");
        assertEquals(2, r.code());
        assertTrue(r.err().contains("need --server"), r.err());
    }
}
