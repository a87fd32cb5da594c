package io.loopus.worker.stage;

import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.javadsl.Behaviors;

import java.util.ArrayList;
import java.util.List;

/**
 * The encoder stage: owns the embedding, the encoder layers, their device and KV cache. Encodes
 * the scheduler's steps and passes finished prompts and decode tokens on to the loop stage.
 */
public final class EncoderStage {
    private EncoderStage() {}

    public sealed interface Command {}

    /** One step: at most one piece per sequence. */
    public record Encode(List<EncodeChunk> chunks) implements Command {}

    /** Frees a sequence here, then in the stages after this one (in order behind its work). */
    public record Release(long seq) implements Command {}

    public static Behavior<Command> create(EncoderBlock block, StageStats stats, ActorRef<LoopStage.Command> next,
                                           ActorRef<StageEvent> events) {
        return Behaviors.receive(Command.class)
                .onMessage(Encode.class, m -> {
                    List<EncodeChunk> ok = new ArrayList<>(m.chunks().size());
                    for (EncodeChunk c : m.chunks()) {
                        try {
                            block.validate(c);
                            ok.add(c);
                        } catch (IllegalArgumentException e) {
                            events.tell(new StageEvent.Failed(c.seq(), "encoder", e.getMessage()));
                        }
                    }
                    if (!ok.isEmpty()) {
                        long start = System.nanoTime();
                        try {
                            List<Hidden> out = block.encode(ok);
                            if (!out.isEmpty()) next.tell(new LoopStage.Enter(out));
                        } catch (RuntimeException e) { // e.g. a full cache: fail this step's sequences, keep serving
                            for (EncodeChunk c : ok) events.tell(new StageEvent.Failed(c.seq(), "encoder", String.valueOf(e.getMessage())));
                        }
                        int rows = ok.stream().mapToInt(c -> c.tokens().length).sum();
                        stats.recordPass(System.nanoTime() - start, rows);
                        stats.recordCache(block.liveSequences(), block.kvBytes());
                    }
                    events.tell(new StageEvent.Encoded(m.chunks().size()));
                    return Behaviors.same();
                })
                .onMessage(Release.class, m -> {
                    block.release(m.seq());
                    stats.recordCache(block.liveSequences(), block.kvBytes());
                    next.tell(new LoopStage.Release(m.seq()));
                    return Behaviors.same();
                })
                .build();
    }
}
