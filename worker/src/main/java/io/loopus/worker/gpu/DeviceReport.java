package io.loopus.worker.gpu;

import java.util.List;

/**
 * What this machine offers: its CPU cores and its CUDA devices, or why there are none.
 *
 * @param unavailable null when CUDA works (even with zero devices it says why); otherwise one line
 */
public record DeviceReport(int cpuCores, List<GpuDevice> gpus, String unavailable) {
    public boolean hasGpu() { return !gpus.isEmpty(); }

    /** The line logged once when stages cannot use a GPU. */
    public String fallbackLine() {
        return "loopus: no CUDA device: " + unavailable + "; cuda:N stages are unavailable, cpu:N stages run as usual";
    }
}
