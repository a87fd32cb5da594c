package io.loopus.worker.stage;

import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.javadsl.Behaviors;

import java.util.List;

/**
 * The decoder stage: owns the decoder layers, the final norm and LM head, their device and KV
 * cache. Turns what leaves the loop into logits for the scheduler.
 */
public final class DecoderStage {
    private DecoderStage() {}

    public sealed interface Command {}

    public record Decode(List<Looped> items, ActorRef<StageEvent> events) implements Command {}

    /** Frees a sequence; confirms to {@code events} when given. */
    public record Release(long seq, ActorRef<StageEvent> events) implements Command, StageMessage {}

    public static Behavior<Command> create(DecoderBlock block, StageStats stats) {
        return Behaviors.receive(Command.class)
                .onMessage(Decode.class, m -> {
                    ActorRef<StageEvent> events = m.events();
                    long start = System.nanoTime();
                    try {
                        events.tell(new StageEvent.Decoded(block.decode(m.items())));
                    } catch (RuntimeException e) {
                        for (Looped l : m.items()) events.tell(new StageEvent.Failed(l.hidden().seq(), "decoder", String.valueOf(e.getMessage())));
                    }
                    stats.recordPass(System.nanoTime() - start, m.items().stream().mapToInt(l -> l.hidden().rows()).sum());
                    stats.recordCache(block.liveSequences(), block.kvBytes());
                    return Behaviors.same();
                })
                .onMessage(Release.class, m -> {
                    block.release(m.seq());
                    stats.recordCache(block.liveSequences(), block.kvBytes());
                    if (m.events() != null) m.events().tell(new StageEvent.Released(m.seq()));
                    return Behaviors.same();
                })
                .build();
    }
}
