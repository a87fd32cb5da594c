package io.loopus.server.serve;

import io.loopus.worker.gpu.Backends;
import io.loopus.worker.gpu.CudaUnavailableException;
import io.loopus.worker.gpu.Devices;
import io.loopus.worker.gpu.GpuDevice;
import io.loopus.worker.load.ModelShape;
import io.loopus.worker.loop.Split;
import io.loopus.worker.stage.StageMemory;
import io.loopus.worker.stage.StagePlan;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Checks a placement before anything is loaded: every cuda:N stage needs a CUDA device N, and the
 * stages on one device must fit its free memory (weights, KV caches, work space; {@link StageMemory}).
 * CPU stages are not checked (the heap grows as it always has).
 */
public final class DeviceCheck {
    /** Left free on each device for the CUDA context, cuBLAS' work space and fragmentation. */
    static final long RESERVE = 512L << 20;

    private DeviceCheck() {}

    /** Fails with one clear line when a cuda:N stage names a device CUDA cannot give. */
    public static void devicesExist(ServeSettings settings) {
        for (int s = 0; s < 3; s++) {
            Backends.DeviceName d = Backends.parse(settings.devices().get(s));
            if (!d.cuda()) continue;
            try {
                Devices.require(d.index());
            } catch (CudaUnavailableException e) {
                throw new CudaUnavailableException("stage " + Placement.STAGES.get(s) + " on " + e.getMessage(), e);
            }
            if (!Devices.hasKernels()) {
                throw new CudaUnavailableException("stage " + Placement.STAGES.get(s) + " on " + d
                        + ": this build has no CUDA kernels (built without nvcc; the worker's ptx profile compiles them)");
            }
        }
    }

    /**
     * What the stages need, before loading: {@code split} and {@code depths} as serving will use
     * them ({@code split} null: the checkpoint's, or thirds for a base model).
     */
    public static StageMemory memory(ModelShape shape, Split split, int depths, ServeSettings settings) {
        Split s = split != null ? split : shape.split() != null ? shape.split() : StagePlan.thirds(shape.config().layers());
        return new StageMemory(shape.config(), s, StageMemory.bytesPerValue(shape.config(), shape.weightBytes()),
                settings.kvTokens(), Math.max(1, depths), Math.max(settings.stepTokens(), settings.loopRows()));
    }

    /** Fails with one clear line when the stages placed on a device need more than it has free. */
    public static void fits(StageMemory memory, ServeSettings settings, DeviceFree free) {
        StageMemory.Need[] needs = memory.stages();
        Map<String, long[]> byDevice = new LinkedHashMap<>(); // weights, kv, work
        Map<String, StringBuilder> names = new LinkedHashMap<>();
        for (int s = 0; s < 3; s++) {
            String d = settings.devices().get(s);
            if (!d.startsWith("cuda")) continue;
            long[] sum = byDevice.computeIfAbsent(d, k -> new long[3]);
            sum[0] += needs[s].weights();
            sum[1] += needs[s].kv();
            sum[2] += needs[s].work();
            names.computeIfAbsent(d, k -> new StringBuilder()).append(names.get(d).length() == 0 ? "" : ", ").append(Placement.STAGES.get(s));
        }
        for (var e : byDevice.entrySet()) {
            long[] n = e.getValue();
            long total = n[0] + n[1] + n[2] + RESERVE;
            int index = Backends.parse(e.getKey()).index();
            long available = free.bytes(index);
            if (total > available) {
                throw new IllegalArgumentException(String.format("the model does not fit %s (%s): %s there need %.2f GiB"
                        + " (weights %.2f, KV caches %.2f for %d tokens, work space %.2f, CUDA reserve %.2f) but %.2f GiB are free;"
                        + " lower --kv-tokens or spread the stages over more devices",
                        e.getKey(), free.describe(index), names.get(e.getKey()), gib(total), gib(n[0]), gib(n[1]),
                        settings.kvTokens(), gib(n[2]), gib(RESERVE), gib(available)));
            }
        }
    }

    private static double gib(long bytes) { return bytes / (double) (1L << 30); }

    /** Free memory of a CUDA device (an interface so that tests can play a device). */
    public interface DeviceFree {
        long bytes(int index);

        String describe(int index);

        /** The machine's devices, as the driver reports them now. */
        static DeviceFree cuda() {
            return new DeviceFree() {
                @Override public long bytes(int index) { return Devices.memory(index)[0]; }

                @Override public String describe(int index) {
                    GpuDevice g = Devices.require(index);
                    return String.format("%s, %.1f GiB", g.name(), g.totalBytes() / (double) (1L << 30));
                }
            };
        }
    }

}
