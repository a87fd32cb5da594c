package io.loopus.worker.gpu;

import io.loopus.worker.tensor.Backend;
import io.loopus.worker.tensor.CpuBackend;

import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** Devices by name, as placement names them: {@code cpu}, {@code cpu:N} or {@code cuda:N}. */
public final class Backends {
    private static final Pattern NAME = Pattern.compile("(cpu|cuda)(?::(\\d+))?");

    private Backends() {}

    /** A parsed device name. */
    public record DeviceName(String kind, int index) {
        public boolean cuda() { return kind.equals("cuda"); }

        @Override public String toString() { return kind + ":" + index; }
    }

    /** Parses a device name; {@code cuda} needs its index. */
    public static DeviceName parse(String name) {
        Matcher m = NAME.matcher(name.trim());
        if (!m.matches() || (m.group(1).equals("cuda") && m.group(2) == null)) {
            throw new IllegalArgumentException("unknown device \"" + name + "\": devices are cpu:N or cuda:N");
        }
        return new DeviceName(m.group(1), m.group(2) == null ? 0 : Integer.parseInt(m.group(2)));
    }

    /**
     * Opens a device: a CPU backend with {@code threads} threads of its own, or a CUDA backend (a
     * {@link CudaUnavailableException} when CUDA cannot give it). Close it when done.
     */
    public static AutoCloseable open(DeviceName name, int threads) {
        return name.cuda() ? CudaBackend.open(name.index()) : CpuBackend.device(name.index(), threads);
    }

    /** {@link #open} as a Backend. */
    public static Backend openBackend(DeviceName name, int threads) {
        return (Backend) open(name, threads);
    }
}
