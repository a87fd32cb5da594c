package io.loopus.server.serve;

import com.typesafe.config.Config;
import io.loopus.proto.health.v1.Health;
import io.loopus.proto.health.v1.HealthHandlerFactory;
import io.loopus.proto.v1.LoopusService;
import io.loopus.proto.v1.LoopusServicePowerApiHandlerFactory;
import io.loopus.worker.load.LoadedModel;
import io.loopus.worker.stage.StagePlan;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.javadsl.AskPattern;
import org.apache.pekko.grpc.javadsl.ServerReflection;
import org.apache.pekko.grpc.javadsl.ServiceHandler;
import org.apache.pekko.http.javadsl.Http;
import org.apache.pekko.http.javadsl.ServerBinding;
import org.apache.pekko.stream.Materializer;

import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * A running loopus server: the scheduler and its stages in an actor system, and the gRPC services
 * (LoopusService, grpc.health.v1.Health, server reflection) on one HTTP/2 port.
 */
public final class LoopusServer implements AutoCloseable {
    private final ActorSystem<Scheduler.Command> system;
    private final ServerBinding binding;
    private final Pipeline pipeline;
    private final ServeSettings settings;
    private final SchedulerStats stats;
    private volatile boolean serving = true;

    private LoopusServer(ActorSystem<Scheduler.Command> system, ServerBinding binding, Pipeline pipeline,
                         ServeSettings settings, SchedulerStats stats) {
        this.system = system;
        this.binding = binding;
        this.pipeline = pipeline;
        this.settings = settings;
        this.stats = stats;
    }

    /** Loads nothing: serves {@code model} as configured, and returns once the port is bound. */
    public static LoopusServer start(LoadedModel model, ServeSettings settings, Config config) {
        StagePlan plan = StagePlan.of(model.model());
        if (settings.maxLoops() > 0) plan = plan.withDepths(settings.maxLoops());
        Pipeline pipeline = new Pipeline(plan, settings);
        SchedulerStats stats = new SchedulerStats();
        ActorSystem<Scheduler.Command> system = ActorSystem.create(
                Scheduler.create(settings, plan.config(), plan.kvBytesPerToken(), model.tokenizer(), stats, pipeline), "loopus", config);
        LoopusServer[] self = new LoopusServer[1];
        try {
            RequestParser parser = new RequestParser(plan, model.tokenizer(), settings);
            ModelInfoSource info = new ModelInfoSource(model, plan, settings, pipeline.stats(), stats);
            LoopusGrpcService service = new LoopusGrpcService(system, parser, info, Materializer.matFromSystem(system),
                    settings.defaultDeadline());
            HealthService health = new HealthService(() -> self[0] == null || self[0].serving);
            var handler = ServiceHandler.concatOrNotFound(
                    LoopusServicePowerApiHandlerFactory.partial(service, LoopusService.name, system),
                    HealthHandlerFactory.partial(health, Health.name, system),
                    ServerReflection.create(List.of(LoopusService.description, Health.description), system));
            ServerBinding binding = Http.get(system).newServerAt(settings.host(), settings.port()).bind(handler)
                    .toCompletableFuture().get(30, TimeUnit.SECONDS);
            self[0] = new LoopusServer(system, binding, pipeline, settings, stats);
            return self[0];
        } catch (Exception e) {
            system.terminate();
            pipeline.close();
            Throwable cause = e instanceof java.util.concurrent.ExecutionException ? e.getCause() : e;
            throw new IllegalStateException("cannot serve on " + settings.host() + ":" + settings.port() + ": " + cause.getMessage(), cause);
        }
    }

    public int port() { return binding.localAddress().getPort(); }

    public String host() { return settings.host(); }

    public List<io.loopus.worker.stage.StageStats> stageStats() { return pipeline.stats(); }

    public SchedulerStats statistics() { return stats; }

    /**
     * Graceful shutdown: health turns NOT_SERVING and new requests get UNAVAILABLE; running ones may
     * finish within the grace period and are then ended; the port, actors and devices are released.
     */
    @Override public void close() {
        if (!serving && system.getWhenTerminated().toCompletableFuture().isDone()) return;
        serving = false;
        Duration grace = settings.shutdownGrace();
        try {
            AskPattern.<Scheduler.Command, Scheduler.Drained>ask(system, r -> new Scheduler.Drain(grace, r),
                    grace.plusSeconds(10), system.scheduler()).toCompletableFuture().get(grace.toMillis() + 15_000, TimeUnit.MILLISECONDS);
        } catch (Exception e) {
            // drained or not, the system goes down below
        }
        try {
            binding.terminate(Duration.ofSeconds(5)).toCompletableFuture().get(10, TimeUnit.SECONDS);
        } catch (Exception e) {
            // the port is released when the system terminates anyway
        }
        system.terminate();
        try {
            system.getWhenTerminated().toCompletableFuture().get(30, TimeUnit.SECONDS);
        } catch (Exception e) {
            // nothing left to wait for
        }
        pipeline.close();
    }
}
