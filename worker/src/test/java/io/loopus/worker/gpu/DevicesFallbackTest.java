package io.loopus.worker.gpu;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeFalse;

/**
 * What a machine without a usable GPU gets: discovery says "no CUDA device" with one line of
 * reason, logged once; asking for cuda:N is a one-line error, never a crash. (On a GPU machine
 * these are skipped: there the GPU tests run instead.)
 */
class DevicesFallbackTest {
    private final List<String> logged = new ArrayList<>();

    @BeforeEach
    void capture() {
        assumeFalse(Devices.discover().hasGpu(), "skipped: this machine has a CUDA device; the fallback is for machines without");
        Devices.reset();
        Devices.logTo(logged::add);
    }

    @AfterEach
    void restore() {
        Devices.reset();
        Devices.logTo(System.err::println);
    }

    @Test
    void noDeviceIsReportedOnceInOneLine() {
        DeviceReport r = Devices.report();
        Devices.report();
        assertFalse(r.hasGpu());
        assertEquals(Runtime.getRuntime().availableProcessors(), r.cpuCores());
        assertEquals(1, logged.size(), logged.toString());
        String line = logged.get(0);
        assertTrue(line.startsWith("loopus: no CUDA device: "), line);
        assertFalse(line.contains("\n"), line);
        assertFalse(r.unavailable().isBlank());
        assertTrue(line.length() < 200, line);
    }

    @Test
    void aCudaDeviceIsAOneLineErrorNamingTheDeviceAndTheReason() {
        var e = assertThrows(CudaUnavailableException.class, () -> CudaBackend.open(1));
        assertTrue(e.getMessage().startsWith("cuda:1: no CUDA device: "), e.getMessage());
        assertTrue(e.getMessage().endsWith(Devices.report().unavailable()), e.getMessage());
        assertFalse(e.getMessage().contains("\n"));
        assertTrue(e instanceof IllegalArgumentException, "the CLI prints IllegalArgumentException as one line, exit 2");
        var viaName = assertThrows(CudaUnavailableException.class, () -> Backends.open(Backends.parse("cuda:0"), 1));
        assertTrue(viaName.getMessage().startsWith("cuda:0: no CUDA device"), viaName.getMessage());
    }

    @Test
    void cpuDevicesStillOpen() throws Exception {
        try (AutoCloseable cpu = Backends.open(Backends.parse("cpu:2"), 1)) {
            assertEquals("cpu:2", Backends.openBackend(Backends.parse("cpu:3"), 1).name().replace('3', '2'));
            assertTrue(cpu instanceof io.loopus.worker.tensor.CpuBackend);
        }
    }
}
