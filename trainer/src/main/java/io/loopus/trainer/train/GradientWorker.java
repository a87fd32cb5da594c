package io.loopus.trainer.train;

import io.loopus.trainer.grad.TrainableParams;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.javadsl.Behaviors;

import java.util.ArrayDeque;

/**
 * Computes supervised windows for the micro-batch streams the coordinator hands it, one at a
 * time, into gradient buffers that come back to it ({@link Release}) once the coordinator has
 * summed them. A failure is reported, never swallowed: the coordinator stops the run.
 */
public final class GradientWorker {
    private GradientWorker() {}

    public sealed interface Command {}

    /**
     * Run stream {@code slot}'s next window of update {@code update}. {@code batch} is its next
     * micro-batch when it starts one (or, after a resume, the one it was in), else null.
     */
    public record Compute(int update, SlotState slot, MicroBatch batch, ActorRef<Coordinator.Command> replyTo)
            implements Command {}

    public record Release(TrainableParams buffer) implements Command {}

    public static Behavior<Command> create(TrainingModel model, TrainConfig cfg) {
        return Behaviors.setup(ctx -> {
            WindowWorker worker = new WindowWorker(model, cfg);
            ArrayDeque<TrainableParams> free = new ArrayDeque<>();
            return Behaviors.receive(Command.class)
                    .onMessage(Release.class, r -> {
                        free.push(r.buffer());
                        return Behaviors.same();
                    })
                    .onMessage(Compute.class, c -> {
                        try {
                            SlotState s = c.slot();
                            if (c.batch() != null && s.resumeBatch >= 0) {
                                s.batch = c.batch(); // a resumed stream keeps its state, only the tokens come back
                                s.resumeBatch = -1;
                            } else if (c.batch() != null) {
                                worker.start(s, c.batch());
                            }
                            TrainableParams buffer = free.isEmpty() ? model.params().zerosLike() : free.pop();
                            c.replyTo().tell(new Coordinator.WindowDone(c.update(), worker.window(s, buffer), s, ctx.getSelf()));
                        } catch (RuntimeException | Error e) {
                            c.replyTo().tell(new Coordinator.WindowFailed(c.update(), c.slot().slot(), e));
                        }
                        return Behaviors.same();
                    })
                    .build();
        });
    }
}
