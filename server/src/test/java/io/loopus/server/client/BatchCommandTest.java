package io.loopus.server.client;

import com.fasterxml.jackson.databind.JsonNode;
import io.loopus.server.cli.CliTest;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** {@code batch} against the scripted server: results, errors, malformed input, resuming. */
class BatchCommandTest {
    ScriptedLoopus scripted;

    @TempDir Path tmp;

    @BeforeEach void up() throws Exception {
        scripted = new ScriptedLoopus();
    }

    @AfterEach void down() throws Exception {
        scripted.close();
    }

    Path input(String... lines) throws Exception {
        Path in = tmp.resolve("prompts.jsonl");
        Files.writeString(in, String.join("\n", lines) + "\n");
        return in;
    }

    CliTest.Run batch(Path in, Path out, String... more) {
        String[] base = {"batch", "--server", scripted.address(), "--input", in.toString(), "--output", out.toString()};
        String[] args = new String[base.length + more.length];
        System.arraycopy(base, 0, args, 0, base.length);
        System.arraycopy(more, 0, args, base.length, more.length);
        return CliTest.run(args);
    }

    static Map<String, JsonNode> byId(Path out) throws Exception {
        Map<String, JsonNode> m = new HashMap<>();
        for (String line : Files.readAllLines(out)) {
            JsonNode o = ClientJson.MAPPER.readTree(line);
            assertFalse(m.containsKey(o.path("id").asText()), "one line per id: " + line);
            m.put(o.path("id").asText(), o);
        }
        return m;
    }

    @Test
    void everyIdGetsALineAndMalformedLinesAreSkipped() throws Exception {
        Path in = input(
                "{\"id\": \"a\", \"prompt\": \"hello\"}",
                "{\"id\": 2, \"prompt\": \"abcdef\", \"max_new_tokens\": 3, \"trace\": true, \"temperature\": 0.5, \"stop\": [\"q\"]}",
                "not json",
                "{\"prompt\": \"no id\"}",
                "",
                "{\"id\": \"a\", \"prompt\": \"duplicate\"}",
                "{\"id\": \"e\", \"prompt\": \"\"}",
                "{\"id\": \"t\", \"prompt\": \"x\", \"top_k\": \"many\"}",
                "{\"id\": \"m\", \"prompt\": \"xy\", \"note\": \"kept aside\"}");
        Path out = tmp.resolve("results.jsonl");
        CliTest.Run r = batch(in, out, "--concurrency", "2");
        assertEquals(0, r.code(), r.err());
        assertTrue(r.err().contains("line 3: not JSON"), r.err());
        assertTrue(r.err().contains("line 4: needs an \"id\""), r.err());
        assertTrue(r.err().contains("line 6: duplicate id \"a\" (first on line 1)"), r.err());
        assertTrue(r.err().contains("line 8: \"top_k\" must be an integer"), r.err());
        assertTrue(r.err().contains("line 9: ignoring unknown field \"note\""), r.err());
        assertTrue(r.err().contains("batch: 3 done, 0 skipped"), r.err());
        assertTrue(r.err().contains("1 failed, 4 malformed"), r.err());

        Map<String, JsonNode> res = byId(out);
        assertEquals(List.of("2", "a", "e", "m"), res.keySet().stream().sorted().toList());
        assertEquals("olleh", res.get("a").path("text").asText());
        assertEquals("stop", res.get("a").path("finish_reason").asText());
        assertEquals(5, res.get("a").path("token_ids").size());
        assertEquals(5, res.get("a").path("usage").path("completion_tokens").asInt());
        JsonNode two = res.get("2");
        assertTrue(two.path("id").isNumber(), "the id keeps its JSON type");
        assertEquals("fed", two.path("text").asText());
        assertEquals("length", two.path("finish_reason").asText());
        assertEquals(3, two.path("trace").size());
        assertEquals("INVALID_ARGUMENT", res.get("e").path("error").path("code").asText());
        assertEquals("prompt is empty", res.get("e").path("error").path("message").asText());
        assertEquals(4, scripted.batchRequests.get());
        assertTrue(scripted.maxOutstanding.get() <= 2, "at most --concurrency outstanding, saw " + scripted.maxOutstanding.get());
    }

