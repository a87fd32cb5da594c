package io.loopus.worker.stage;

import org.apache.pekko.actor.typed.ActorRef;

/**
 * Where a sequence's work goes after the encoder: the loop and decoder stages of its pipeline and
 * the scheduler that receives its events. Carried with the work, so a stage can serve several
 * pipelines (and several frontends) at once.
 */
public record Route(ActorRef<LoopStage.Command> loop, ActorRef<DecoderStage.Command> decoder,
                    ActorRef<StageEvent> events) implements StageMessage {}
