package io.loopus.worker.gpu;

import org.junit.jupiter.api.Assumptions;

/** Skips GPU tests, saying why, on machines without a usable CUDA device. */
public final class GpuAssumptions {
    private GpuAssumptions() {}

    public static void assumeGpu() {
        DeviceReport r = Devices.report();
        Assumptions.assumeTrue(r.hasGpu(), () -> "skipped: no CUDA device (" + r.unavailable()
                + "); the GPU parity tests run on a machine with an NVIDIA GPU (scripts/gpu-check.sh)");
        Assumptions.assumeTrue(PtxModulesTest.class.getResource("/cuda/elementwise.ptx") != null,
                "skipped: this build has no PTX kernels (built without nvcc)");
    }
}
