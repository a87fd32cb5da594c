package io.loopus.server.serve;

import com.typesafe.config.ConfigFactory;
import io.loopus.worker.loop.ExitPolicy;
import io.loopus.worker.loop.HaltingStrategy;
import io.loopus.worker.stage.DecoderStage;
import io.loopus.worker.stage.EncodeChunk;
import io.loopus.worker.stage.EncoderStage;
import io.loopus.worker.stage.Hidden;
import io.loopus.worker.stage.Logits;
import io.loopus.worker.stage.LoopStage;
import io.loopus.worker.stage.Looped;
import io.loopus.worker.stage.Route;
import io.loopus.worker.stage.StageEvent;
import io.loopus.worker.stage.StageSerializer;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.javadsl.Adapter;
import org.apache.pekko.serialization.Serialization;
import org.apache.pekko.serialization.SerializationExtension;
import org.apache.pekko.serialization.Serializers;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;

/**
 * Messages between nodes go through the serializers cluster.conf binds: activation batches as
 * protobuf, control messages as Jackson CBOR; each comes back equal. Prints the bytes one decode
 * token costs on the wire for stories260K (hidden size 64, vocabulary 512).
 */
class StageSerializationTest {
    private static ActorTestKit kit;
    private static Serialization serialization;

    @BeforeAll
    static void start() {
        kit = ActorTestKit.create("ser", ConfigFactory.parseString("pekko.actor.provider = local")
                .withFallback(ClusterNode.defaults()).resolve());
        serialization = SerializationExtension.get(Adapter.toClassic(kit.system()));
    }

    @AfterAll
    static void stop() { kit.shutdownTestKit(); }

    private static Object roundTrip(Object m, Class<?> serializer) {
        var s = serialization.findSerializerFor(m);
        assertInstanceOf(serializer, s, m.getClass().getName());
        byte[] bytes = serialization.serialize(m).get();
        return serialization.deserialize(bytes, s.identifier(), Serializers.manifestFor(s, m)).get();
    }

    private static int size(Object m) { return serialization.serialize(m).get().length; }

    @Test
    void everyMessageBetweenNodesComesBackEqual() {
        ActorRef<LoopStage.Command> loop = kit.createTestProbe(LoopStage.Command.class).getRef();
        ActorRef<DecoderStage.Command> decoder = kit.createTestProbe(DecoderStage.Command.class).getRef();
        ActorRef<StageEvent> events = kit.createTestProbe(StageEvent.class).getRef();
        Route route = new Route(loop, decoder, events);
        ExitPolicy exit = new ExitPolicy(HaltingStrategy.CDF, 6, 2, 0.7, 2, 1e-3);
        int dim = 64, vocab = 512;
        float[] states = new float[dim];
        for (int i = 0; i < dim; i++) states[i] = (float) Math.sin(i) * 1e3f;
        Hidden hidden = new Hidden(7L << 40, 12, 1, states, false, exit);

        var enter = (LoopStage.Enter) roundTrip(new LoopStage.Enter(List.of(hidden), route), StageSerializer.class);
        assertEquals(route, enter.route());
        assertEquals(hidden.seq(), enter.items().get(0).seq());
        assertEquals(exit, enter.items().get(0).exit());
        assertArrayEquals(states, enter.items().get(0).states());

        Looped looped = new Looped(hidden, 3, new float[]{0.1f, Float.NaN, 0.9f}, new float[]{0.5f, 0.6f, 0.7f});
        var decode = (DecoderStage.Decode) roundTrip(new DecoderStage.Decode(List.of(looped), events), StageSerializer.class);
        assertEquals(events, decode.events());
        assertEquals(3, decode.items().get(0).depth());
        assertArrayEquals(looped.q(), decode.items().get(0).q());

        float[] values = new float[vocab];
        for (int i = 0; i < vocab; i++) values[i] = i * 0.01f - 2;
        Logits logits = new Logits(hidden.seq(), 12, 1, values, 3, looped.q(), looped.meanAbar());
        var decoded = (StageEvent.Decoded) roundTrip(new StageEvent.Decoded(List.of(logits)), StageSerializer.class);
        assertArrayEquals(values, decoded.logits().get(0).values());

        EncoderStage.Encode encode = new EncoderStage.Encode(5, List.of(new EncodeChunk(hidden.seq(), 12, new int[]{300}, true, false, exit)), route);
        var back = (EncoderStage.Encode) roundTrip(encode, org.apache.pekko.serialization.jackson.JacksonCborSerializer.class);
        assertEquals(encode.route(), back.route());
        assertArrayEquals(encode.chunks().get(0).tokens(), back.chunks().get(0).tokens());
        assertEquals(exit, back.chunks().get(0).exit());
        for (Object control : List.of(new EncoderStage.Release(3, route), new LoopStage.Release(3, null),
                new DecoderStage.Release(3, events), new StageEvent.Encoded(9), new StageEvent.Failed(3, "loop", "why"),
                new StageEvent.Released(3))) {
            assertEquals(control, roundTrip(control, org.apache.pekko.serialization.jackson.JacksonCborSerializer.class));
        }
        System.out.printf("bytes per decode token on the wire (stories260K): encode %d, enter %d, decode %d, decoded %d, encoded %d%n",
                size(encode), size(new LoopStage.Enter(List.of(hidden), route)), size(new DecoderStage.Decode(List.of(looped), events)),
                size(new StageEvent.Decoded(List.of(logits))), size(new StageEvent.Encoded(9)));
    }
}