    @Test
    void keepsAtMostConcurrencyOutstanding() throws Exception {
        String[] lines = new String[40];
        for (int i = 0; i < lines.length; i++) lines[i] = "{\"id\": " + i + ", \"prompt\": \"p" + i + "\"}";
        Path out = tmp.resolve("results.jsonl");
        CliTest.Run r = batch(input(lines), out, "--concurrency", "3");
        assertEquals(0, r.code(), r.err());
        assertEquals(40, byId(out).size());
        assertTrue(scripted.maxOutstanding.get() <= 3, "saw " + scripted.maxOutstanding.get());
        assertTrue(scripted.maxOutstanding.get() >= 2, "requests should overlap, saw " + scripted.maxOutstanding.get());
    }

    @Test
    void rerunSkipsFinishedIdsAndRepairsATornLine() throws Exception {
        Path in = input("{\"id\": \"a\", \"prompt\": \"one\"}", "{\"id\": \"b\", \"prompt\": \"two\"}",
                "{\"id\": \"c\", \"prompt\": \"three\"}", "{\"id\": \"d\", \"prompt\": \"\"}");
        Path out = tmp.resolve("results.jsonl");
        assertEquals(0, batch(in, out).code());
        assertEquals(4, scripted.batchRequests.get());

        CliTest.Run again = batch(in, out);
        assertEquals(0, again.code(), again.err());
        assertEquals(4, scripted.batchRequests.get(), "the second run sends nothing");
        assertTrue(again.err().contains("0 done, 4 skipped"), again.err());

        // drop c's line and leave half of it, as a run killed mid-write would
        List<String> lines = Files.readAllLines(out);
        String c = lines.stream().filter(l -> l.contains("\"c\"")).findFirst().orElseThrow();
        StringBuilder torn = new StringBuilder();
        for (String l : lines) if (!l.equals(c)) torn.append(l).append('\n');
        torn.append(c, 0, c.length() / 2);
        Files.writeString(out, torn.toString(), StandardCharsets.UTF_8);

        CliTest.Run repaired = batch(in, out);
        assertEquals(0, repaired.code(), repaired.err());
        assertTrue(repaired.err().contains("cut off an unfinished last line"), repaired.err());
        assertTrue(repaired.err().contains("1 done, 3 skipped"), repaired.err());
        assertEquals(5, scripted.batchRequests.get(), "only c again");
        Map<String, JsonNode> res = byId(out);
        assertEquals(4, res.size());
        assertEquals("eerht", res.get("c").path("text").asText());
    }

    @Test
    void aFailedStreamKeepsItsResultsAndExitsWithOne() throws Exception {
        String[] lines = new String[6];
        for (int i = 0; i < lines.length; i++) lines[i] = "{\"id\": \"r" + i + "\", \"prompt\": \"prompt " + i + "\"}";
        Path in = input(lines);
        Path out = tmp.resolve("results.jsonl");
        scripted.failBatchAfter = 2;
        CliTest.Run r = batch(in, out, "--concurrency", "1");
        assertEquals(1, r.code(), r.err());
        assertTrue(r.err().contains("UNAVAILABLE: scripted server going away"), r.err());
        assertTrue(r.err().contains("rerun the same command"), r.err());
        assertEquals(2, Files.readAllLines(out).size());

        scripted.failBatchAfter = 0;
        int sent = scripted.batchRequests.get();
        CliTest.Run rerun = batch(in, out, "--concurrency", "1");
        assertEquals(0, rerun.code(), rerun.err());
        assertTrue(rerun.err().contains("4 done, 2 skipped"), rerun.err());
        assertEquals(4, scripted.batchRequests.get() - sent);
        assertEquals(6, byId(out).size());
    }

    @Test
    void aForeignOutputFileIsRefused() throws Exception {
        Path in = input("{\"id\": \"a\", \"prompt\": \"one\"}");
        Path out = tmp.resolve("results.jsonl");
        Files.writeString(out, "hello\n");
        CliTest.Run r = batch(in, out);
        assertEquals(2, r.code());
        assertTrue(r.err().contains("line 1: not a result line"), r.err());
        assertEquals("hello\n", Files.readString(out));
    }
}
