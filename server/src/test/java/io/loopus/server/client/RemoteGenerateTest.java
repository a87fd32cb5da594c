package io.loopus.server.client;

import com.fasterxml.jackson.databind.JsonNode;
import io.loopus.proto.v1.GenerateRequest;
import io.loopus.server.cli.CliTest;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.net.ServerSocket;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** {@code generate --server} against the scripted server. */
class RemoteGenerateTest {
    static ScriptedLoopus scripted;

    @BeforeAll static void up() throws Exception {
        scripted = new ScriptedLoopus();
    }

    @AfterAll static void down() throws Exception {
        scripted.close();
    }

    @Test
    void streamsThePromptAndItsContinuation() {
        CliTest.Run r = CliTest.run("generate", "--server", scripted.address(), "--max-new-tokens", "5", "hello world");
        assertEquals(0, r.code(), r.err());
        assertEquals("hello world" + "dlrow\n", r.out());
        assertTrue(r.err().contains("5 tokens") && r.err().contains("(length)"), r.err());
    }

    @Test
    void jsonCarriesIdsUsageAndTrace() throws Exception {
        CliTest.Run r = CliTest.run("generate", "--server", scripted.address(), "--json", "--trace", "--stop", "x", "--loops", "3",
                "--exit", "threshold", "--tau", "0.7", "--min-loops", "2", "--temperature", "0.5", "--seed", "7", "abc");
        assertEquals(0, r.code(), r.err());
        JsonNode o = ClientJson.MAPPER.readTree(r.out());
        assertEquals("cba", o.path("text").asText());
        assertEquals(3, o.path("ids").size());
        assertEquals('c', o.path("ids").get(0).asInt());
        assertEquals("stop", o.path("finish_reason").asText());
        assertEquals(3, o.path("usage").path("prompt_tokens").asInt());
        assertEquals(3, o.path("usage").path("completion_tokens").asInt());
        assertEquals(9, o.path("usage").path("loop_passes").asLong());
        assertTrue(o.path("tokens_per_second").asDouble() > 0);
        assertEquals(3, o.path("trace").size());
        assertEquals(2, o.path("trace").get(1).path("depth").asInt());
        assertEquals(0.25, o.path("trace").get(0).path("q").get(0).asDouble(), 1e-6);
        assertTrue(o.path("trace").get(0).path("q").get(1).isNull(), "NaN becomes null");

        GenerateRequest sent = scripted.seen.stream().filter(q -> q.getText().equals("abc")).findFirst().orElseThrow();
        assertEquals(3, sent.getLoop().getMaxLoops());
        assertEquals(2, sent.getLoop().getMinLoops());
        assertEquals("threshold", sent.getLoop().getExitPolicy());
        assertEquals(0.7f, sent.getLoop().getTau());
        assertEquals(0.5f, sent.getSampling().getTemperature());
        assertEquals(7, sent.getSampling().getSeed());
        assertEquals("x", sent.getStop(0));
        assertTrue(sent.getTrace());
        assertEquals(256, sent.getMaxNewTokens());
    }

    @Test
    void serverErrorsExitWithTwo() {
        CliTest.Run r = CliTest.run("generate", "--server", scripted.address(), "--json", "");
        assertEquals(2, r.code(), r.out() + r.err());
        assertEquals("loopus generate: error: INVALID_ARGUMENT: prompt is empty", r.err().strip());
        assertEquals("", r.out());
    }

    @Test
    void unreachableServerIsUnavailable() throws Exception {
        int port;
        try (ServerSocket s = new ServerSocket(0)) {
            port = s.getLocalPort();
        }
        CliTest.Run r = CliTest.run("generate", "--server", "127.0.0.1:" + port, "hi");
        assertEquals(2, r.code(), r.out() + r.err());
        assertTrue(r.err().startsWith("loopus generate: error: UNAVAILABLE: "), r.err());
        assertEquals("", r.out(), "nothing is printed before the server answers");
    }

    @Test
    void offlineOnlyFlagsAreRefused() {
        CliTest.Run r = CliTest.run("generate", "--server", scripted.address(), "--split", "1:4", "hi");
        assertEquals(2, r.code());
        assertTrue(r.err().contains("--split") && r.err().contains("--server"), r.err());
        r = CliTest.run("generate", "--server", scripted.address(), "--kv-policy", "shared", "hi");
        assertEquals(2, r.code());
        assertTrue(r.err().contains("--kv-policy"), r.err());
        r = CliTest.run("generate", "--server", scripted.address(), "--model", "x.bin", "hi");
        assertEquals(2, r.code());
        assertTrue(r.err().contains("mutually exclusive"), r.err());
        r = CliTest.run("generate", "--server", "nohost", "hi");
        assertEquals(2, r.code());
        assertTrue(r.err().contains("HOST:PORT"), r.err());
    }

    @Test
    void needsModelOrServer() {
        CliTest.Run r = CliTest.run("generate", "hi");
        assertEquals(2, r.code());
        assertTrue(r.err().contains("--model") && r.err().contains("--server"), r.err());
        assertFalse(r.err().contains("Exception"), r.err());
    }
}
