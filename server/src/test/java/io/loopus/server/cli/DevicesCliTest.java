package io.loopus.server.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.loopus.worker.gpu.Devices;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeFalse;

/** {@code devices} and cuda:N placement on a machine without a GPU: a clear answer, never a crash. */
class DevicesCliTest {
    private static void noGpu() {
        assumeFalse(Devices.discover().hasGpu(), "skipped: this machine has a CUDA device; these test the fallback");
    }

    @Test
    void devicesListsTheCpuAndWhyThereIsNoCudaDevice() throws Exception {
        noGpu();
        CliTest.Run r = CliTest.run("devices");
        assertEquals(0, r.code(), r.err());
        String[] lines = r.out().split("\n");
        assertTrue(lines[0].startsWith("cpu     " + Runtime.getRuntime().availableProcessors() + " cores"), r.out());
        assertTrue(lines[1].startsWith("cuda    no CUDA device: "), r.out());
        assertTrue(lines[2].startsWith("kernels "), r.out());
        JsonNode o = new ObjectMapper().readTree(CliTest.run("devices", "--json").out());
        assertEquals(0, o.path("cuda").size());
        assertFalse(o.path("cuda_unavailable").asText().isBlank());
        assertEquals(Runtime.getRuntime().availableProcessors(), o.path("cpu_cores").asInt());
    }

    @Test
    void aStageOnCudaIsAOneLineErrorBeforeTheModelIsLoaded() {
        noGpu();
        // the model does not even exist: the device check comes first
        CliTest.Run r = CliTest.run("serve", "--model", "/nonexistent/model.bin", "--placement", "loop=cuda:0");
        assertEquals(2, r.code(), r.err());
        assertTrue(r.err().startsWith("loopus serve: error: stage loop on cuda:0: no CUDA device: "), r.err());
        assertEquals(1, r.err().strip().lines().filter(l -> !l.startsWith("loopus: no CUDA device")).count(), r.err());
    }

    @Test
    void badPlacementsAreNamed() {
        CliTest.Run r = CliTest.run("serve", "--model", "/nonexistent/model.bin", "--placement", "middle=cuda:0");
        assertEquals(2, r.code());
        assertTrue(r.err().contains("placement \"middle=cuda:0\": expected STAGE=DEVICE"), r.err());
        r = CliTest.run("serve", "--model", "/nonexistent/model.bin", "--devices", "cpu:0,gpu:1,cpu:2");
        assertEquals(2, r.code());
        assertTrue(r.err().contains("unknown device \"gpu:1\": devices are cpu:N or cuda:N"), r.err());
    }
}
