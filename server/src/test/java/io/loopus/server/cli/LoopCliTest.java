package io.loopus.server.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.Test;

import static io.loopus.server.cli.CliTest.run;
import static io.loopus.server.cli.CliTest.stories;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The loop flags of generate and score on stories260K looped with its initial gate (--split). */
class LoopCliTest {
    private static String model() { return stories().resolve("stories260K.bin").toString(); }

    @Test
    void generateJsonCarriesTheTraceAndTheFlagsShapeIt() throws Exception {
        CliTest.Run r = run("generate", "--model", model(), "--split", "1:4", "--loops", "3", "--exit", "threshold",
                "--tau", "0.5", "--min-loops", "2", "--max-new-tokens", "10", "--trace", "--json", "Once upon a time");
        assertEquals(0, r.code(), r.err());
        JsonNode o = new ObjectMapper().readTree(r.out());
        JsonNode trace = o.path("trace");
        assertEquals(o.path("ids").size(), trace.size());
        for (JsonNode t : trace) {
            int depth = t.path("depth").asInt();
            assertTrue(depth >= 2 && depth <= 3, "depth " + depth + " outside [min-loops, loops]");
            assertEquals(depth, t.path("q").size());
            assertEquals(depth, t.path("mean_abar").size());
            if (depth == 2) assertTrue(t.path("q").get(1).asDouble() > 0.5, "exited at 2 without q > tau: " + t);
        }
    }

    @Test
    void fixedLoopsGiveThatDepthAndScoreReportsIt() throws Exception {
        CliTest.Run r = run("score", "--model", model(), "--split", "1:4", "--exit", "fixed", "--loops", "2",
                "--kv-policy", "shared", "--text", "Once upon a time, there was a girl.", "--json");
        assertEquals(0, r.code(), r.err());
        assertEquals(2.0, new ObjectMapper().readTree(r.out()).path("loops_mean").asDouble());
        CliTest.Run text = run("generate", "--model", model(), "--split", "1:4", "--exit", "fixed", "--loops", "2",
                "--max-new-tokens", "4", "--trace", "Once");
        assertEquals(0, text.code(), text.err());
        assertTrue(text.err().contains("depth"), text.err());
    }

    @Test
    void loopFlagsOnABaseModelAndBadValuesAreClearErrors() {
        assertError(run("score", "--model", model(), "--loops", "3", "--text", "hi"), "need a LoopUS checkpoint");
        assertError(run("score", "--model", model(), "--split", "1:4", "--exit", "sometimes", "--text", "hi"), "sometimes");
        assertError(run("score", "--model", model(), "--split", "3:2", "--text", "hi"), "split 3:2");
        assertError(run("score", "--model", model(), "--split", "1:4", "--kv-policy", "all", "--text", "hi"), "KV policy");
        assertError(run("score", "--model", model(), "--split", "1:4", "--loops", "2", "--min-loops", "3", "--text", "hi"),
                "--min-loops");
    }

    private static void assertError(CliTest.Run r, String fragment) {
        assertEquals(2, r.code(), r.out() + r.err());
        assertFalse(r.err().contains("\tat "), r.err());
        assertTrue(r.err().contains(fragment), "'" + fragment + "' not in: " + r.err());
    }
}
