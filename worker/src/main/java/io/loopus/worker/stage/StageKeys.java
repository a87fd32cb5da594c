package io.loopus.worker.stage;

import org.apache.pekko.actor.typed.receptionist.ServiceKey;

/** The Receptionist keys stage actors register under, so frontends across a cluster find them. */
public final class StageKeys {
    private StageKeys() {}

    public static final ServiceKey<EncoderStage.Command> ENCODER = ServiceKey.create(EncoderStage.Command.class, "loopus-encoder");
    public static final ServiceKey<LoopStage.Command> LOOP = ServiceKey.create(LoopStage.Command.class, "loopus-loop");
    public static final ServiceKey<DecoderStage.Command> DECODER = ServiceKey.create(DecoderStage.Command.class, "loopus-decoder");
}
