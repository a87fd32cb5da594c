package io.loopus.server.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.loopus.worker.load.SharedData;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The command line as a user runs it: output formats, exit codes, one-line errors. */
public class CliTest {
    @TempDir Path tmp;

    public record Run(int code, String out, String err) {}

    /** Runs the command line in this JVM with its output captured (one at a time: stdout and stderr are global). */
    public static synchronized Run run(String... args) {
        PrintStream oldOut = System.out, oldErr = System.err;
        ByteArrayOutputStream out = new ByteArrayOutputStream(), err = new ByteArrayOutputStream();
        System.setOut(new PrintStream(out, true, StandardCharsets.UTF_8));
        System.setErr(new PrintStream(err, true, StandardCharsets.UTF_8));
        try {
            int code = LoopusCli.run(args);
            return new Run(code, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
        } finally {
            System.setOut(oldOut);
            System.setErr(oldErr);
        }
    }

    static Path stories() {
        Path shared = SharedData.locate().orElse(null);
        Assumptions.assumeTrue(shared != null, "skipped: ../shared (or $LOOPUS_SHARED) is not present");
        return shared.resolve("models/stories260K");
    }

    static JsonNode golden() throws Exception {
        return new ObjectMapper().readTree(stories().resolve("golden.json").toFile());
    }

    @Test
    void generateJsonMatchesGolden() throws Exception {
        JsonNode c = golden().path("cases").get(0);
        Run r = run("generate", "--model", stories().resolve("stories260K.bin").toString(), "--max-new-tokens", "80",
                "--json", c.path("prompt").asText());
        assertEquals(0, r.code(), r.err());
        JsonNode o = new ObjectMapper().readTree(r.out());
        assertEquals(c.path("prompt_ids"), o.path("prompt_ids"));
        JsonNode greedy = c.path("greedy_ids");
        assertEquals(80, o.path("ids").size());
        for (int i = 0; i < 80; i++) assertEquals(greedy.get(5 + i).asInt(), o.path("ids").get(i).asInt());
        assertTrue(c.path("greedy_text").asText().endsWith(o.path("text").asText()));
        assertTrue(o.path("tokens_per_second").asDouble() > 0);
    }

    @Test
    void generateStreamsTheGoldenText() throws Exception {
        JsonNode c = golden().path("cases").get(1);
        Run r = run("generate", "--model", stories().resolve("stories260K_v0.bin").toString(),
                "--tokenizer", stories().resolve("tok512.bin").toString(), "--max-new-tokens", "80", c.path("prompt").asText());
        assertEquals(0, r.code(), r.err());
        assertEquals(c.path("greedy_text").asText() + "\n", r.out());
    }

    @Test
    void sameSeedSameSample() {
        String model = stories().resolve("stories260K.bin").toString();
        String[] args = {"generate", "--model", model, "--temperature", "0.9", "--top-p", "0.9", "--top-k", "40",
            "--seed", "123", "--max-new-tokens", "40", "--json", "Once upon a time"};
        Run a = run(args), b = run(args);
        assertEquals(0, a.code(), a.err());
        assertEquals(a.out().replaceAll("\"tokens_per_second\":[^,}]*", ""), b.out().replaceAll("\"tokens_per_second\":[^,}]*", ""));
    }

    @Test
    void scoreJsonMatchesGoldenPerplexity() throws Exception {
        JsonNode p = golden().path("perplexity").get(0);
        Run r = run("score", "--model", stories().resolve("stories260K.bin").toString(), "--text", p.path("text").asText(), "--json");
        assertEquals(0, r.code(), r.err());
        JsonNode o = new ObjectMapper().readTree(r.out());
        assertEquals(p.path("tokens").asInt(), o.path("tokens").asInt());
        assertEquals(p.path("ppl").asDouble(), o.path("ppl").asDouble(), 1e-3 * p.path("ppl").asDouble());
        assertEquals(512, o.path("last_logits").size());
    }

    private static void assertOneLineError(Run r, String... fragments) {
        assertEquals(2, r.code(), r.out() + r.err());
        assertFalse(r.err().contains("\tat "), "stack trace shown: " + r.err());
        for (String f : fragments) assertTrue(r.err().contains(f), "'" + f + "' not in: " + r.err());
    }

    @Test
    void promptLongerThanTheContextIsAClearError() {
        String longPrompt = "the cat sat on the mat. ".repeat(200);
        assertOneLineError(run("generate", "--model", stories().resolve("stories260K.bin").toString(), longPrompt),
                "prompt has", "context is 512");
    }

    @Test
    void brokenModelFileIsNamed() throws Exception {
        Path bad = tmp.resolve("bad.bin");
        Files.write(bad, new byte[] {1, 2, 3});
        assertOneLineError(run("generate", "--model", bad.toString(), "hi"), bad.toString(), "truncated");
        assertOneLineError(run("score", "--model", tmp.resolve("missing.bin").toString(), "--text", "hi"), "missing.bin", "no such file");
    }

    @Test
    void badArgumentsAreNamed() {
        String model = stories().resolve("stories260K.bin").toString();
        assertOneLineError(run("generate", "--model", model, "--top-p", "1.5", "hi"), "top-p");
        assertOneLineError(run("generate", "--model", model, "--max-new-tokens", "0", "hi"), "--max-new-tokens");
        Run r = run("generate", "--model", model); // missing PROMPT: picocli usage error
        assertEquals(2, r.code());
        assertTrue(r.err().contains("PROMPT"), r.err());
    }
}
