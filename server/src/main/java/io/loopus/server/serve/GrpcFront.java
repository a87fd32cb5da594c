package io.loopus.server.serve;

import io.loopus.proto.health.v1.Health;
import io.loopus.proto.health.v1.HealthHandlerFactory;
import io.loopus.proto.v1.LoopusService;
import io.loopus.proto.v1.LoopusServicePowerApiHandlerFactory;
import io.loopus.worker.load.LoadedModel;
import io.loopus.worker.stage.StagePlan;
import io.loopus.worker.stage.StageStats;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.grpc.javadsl.ServerReflection;
import org.apache.pekko.grpc.javadsl.ServiceHandler;
import org.apache.pekko.http.javadsl.Http;
import org.apache.pekko.http.javadsl.ServerBinding;
import org.apache.pekko.stream.Materializer;

import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;

/** Binds the gRPC services (LoopusService, Health, reflection) in front of a scheduler. */
final class GrpcFront {
    private GrpcFront() {}

    static ServerBinding bind(ActorSystem<?> system, ActorRef<Scheduler.Command> scheduler, LoadedModel model, StagePlan plan,
                              ServeSettings settings, List<StageStats> stageStats, SchedulerStats stats,
                              BooleanSupplier serving) throws Exception {
        RequestParser parser = new RequestParser(plan, model.tokenizer(), settings);
        ModelInfoSource info = new ModelInfoSource(model, plan, settings, stageStats, stats);
        LoopusGrpcService service = new LoopusGrpcService(scheduler, parser, info, Materializer.matFromSystem(system),
                settings.defaultDeadline());
        var handler = ServiceHandler.concatOrNotFound(
                LoopusServicePowerApiHandlerFactory.partial(service, LoopusService.name, system),
                HealthHandlerFactory.partial(new HealthService(serving), Health.name, system),
                ServerReflection.create(List.of(LoopusService.description, Health.description), system));
        return Http.get(system).newServerAt(settings.host(), settings.port()).bind(handler)
                .toCompletableFuture().get(30, TimeUnit.SECONDS);
    }
}
