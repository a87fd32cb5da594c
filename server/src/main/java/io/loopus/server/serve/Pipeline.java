package io.loopus.server.serve;

import io.loopus.worker.stage.DecoderStage;
import io.loopus.worker.stage.EncoderStage;
import io.loopus.worker.stage.LoopStage;
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
 * The three stage actors of one model in this process, each on its own device (a CPU backend with
 * its own threads, or a CUDA backend on a GPU) and its own pinned dispatcher: the scheduler's only
 * pipeline when not clustered. Stages hand activations over as host arrays (the portable path; see
 * DeviceTransfer for the device-to-device one).
 */
public final class Pipeline implements PipelineSource, AutoCloseable {
    private static final DispatcherSelector STAGE_DISPATCHER = DispatcherSelector.fromConfig("loopus.stage-dispatcher");

    private final List<Backend> devices;
    private final List<AutoCloseable> distinct;
    private final List<StageStats> stats;
    private final StagePlan plan;
    private final ServeSettings settings;

    public Pipeline(StagePlan plan, ServeSettings settings) {
        this.plan = plan;
        this.settings = settings;
        int threads = settings.deviceThreads();
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

    /** Spawns the stages as children of the scheduler and offers them as its one pipeline. */
    @Override public void start(ActorContext<Scheduler.Command> scheduler) {
        scheduler.getSelf().tell(new Scheduler.PipelinesChanged(List.of(spawn(scheduler, ""))));
    }

    /** Spawns the three stage actors under {@code parent}, their names prefixed with {@code prefix}. */
    public Stages spawn(ActorContext<?> parent, String prefix) {
        int kv = settings.kvTokens();
        boolean keepExited = settings.batching() == LoopStage.Batching.STATIC;
        ActorRef<DecoderStage.Command> decoder = parent.spawn(
                DecoderStage.create(plan.decoder(devices.get(2), kv), stats.get(2)), prefix + "decoder", STAGE_DISPATCHER);
        ActorRef<LoopStage.Command> loop = parent.spawn(LoopStage.create(plan.loop(devices.get(1), kv, keepExited),
                stats.get(1), settings.batching(), settings.loopRows()), prefix + "loop", STAGE_DISPATCHER);
        ActorRef<EncoderStage.Command> encoder = parent.spawn(
                EncoderStage.create(plan.encoder(devices.get(0), kv), stats.get(0)), prefix + "encoder", STAGE_DISPATCHER);
        return new Stages(encoder, loop, decoder);
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
