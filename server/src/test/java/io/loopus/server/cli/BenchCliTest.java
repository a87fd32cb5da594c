package io.loopus.server.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** {@code loopus bench}: the random model it writes, and the shape of its report (never its speed). */
class BenchCliTest {
    static final String SMALL = "dim=64,hidden=128,layers=2,heads=4,kv-heads=2,vocab=300,seq=64";
    static final String[] SHORT = {"--seconds", "0.05", "--bandwidth-mib", "16"};

    @TempDir Path tmp;

    private static String[] args(String... head) {
        List<String> a = new ArrayList<>(List.of(head));
        a.addAll(List.of(SHORT));
        return a.toArray(String[]::new);
    }

    @Test
    void savedRandomModelBenchesWithEveryKeyPositive() throws Exception {
        Path file = tmp.resolve("random.bin");
        CliTest.Run save = CliTest.run("bench", "--random-model", SMALL, "--save", file.toString());
        assertEquals(0, save.code(), save.err());
        assertTrue(Files.size(file) > 0);

        CliTest.Run r = CliTest.run(args("bench", "--model", file.toString(), "--json"));
        assertEquals(0, r.code(), r.err());
        JsonNode o = new ObjectMapper().readTree(r.out());
        List<String> keys = new ArrayList<>();
        o.fieldNames().forEachRemaining(keys::add);
        assertEquals(List.of("decode_single_tok_s", "decode_batched_tok_s", "prefill_tok_s", "weight_bytes_per_token",
                "weight_gb_s", "read_bandwidth_gb_s"), keys);
        List<String> batches = new ArrayList<>();
        o.path("decode_batched_tok_s").fieldNames().forEachRemaining(batches::add);
        assertEquals(List.of("1", "8", "32", "64"), batches);
        for (String b : batches) assertTrue(o.path("decode_batched_tok_s").path(b).asDouble() > 0, b);
        for (String k : List.of("decode_single_tok_s", "prefill_tok_s", "weight_gb_s", "read_bandwidth_gb_s")) {
            assertTrue(o.path(k).isNumber() && o.path(k).asDouble() > 0, k + " = " + o.path(k));
        }
        // 2 layers of (q, o: 64x64; k, v: 32x64; w1, w2, w3: 128x64; two norms), final norm, tied 300x64 head, in fp32
        long weights = 4L * (2 * (2 * 64 * 64 + 2 * 32 * 64 + 3 * 128 * 64 + 2 * 64) + 64 + 300 * 64);
        assertEquals(weights, o.path("weight_bytes_per_token").asLong());
        assertTrue(r.err().contains("decode, batch 64"), "progress on stderr: " + r.err());
    }

    @Test
    void benchesARandomModelWithoutAFileAsATable() {
        CliTest.Run r = CliTest.run(args("bench", "--random-model", SMALL));
        assertEquals(0, r.code(), r.err());
        for (String row : List.of("prefill", "decode, single", "decode, batch 64", "read bandwidth", "GB/s")) {
            assertTrue(r.out().contains(row), row + " missing from: " + r.out());
        }
    }

    @Test
    void badArgumentsAreOneLineErrors() {
        CliTest.Run r = CliTest.run("bench", "--model", tmp.resolve("m.bin").toString(), "--save", tmp.resolve("x.bin").toString());
        assertEquals(2, r.code());
        assertTrue(r.err().contains("--save needs --random-model"), r.err());
        r = CliTest.run("bench", "--random-model", "dim=64");
        assertEquals(2, r.code());
        assertTrue(r.err().contains("missing hidden"), r.err());
        r = CliTest.run("bench", "--random-model", SMALL, "--model", "x.bin");
        assertEquals(2, r.code());
        assertTrue(r.err().contains("mutually exclusive"), r.err());
    }
}
