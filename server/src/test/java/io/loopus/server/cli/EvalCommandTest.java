package io.loopus.server.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;

import static io.loopus.server.cli.CliTest.run;
import static io.loopus.server.cli.CliTest.stories;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** eval: the JSON the trainer issue specifies, the base model beside the checkpoint, clear errors. */
class EvalCommandTest {
    @TempDir Path tmp;

    private Path data() throws Exception {
        Path p = tmp.resolve("valid.txt");
        Files.writeString(p, "Once upon a time, there was a little girl named Lily.\n<|endoftext|>\n\n<|endoftext|>\n"
                + "Tom had a red ball. He liked to play with it in the park.\nThe end.\n<|endoftext|>\n");
        return p;
    }

    @Test
    void checkpointAtSeveralLoopCountsBesideItsBase() throws Exception {
        String model = stories().resolve("stories260K.bin").toString();
        Path ckpt = tmp.resolve("lds");
        assertEquals(0, run("init", "--model", model, "--split", "1:4", "--loops", "2", "--out", ckpt.toString()).code());
        CliTest.Run r = run("eval", "--model", ckpt.toString(), "--data", data().toString(), "--loops", "1,2",
                "--base", model, "--json");
        assertEquals(0, r.code(), r.err());
        JsonNode o = new ObjectMapper().readTree(r.out());
        CliTest.Run base = run("eval", "--model", model, "--data", data().toString(), "--json");
        JsonNode b = new ObjectMapper().readTree(base.out());
        assertEquals(0, b.path("results").size());
        assertEquals(b.path("base_ppl").asDouble(), o.path("base_ppl").asDouble(), 1e-9);
        assertEquals(2, o.path("results").size());
        for (int i = 0; i < 2; i++) {
            JsonNode res = o.path("results").get(i);
            assertEquals(i + 1, res.path("loops").asInt());
            assertEquals("fixed", res.path("exit").asText());
            assertTrue(res.path("tau").isNull());
            assertEquals(i + 1, res.path("loops_mean").asDouble(), 1e-12);
            assertTrue(res.path("ppl").asDouble() > 1);
        }
        // one story: eval's perplexity is score's
        Path single = tmp.resolve("one.txt");
        Files.writeString(single, "Once upon a time, there was a little girl named Lily.\n");
        CliTest.Run e = run("eval", "--model", ckpt.toString(), "--data", single.toString(), "--loops", "2", "--json");
        CliTest.Run s = run("score", "--model", ckpt.toString(), "--exit", "fixed", "--loops", "2", "--text",
                "Once upon a time, there was a little girl named Lily.", "--json");
        assertEquals(new ObjectMapper().readTree(s.out()).path("ppl").asDouble(),
                new ObjectMapper().readTree(e.out()).path("results").get(0).path("ppl").asDouble(), 1e-9);

        CliTest.Run adaptive = run("eval", "--model", ckpt.toString(), "--data", data().toString(), "--loops", "3",
                "--exit", "threshold", "--tau", "0.5", "--json");
        assertEquals(0, adaptive.code(), adaptive.err());
        JsonNode a = new ObjectMapper().readTree(adaptive.out()).path("results").get(0);
        assertEquals(0.5, a.path("tau").asDouble());
        assertTrue(a.path("loops_mean").asDouble() >= 1 && a.path("loops_mean").asDouble() <= 3);
    }

    @Test
    void adaptiveExitsKeepTheCheckpointsMinLoopsUnlessTold() throws Exception {
        String model = stories().resolve("stories260K.bin").toString();
        Path ckpt = tmp.resolve("lds");
        assertEquals(0, run("init", "--model", model, "--split", "1:4", "--loops", "3", "--tau", "0", "--min-loops", "2",
                "--out", ckpt.toString()).code());
        // q > 0 always holds, so every token leaves at the first step it may
        CliTest.Run own = run("eval", "--model", ckpt.toString(), "--data", data().toString(), "--loops", "3",
                "--exit", "threshold", "--json");
        assertEquals(0, own.code(), own.err());
        assertEquals(2.0, new ObjectMapper().readTree(own.out()).path("results").get(0).path("loops_mean").asDouble());
        CliTest.Run told = run("eval", "--model", ckpt.toString(), "--data", data().toString(), "--loops", "3",
                "--exit", "threshold", "--min-loops", "1", "--json");
        assertEquals(1.0, new ObjectMapper().readTree(told.out()).path("results").get(0).path("loops_mean").asDouble());
        CliTest.Run bad = run("init", "--model", model, "--split", "1:4", "--loops", "3", "--min-loops", "4",
                "--out", tmp.resolve("bad").toString());
        assertEquals(2, bad.code());
        assertTrue(bad.err().contains("--min-loops must be in [1, --loops = 3], got 4"), bad.err());
    }

    @Test
    void missingOrEmptyDataIsAClearError() throws Exception {
        String model = stories().resolve("stories260K.bin").toString();
        CliTest.Run missing = run("eval", "--model", model, "--data", tmp.resolve("nope.txt").toString());
        assertEquals(2, missing.code());
        assertTrue(missing.err().contains("nope.txt") && missing.err().contains("no such file"), missing.err());
        Path empty = tmp.resolve("empty.txt");
        Files.writeString(empty, "\n<|endoftext|>\n   \n");
        CliTest.Run none = run("eval", "--model", model, "--data", empty.toString());
        assertEquals(2, none.code());
        assertTrue(none.err().contains("no usable text"), none.err());
        assertFalse(none.err().contains("\tat "), none.err());
    }
}
