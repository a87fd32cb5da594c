package io.loopus.server.serve;

import com.typesafe.config.Config;
import io.loopus.worker.stage.LoopStage;

import java.time.Duration;
import java.util.List;

/**
 * How the server runs, from {@code loopus.server} in {@code application.conf} (overridable by
 * flags and environment variables: see the serve command).
 *
 * @param devices         the device of each stage: encoder, loop, decoder ({@code cpu:N} or {@code cuda:N}),
 *                        as {@link Placement} resolves {@code devices} and {@code placement}
 * @param threadsPerDevice compute threads of each CPU device; 0: the cores divided among the stages
 * @param kvTokens        KV cache positions over all running requests (admission budget)
 * @param queueLimit      requests waiting for admission before RESOURCE_EXHAUSTED
 * @param stepTokens      rows per encoder step (decode tokens plus prompt pieces)
 * @param stepsInFlight   encoder steps sent before the first is done (keeps the encoder fed)
 * @param loopRows        rows in the loop stage's pool
 * @param maxLoops        deepest loop a request may ask for (0: the model's N)
 * @param maxNewTokens    largest max_new_tokens a request may ask for
 * @param maxMessageBytes largest prompt or text (UTF-8 bytes) a request may carry
 */
public record ServeSettings(String host, int port, List<String> devices, int threadsPerDevice, int kvTokens,
                            int queueLimit, int stepTokens, int stepsInFlight, int loopRows,
                            LoopStage.Batching batching, int maxLoops, int maxNewTokens, int maxMessageBytes,
                            Duration shutdownGrace, Duration defaultDeadline) {
    public ServeSettings {
        devices = Placement.resolve(devices, null);
        if (threadsPerDevice < 0) throw new IllegalArgumentException("threads-per-device must be >= 0 (0: automatic), got " + threadsPerDevice);
        positive("kv-tokens", kvTokens);
        positive("queue-limit", queueLimit);
        positive("step-tokens", stepTokens);
        positive("steps-in-flight", stepsInFlight);
        positive("loop-rows", loopRows);
        positive("max-new-tokens", maxNewTokens);
        positive("max-message-bytes", maxMessageBytes);
        if (maxLoops < 0) throw new IllegalArgumentException("max-loops must be >= 0, got " + maxLoops);
        if (port < 0 || port > 65535) throw new IllegalArgumentException("port must be in [0, 65535], got " + port);
    }

    /** Whether any stage runs on a CUDA device. */
    public boolean usesCuda() {
        return devices.stream().anyMatch(d -> d.startsWith("cuda"));
    }

    /** Compute threads of each CPU device: as set, or the cores divided among the three stages. */
    public int deviceThreads() {
        return threadsPerDevice > 0 ? threadsPerDevice : Math.max(1, Runtime.getRuntime().availableProcessors() / 3);
    }

    private static void positive(String name, int value) {
        if (value <= 0) throw new IllegalArgumentException(name + " must be > 0, got " + value);
    }

    public static ServeSettings from(Config root) {
        Config c = root.getConfig("loopus.server");
        return new ServeSettings(c.getString("host"), c.getInt("port"),
                Placement.resolve(c.getStringList("devices"), c.getString("placement")),
                c.getInt("threads-per-device"), c.getInt("kv-tokens"), c.getInt("queue-limit"), c.getInt("step-tokens"),
                c.getInt("steps-in-flight"), c.getInt("loop-rows"), LoopStage.Batching.parse(c.getString("batching")),
                c.getInt("max-loops"), c.getInt("max-new-tokens"), c.getInt("max-message-bytes"),
                c.getDuration("shutdown-grace"), c.getDuration("default-deadline"));
    }
}
