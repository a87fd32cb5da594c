package io.loopus.server.client;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.loopus.server.cli.CliTest;
import io.loopus.server.serve.TestServer;
import io.loopus.worker.generate.Generator;
import io.loopus.worker.generate.SamplingParams;
import io.loopus.worker.loop.ExitPolicy;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The client commands against the real server (stories260K looped with its initial gate). */
class RealServerCliTest {
    private static TestServer t;
    private static String address;
    private static final ObjectMapper JSON = new ObjectMapper();

    @BeforeAll
    static void start() {
        t = TestServer.start(TestServer.looped(ExitPolicy.fixed(3)), "");
        address = "127.0.0.1:" + t.server.port();
    }

    @AfterAll
    static void stop() {
        if (t != null) t.close();
    }

    @Test
    void generateThroughTheServerEqualsOfflineGenerate() throws Exception {
        CliTest.Run r = CliTest.run("generate", "--server", address, "--max-new-tokens", "20", "--trace", "--json", "Once upon a time");
        assertEquals(0, r.code(), r.err());
        JsonNode o = JSON.readTree(r.out());
        int[] ids = JSON.convertValue(o.get("ids"), int[].class);
        int[] want = new Generator(t.model.model()).generate(t.model.tokenizer().encode("Once upon a time", true), 20,
                SamplingParams.greedy(), null).ids();
        assertArrayEquals(want, ids);
        assertEquals(3, o.get("trace").get(0).get("depth").asInt());
    }

    @Test
    void benchReportsEveryStageBusy() throws Exception {
        CliTest.Run r = CliTest.run("bench", "--server", address, "--concurrency", "8", "--requests", "16", "--max-new-tokens", "16", "--json");
        assertEquals(0, r.code(), r.err());
        JsonNode o = JSON.readTree(r.out());
        assertEquals(16, o.get("completed").asInt());
        assertEquals(3.0, o.get("loop_passes_per_token").asDouble(), 1e-9);
        for (String stage : List.of("encoder", "loop", "decoder")) {
            assertTrue(o.get("stage_busy").get(stage).asDouble() > 0, stage + " worked: " + r.out());
        }
    }

    @Test
    void batchRunsEveryLineOnceAndResumes(@TempDir Path dir) throws Exception {
        List<String> lines = new ArrayList<>();
        for (int i = 0; i < 20; i++) lines.add("{\"id\": " + i + ", \"prompt\": \"Once upon a time " + i + "\", \"max_new_tokens\": 8}");
        lines.add("{\"id\": \"empty\", \"prompt\": \"\"}");
        lines.add("not json");
        Path in = Files.write(dir.resolve("prompts.jsonl"), lines), out = dir.resolve("results.jsonl");
        CliTest.Run r = CliTest.run("batch", "--server", address, "--input", in.toString(), "--output", out.toString(), "--concurrency", "4");
        assertEquals(0, r.code(), r.err());
        assertTrue(r.err().contains("line 22"), r.err());
        List<String> results = Files.readAllLines(out);
        assertEquals(21, results.size());
        JsonNode empty = results.stream().map(l -> { try { return JSON.readTree(l); } catch (Exception e) { throw new RuntimeException(e); } })
                .filter(n -> n.get("id").asText().equals("empty")).findFirst().orElseThrow();
        assertEquals("INVALID_ARGUMENT", empty.get("error").get("code").asText());
        long before = t.server.statistics().completed();
        CliTest.Run again = CliTest.run("batch", "--server", address, "--input", in.toString(), "--output", out.toString());
        assertEquals(0, again.code(), again.err());
        assertEquals(21, Files.readAllLines(out).size(), "nothing twice");
        assertEquals(before, t.server.statistics().completed(), "nothing rerun");
    }
}
