package io.loopus.worker.gpu;

import jcuda.CudaException;
import jcuda.runtime.JCuda;
import jcuda.runtime.cudaDeviceProp;

import java.util.ArrayList;
import java.util.List;
import java.util.function.Consumer;

/**
 * Device discovery: {@code cudaGetDeviceCount} wrapped so that no driver, no device or a missing
 * library (JCuda's {@link CudaException}, an {@link UnsatisfiedLinkError} or any other
 * {@link LinkageError}) means "CPU only", logged once in one line, never an exception.
 */
public final class Devices {
    private static DeviceReport report;
    private static Consumer<String> log = System.err::println;

    private Devices() {}

    /** The machine's devices, discovered on first call (then cached); logs once when there is no GPU. */
    public static synchronized DeviceReport report() {
        if (report == null) {
            report = discover();
            if (!report.hasGpu()) log.accept(report.fallbackLine());
        }
        return report;
    }

    /** The device of {@code cuda:index}, or a {@link CudaUnavailableException} saying why not. */
    public static GpuDevice require(int index) {
        DeviceReport r = report();
        if (!r.hasGpu()) throw new CudaUnavailableException("cuda:" + index + ": no CUDA device: " + r.unavailable());
        if (index < 0 || index >= r.gpus().size()) {
            throw new CudaUnavailableException("cuda:" + index + ": no such device; this machine has " + r.gpus().size()
                    + " (cuda:0.." + (r.gpus().size() - 1) + ")");
        }
        return r.gpus().get(index);
    }

    /** Free and total memory of a device in bytes (makes the device's context current on this thread). */
    public static long[] memory(int index) {
        return CudaContext.of(index).memoryInfo();
    }

    /** Runs discovery now, without caching or logging: for the devices command and tests. */
    public static DeviceReport discover() {
        int cores = Runtime.getRuntime().availableProcessors();
        try {
            JCuda.setExceptionsEnabled(true);
            int[] count = new int[1];
            JCuda.cudaGetDeviceCount(count);
            if (count[0] == 0) return new DeviceReport(cores, List.of(), "the driver reports 0 devices");
            List<GpuDevice> gpus = new ArrayList<>();
            for (int i = 0; i < count[0]; i++) {
                cudaDeviceProp p = new cudaDeviceProp();
                JCuda.cudaGetDeviceProperties(p, i);
                gpus.add(new GpuDevice(i, p.getName(), p.totalGlobalMem, p.major, p.minor, p.multiProcessorCount));
            }
            return new DeviceReport(cores, List.copyOf(gpus), null);
        } catch (CudaException | LinkageError e) {
            return new DeviceReport(cores, List.of(), CudaFailure.reason(e));
        }
    }

    /** Null when the cuBLAS bindings and libcublas load; otherwise why not, in one line. */
    public static String cublasProblem() {
        try {
            jcuda.jcublas.JCublas2.initialize();
            return null;
        } catch (LinkageError e) {
            return CudaFailure.reason(e);
        }
    }

    /** Whether this build carries the PTX kernels (it was built where nvcc is). */
    public static boolean hasKernels() {
        return Devices.class.getResource("/cuda/elementwise.ptx") != null;
    }

    /** Where the one fallback line goes (tests capture it). */
    static synchronized void logTo(Consumer<String> sink) {
        log = sink;
    }

    /** Forgets the cached report (tests). */
    static synchronized void reset() {
        report = null;
    }
}
