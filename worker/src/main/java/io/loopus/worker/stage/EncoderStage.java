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

    /** One step: at most one piece per sequence, all going the same route. */
    public record Encode(long step, List<EncodeChunk> chunks, Route route) implements Command, StageMessage {}

    /**
     * Frees a sequence here, then in the stages of its route (in order behind its work); without a
     * route, only here (a pipeline that lost a stage).
     */
    public record Release(long seq, Route route) implements Command, StageMessage {}

    public static Behavior<Command> create(EncoderBlock block, StageStats stats) {
        return Behaviors.receive(Command.class)
                .onMessage(Encode.class, m -> {
                    ActorRef<StageEvent> events = m.route().events();
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
                            if (!out.isEmpty()) m.route().loop().tell(new LoopStage.Enter(out, m.route()));
                        } catch (RuntimeException e) { // e.g. a full cache: fail this step's sequences, keep serving
                            for (EncodeChunk c : ok) events.tell(new StageEvent.Failed(c.seq(), "encoder", String.valueOf(e.getMessage())));
                        }
                        int rows = ok.stream().mapToInt(c -> c.tokens().length).sum();
                        stats.recordPass(System.nanoTime() - start, rows);
                        stats.recordCache(block.liveSequences(), block.kvBytes());
                    }
                    events.tell(new StageEvent.Encoded(m.step()));
                    return Behaviors.same();
                })
                .onMessage(Release.class, m -> {
                    block.release(m.seq());
                    stats.recordCache(block.liveSequences(), block.kvBytes());
                    if (m.route() != null) m.route().loop().tell(new LoopStage.Release(m.seq(), m.route()));
                    return Behaviors.same();
                })
                .build();
    }
}
