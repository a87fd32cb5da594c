package io.loopus.worker.gpu.check;

import io.loopus.worker.gpu.Devices;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeFalse;

/** Where there is no GPU the check says so, in OUTDIR, with the "skipped" exit status. */
class GpuCheckTest {
    @TempDir Path out;

    @Test
    void withoutAGpuTheCheckIsSkippedAndSaysWhy() throws Exception {
        assumeFalse(Devices.discover().hasGpu(), "skipped: this machine has a CUDA device (scripts/gpu-check.sh runs the check)");
        assertEquals(GpuCheck.SKIPPED, GpuCheck.run(out.toString()));
        String json = Files.readString(out.resolve("result.json"));
        assertTrue(json.contains("\"status\": \"skipped\""), json);
        assertTrue(json.contains("\"reason\": \"no CUDA device: " + Devices.discover().unavailable()), json);
        assertTrue(Files.readString(out.resolve("summary.txt")).startsWith("SKIPPED: no CUDA device: "));
    }

    @Test
    void badArgumentsAreUsageErrors() throws Exception {
        assertEquals(2, GpuCheck.run());
        assertEquals(2, GpuCheck.run("--bogus"));
    }

    @Test
    void jsonTextEscapesAndNests() {
        java.util.Map<String, Object> o = new java.util.LinkedHashMap<>();
        o.put("a", java.util.List.of(1, "x\"y\n"));
        o.put("b", null);
        o.put("c", Double.NaN);
        o.put("d", 1.5);
        assertEquals("{\n  \"a\": [\n    1,\n    \"x\\\"y\\n\"\n  ],\n  \"b\": null,\n  \"c\": null,\n  \"d\": 1.50000\n}\n",
                JsonText.of(o));
    }
}
