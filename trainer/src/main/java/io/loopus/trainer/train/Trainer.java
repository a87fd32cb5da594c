package io.loopus.trainer.train;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.DispatcherSelector;
import org.apache.pekko.actor.typed.javadsl.Behaviors;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutionException;

/**
 * Runs a conversion as a Pekko Typed actor system: a data loader, one gradient worker per
 * {@code --workers}, an evaluator and a reporter on a dispatcher of their own (their work blocks a
 * core), and the coordinator that drives them. Returns when the run has finished and reported,
 * or throws its failure.
 */
public final class Trainer {
    private Trainer() {}

    /** The pieces a run is made of. */
    public record Parts(Coordinator.Setup setup, BatchSource data, Evaluator.Plan evalPlan, Path metricsFile,
                        TrainingListener listener, Runnable writeReport) {}

    /** @return the number of updates done */
    public static int run(Parts parts) {
        TrainConfig cfg = parts.setup().cfg();
        Config config = ConfigFactory.parseString("""
                pekko.loglevel = WARNING
                pekko.stdout-loglevel = WARNING
                pekko.log-dead-letters = off
                pekko.coordinated-shutdown.run-by-jvm-shutdown-hook = off
                loopus.compute-dispatcher {
                  type = Dispatcher
                  executor = thread-pool-executor
                  thread-pool-executor.fixed-pool-size = %d
                  throughput = 1
                }
                """.formatted(cfg.workers() + 1)).withFallback(ConfigFactory.load());
        ActorSystem<Void> system = ActorSystem.create(guardian(parts), "loopus-trainer", config);
        try {
            return parts.setup().outcome().get();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("training interrupted", e);
        } catch (ExecutionException e) {
            if (e.getCause() instanceof RuntimeException r) throw r;
            throw new IllegalStateException(e.getCause().getMessage(), e.getCause());
        } finally {
            system.terminate();
            try {
                system.getWhenTerminated().toCompletableFuture().get();
            } catch (InterruptedException | ExecutionException ignored) {
                // shutting down: the outcome is already decided
            }
        }
    }

    private static Behavior<Void> guardian(Parts parts) {
        return Behaviors.setup(ctx -> {
            DispatcherSelector compute = DispatcherSelector.fromConfig("loopus.compute-dispatcher");
            TrainConfig cfg = parts.setup().cfg();
            ActorRef<DataLoader.Command> data = ctx.spawn(DataLoader.create(parts.data()), "data-loader");
            List<ActorRef<GradientWorker.Command>> workers = new ArrayList<>();
            for (int w = 0; w < cfg.workers(); w++) {
                workers.add(ctx.spawn(GradientWorker.create(parts.setup().model(), cfg), "gradient-worker-" + w, compute));
            }
            ActorRef<Evaluator.Command> evaluator = ctx.spawn(Evaluator.create(parts.evalPlan()), "evaluator", compute);
            ActorRef<Reporter.Command> reporter = ctx.spawn(Reporter.create(parts.metricsFile(), parts.listener(),
                    cfg.steps(), parts.writeReport()), "reporter");
            ActorRef<Coordinator.Command> coordinator = ctx.spawn(
                    Coordinator.create(parts.setup(), workers, data, evaluator, reporter), "coordinator");
            ctx.watch(coordinator);
            coordinator.tell(new Coordinator.Start());
            return Behaviors.receive(Void.class)
                    .onSignal(org.apache.pekko.actor.typed.Terminated.class, t -> {
                        // the coordinator stopped without deciding the outcome (it crashed)
                        parts.setup().outcome().completeExceptionally(
                                new IllegalStateException("the training coordinator stopped unexpectedly"));
                        return Behaviors.stopped();
                    })
                    .build();
        });
    }

}
