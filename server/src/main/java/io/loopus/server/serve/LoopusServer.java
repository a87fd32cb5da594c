package io.loopus.server.serve;

import com.typesafe.config.Config;
import io.loopus.worker.load.LoadedModel;
import io.loopus.worker.stage.StagePlan;
import io.loopus.worker.stage.StageStats;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.javadsl.AskPattern;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.http.javadsl.ServerBinding;

import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

/**
 * A running loopus node: an actor system with (on a frontend) the scheduler and the gRPC services
 * (LoopusService, grpc.health.v1.Health, server reflection) on one HTTP/2 port, and the stage
 * actors it hosts. {@link #start} runs all of it in one process; {@link ClusterNode} runs one node
 * of a cluster.
 */
public final class LoopusServer implements AutoCloseable {
    private final ActorSystem<?> system;
    private final ActorRef<Scheduler.Command> scheduler; // null on a node without the frontend role
    private final ServeSettings settings;
    private final SchedulerStats stats;
    private final List<StageStats> stageStats;
    private final AutoCloseable devices;
    private volatile ServerBinding binding;
    private volatile boolean serving = true;

    LoopusServer(ActorSystem<?> system, ActorRef<Scheduler.Command> scheduler, ServeSettings settings, SchedulerStats stats,
                 List<StageStats> stageStats, AutoCloseable devices) {
        this.system = system;
        this.scheduler = scheduler;
        this.settings = settings;
        this.stats = stats;
        this.stageStats = stageStats;
        this.devices = devices;
    }

    /** Serves {@code model} in this process (all three stages here), once the port is bound. */
    public static LoopusServer start(LoadedModel model, ServeSettings settings, Config config) {
        StagePlan plan = plan(model, settings);
        Pipeline pipeline = new Pipeline(plan, settings);
        return start(model, plan, settings, config, pipeline, pipeline.stats(), pipeline);
    }

    static StagePlan plan(LoadedModel model, ServeSettings settings) {
        StagePlan plan = StagePlan.of(model.model());
        return settings.maxLoops() > 0 ? plan.withDepths(settings.maxLoops()) : plan;
    }

    /** A frontend whose scheduler gets its pipelines from {@code source}. */
    static LoopusServer start(LoadedModel model, StagePlan plan, ServeSettings settings, Config config, PipelineSource source,
                              List<StageStats> stageStats, AutoCloseable devices) {
        SchedulerStats stats = new SchedulerStats();
        CompletableFuture<ActorRef<Scheduler.Command>> scheduler = new CompletableFuture<>();
        Behavior<Void> guardian = Behaviors.setup(ctx -> {
            scheduler.complete(ctx.spawn(Scheduler.create(settings, plan.config(), plan.kvBytesPerToken(), model.tokenizer(),
                    stats, source), "scheduler"));
            return Behaviors.empty();
        });
        ActorSystem<Void> system = ActorSystem.create(guardian, "loopus", config);
        try {
            LoopusServer server = new LoopusServer(system, scheduler.get(30, TimeUnit.SECONDS), settings, stats, stageStats, devices);
            server.binding = GrpcFront.bind(system, server.scheduler, model, plan, settings, stageStats, stats, () -> server.serving);
            return server;
        } catch (Exception e) {
            system.terminate();
            closeQuietly(devices);
            Throwable cause = e instanceof java.util.concurrent.ExecutionException ? e.getCause() : e;
            throw new IllegalStateException("cannot serve on " + settings.host() + ":" + settings.port() + ": " + cause.getMessage(), cause);
        }
    }

    void bind(ServerBinding binding) { this.binding = binding; }

    boolean serving() { return serving; }

    ActorRef<Scheduler.Command> scheduler() { return scheduler; }

    /** The gRPC port; -1 on a node without the frontend role. */
    public int port() { return binding == null ? -1 : binding.localAddress().getPort(); }

    public String host() { return settings.host(); }

    public ActorSystem<?> system() { return system; }

    public List<StageStats> stageStats() { return stageStats; }

    public SchedulerStats statistics() { return stats; }

    /**
     * Graceful shutdown: health turns NOT_SERVING and new requests get UNAVAILABLE; running ones may
     * finish within the grace period and are then ended; the port, actors and devices are released.
     */
    @Override public void close() {
        if (!serving) return;
        serving = false;
        Duration grace = settings.shutdownGrace();
        if (scheduler != null) {
            try {
                AskPattern.<Scheduler.Command, Scheduler.Drained>ask(scheduler, r -> new Scheduler.Drain(grace, r),
                        grace.plusSeconds(10), system.scheduler()).toCompletableFuture().get(grace.toMillis() + 15_000, TimeUnit.MILLISECONDS);
            } catch (Exception e) {
                // drained or not, the system goes down below
            }
        }
        if (binding != null) {
            try {
                binding.terminate(Duration.ofSeconds(5)).toCompletableFuture().get(10, TimeUnit.SECONDS);
            } catch (Exception e) {
                // the port is released when the system terminates anyway
            }
        }
        system.terminate();
        try {
            system.getWhenTerminated().toCompletableFuture().get(30, TimeUnit.SECONDS);
        } catch (Exception e) {
            // nothing left to wait for
        }
        closeQuietly(devices);
    }

    private static void closeQuietly(AutoCloseable c) {
        try {
            if (c != null) c.close();
        } catch (Exception e) {
            // releasing devices at shutdown: nothing to report to anyone
        }
    }
}
