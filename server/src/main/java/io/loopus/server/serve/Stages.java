package io.loopus.server.serve;

import io.loopus.worker.stage.DecoderStage;
import io.loopus.worker.stage.EncoderStage;
import io.loopus.worker.stage.LoopStage;
import org.apache.pekko.actor.typed.ActorRef;

/** One pipeline's three stage actors (local, or on other nodes of a cluster). */
public record Stages(ActorRef<EncoderStage.Command> encoder, ActorRef<LoopStage.Command> loop,
                     ActorRef<DecoderStage.Command> decoder) {}
