package io.loopus.worker.gpu;

/**
 * One CUDA device as discovery found it.
 *
 * @param index          the N of {@code cuda:N}
 * @param totalBytes     device memory
 * @param multiprocessors streaming multiprocessors
 */
public record GpuDevice(int index, String name, long totalBytes, int major, int minor, int multiprocessors) {
    public String describe() {
        return String.format("cuda:%d  %s, %.1f GiB, compute capability %d.%d, %d SMs", index, name,
                totalBytes / (double) (1L << 30), major, minor, multiprocessors);
    }
}
