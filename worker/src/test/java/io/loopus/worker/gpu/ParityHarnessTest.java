package io.loopus.worker.gpu;

import io.loopus.worker.TestData;
import io.loopus.worker.load.Llama2cLoader;
import io.loopus.worker.loop.Split;
import io.loopus.worker.tensor.CpuBackend;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The GPU parity harness run here with a second CPU device in the GPU's place: every check must
 * find no difference at all (the CPU backend is bit-identical across devices), which shows the
 * harness feeds both sides the same inputs and compares like with like. On a GPU machine the same
 * harness runs against CudaBackend (CudaParityTest, scripts/gpu-check.sh).
 */
class ParityHarnessTest {
    @Test
    void everyOpCheckFindsNoDifferenceBetweenTwoCpuDevices() {
        try (CpuBackend device = CpuBackend.device(7, 1)) {
            List<ParityCheck> checks = new ParityOps(device, "loopus kernels").run();
            assertTrue(checks.size() > 40, "checks: " + checks.size());
            for (ParityCheck c : checks) assertEquals(0.0, c.error(), c.toString());
        }
    }

    @Test
    void everyStackCheckFindsNoDifferenceBetweenTwoCpuDevices() {
        try (CpuBackend device = CpuBackend.device(7, 1)) {
            List<ParityCheck> checks = new ParityStacks(device, "loopus kernels").random();
            assertTrue(checks.size() >= 9, "checks: " + checks.size());
            for (ParityCheck c : checks) assertEquals(0.0, c.error(), c.toString());
        }
    }

    @Test
    void theRealModelChecksFindNoDifferenceBetweenTwoCpuDevices() {
        Llama2cLoader.Checkpoint base = Llama2cLoader.load(TestData.model());
        try (CpuBackend device = CpuBackend.device(7, 1)) {
            List<ParityCheck> checks = new ParityStacks(device, "loopus kernels").real("stories260K", base.config(), base.weights(),
                    new Split(1, 4, 5));
            for (ParityCheck c : checks) assertEquals(0.0, c.error(), c.toString());
        }
    }

    @Test
    void errorIsRelativeToTheLargestReferenceValueAndNaNFails() {
        assertEquals(0.01, ParityCheck.error(new float[] {1.01f - 1e-9f, 0}, new float[] {1, 0}), 1e-6);
        assertTrue(Double.isNaN(ParityCheck.error(new float[] {Float.NaN}, new float[] {1})));
        assertTrue(!new ParityCheck("x", Double.NaN, 1).passed());
    }
}
