package io.loopus.trainer.train;

import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.javadsl.Behaviors;

/** Streams tokenised micro-batches: micro-batch g of the seeded order, sliced from the packed corpus. */
public final class DataLoader {
    private DataLoader() {}

    public sealed interface Command {}

    public record Fetch(long index, ActorRef<MicroBatch> replyTo) implements Command {}

    public static Behavior<Command> create(BatchSource source) {
        return Behaviors.receive(Command.class)
                .onMessage(Fetch.class, f -> {
                    f.replyTo().tell(source.get(f.index()));
                    return Behaviors.same();
                })
                .build();
    }
}
