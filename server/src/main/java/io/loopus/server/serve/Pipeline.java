package io.loopus.server.serve;

import io.loopus.worker.stage.DecoderStage;
import io.loopus.worker.stage.EncoderStage;
import io.loopus.worker.stage.LoopStage;
import io.loopus.worker.stage.StageEvent;
import io.loopus.worker.stage.StagePlan;
import io.loopus.worker.stage.StageStats;
import io.loopus.worker.gpu.Backends;
import io.loopus.worker.tensor.Backend;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.DispatcherSelector;
import org.apache.pekko.actor.typed.javadsl.ActorContext;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The three stage actors of one model, each on its own device (a CPU backend with its own threads,
 * or a CUDA backend on a GPU) and its own pinned dispatcher, wired encoder → loop → decoder → scheduler.
 * Stages hand activations over as host arrays (the portable path; see DeviceTransfer for the
 * device-to-device one).
 */
public final class Pipeline implements AutoCloseable {
    private static final DispatcherSelector STAGE_DISPATCHER = DispatcherSelector.fromConfig("loopus.stage-dispatcher");

    private final List<Backend> devices;
    private final List<AutoCloseable> distinct;
    private final List<StageStats> stats;
    private final StagePlan plan;

    public Pipeline(StagePlan plan, ServeSettings settings) {
        this.plan = plan;
        int threads = settings.threadsPerDevice() > 0 ? settings.threadsPerDevice()
                : Math.max(1, Runtime.getRuntime().availableProcessors() / 3);
        Map<String, Backend> byName = new LinkedHashMap<>(); // stages naming one device share it
        try {
            for (String d : settings.devices()) byName.computeIfAbsent(d, k -> Backends.openBackend(Backends.parse(k), threads));
        } catch (RuntimeException e) {
            closeAll(byName.values());
            throw e;
        }
        this.devices = settings.devices().stream().map(byName::get).toList();
        this.distinct = byName.values().stream().map(b -> (AutoCloseable) b).toList();
        this.stats = List.of(new StageStats("encoder", devices.get(0).name()), new StageStats("loop", devices.get(1).name()),
                new StageStats("decoder", devices.get(2).name()));
    }

    private static void closeAll(Iterable<Backend> backends) {
        for (Backend b : backends) {
            try {
                ((AutoCloseable) b).close();
            } catch (Exception ignored) {
                // releasing what was opened before the failure; the failure itself is what matters
            }
        }
    }

    /** Spawns the stages as children of ctx, reporting to {@code events}. */
    public ActorRef<EncoderStage.Command> spawn(ActorContext<?> ctx, ServeSettings settings, ActorRef<StageEvent> events) {
        int kv = settings.kvTokens();
        ActorRef<DecoderStage.Command> decoder = ctx.spawn(
                DecoderStage.create(plan.decoder(devices.get(2), kv), stats.get(2), events), "decoder", STAGE_DISPATCHER);
        ActorRef<LoopStage.Command> loop = ctx.spawn(
                LoopStage.create(plan.loop(devices.get(1), kv, settings.batching() == LoopStage.Batching.STATIC), stats.get(1), settings.batching(), settings.loopRows(), decoder, events),
                "loop", STAGE_DISPATCHER);
        return ctx.spawn(EncoderStage.create(plan.encoder(devices.get(0), kv), stats.get(0), loop, events),
                "encoder", STAGE_DISPATCHER);
    }

    public StagePlan plan() { return plan; }

    /** Encoder, loop and decoder, in that order. */
    public List<StageStats> stats() { return stats; }

    @Override public void close() {
        for (AutoCloseable d : distinct) {
            try {
                d.close();
            } catch (Exception e) {
                throw new IllegalStateException("cannot release a device: " + e.getMessage(), e);
            }
        }
    }
}
