package io.loopus.worker.stage;

import java.util.List;

/** What the stages tell the scheduler. */
public sealed interface StageEvent {
    /** The encoder finished step {@code step} and can take the next. */
    record Encoded(long step) implements StageEvent, StageMessage {}

    /** Logits of sequences that went through the decoder. */
    record Decoded(List<Logits> logits) implements StageEvent {}

    /** A stage could not run a sequence's work; the sequence is dropped there. */
    record Failed(long seq, String stage, String message) implements StageEvent, StageMessage {}

    /** A released sequence has left the last stage: none of its work is in flight any more. */
    record Released(long seq) implements StageEvent, StageMessage {}
}
