package io.loopus.worker.stage;

import com.google.protobuf.InvalidProtocolBufferException;
import io.loopus.proto.stage.v1.Decode;
import io.loopus.proto.stage.v1.Decoded;
import io.loopus.proto.stage.v1.Enter;
import io.loopus.proto.stage.v1.ExitRule;
import io.loopus.proto.stage.v1.HiddenRows;
import io.loopus.proto.stage.v1.LogitRows;
import io.loopus.proto.stage.v1.LoopedRows;
import io.loopus.worker.loop.ExitPolicy;
import io.loopus.worker.loop.HaltingStrategy;
import org.apache.pekko.actor.ExtendedActorSystem;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.ActorRefResolver;
import org.apache.pekko.actor.typed.javadsl.Adapter;
import org.apache.pekko.serialization.SerializerWithStringManifest;

import java.io.NotSerializableException;
import java.util.ArrayList;
import java.util.List;

/**
 * Activation batches between stages on different nodes as protobuf ({@code stage.proto}): hidden
 * states into the loop and into the decoder, and logits back to the scheduler. Bound in
 * {@code cluster.conf}; control messages go as Jackson CBOR instead.
 */
public final class StageSerializer extends SerializerWithStringManifest {
    private static final String ENTER = "E", DECODE = "D", DECODED = "L";
    private final ActorRefResolver refs;

    public StageSerializer(ExtendedActorSystem system) {
        this.refs = ActorRefResolver.get(Adapter.toTyped(system));
    }

    @Override public int identifier() { return 0x4c6f6f70; } // "Loop"

    @Override public String manifest(Object o) {
        if (o instanceof LoopStage.Enter) return ENTER;
        if (o instanceof DecoderStage.Decode) return DECODE;
        if (o instanceof StageEvent.Decoded) return DECODED;
        throw new IllegalArgumentException("not a stage batch: " + o.getClass());
    }

    @Override public byte[] toBinary(Object o) {
        if (o instanceof LoopStage.Enter e) {
            Enter.Builder b = Enter.newBuilder().setRoute(io.loopus.proto.stage.v1.Route.newBuilder()
                    .setLoop(ref(e.route().loop())).setDecoder(ref(e.route().decoder())).setEvents(ref(e.route().events())));
            for (Hidden h : e.items()) b.addItems(hidden(h));
            return b.build().toByteArray();
        }
        if (o instanceof DecoderStage.Decode d) {
            Decode.Builder b = Decode.newBuilder().setEvents(ref(d.events()));
            for (Looped l : d.items()) {
                LoopedRows.Builder lb = LoopedRows.newBuilder().setHidden(hidden(l.hidden())).setDepth(l.depth());
                for (float q : l.q()) lb.addQ(q);
                for (float a : l.meanAbar()) lb.addMeanAbar(a);
                b.addItems(lb);
            }
            return b.build().toByteArray();
        }
        if (o instanceof StageEvent.Decoded d) {
            Decoded.Builder b = Decoded.newBuilder();
            for (Logits l : d.logits()) {
                LogitRows.Builder lb = LogitRows.newBuilder().setSeq(l.seq()).setStartPos(l.startPos()).setRows(l.rows())
                        .setDepth(l.depth());
                for (float v : l.values()) lb.addValues(v);
                for (float q : l.q()) lb.addQ(q);
                for (float a : l.meanAbar()) lb.addMeanAbar(a);
                b.addLogits(lb);
            }
            return b.build().toByteArray();
        }
        throw new IllegalArgumentException("not a stage batch: " + o.getClass());
    }

    @Override public Object fromBinary(byte[] bytes, String manifest) throws NotSerializableException {
        try {
            switch (manifest) {
                case ENTER -> {
                    Enter e = Enter.parseFrom(bytes);
                    List<Hidden> items = new ArrayList<>(e.getItemsCount());
                    for (HiddenRows h : e.getItemsList()) items.add(hidden(h));
                    var r = e.getRoute();
                    return new LoopStage.Enter(items, new Route(resolve(r.getLoop()), resolve(r.getDecoder()), resolve(r.getEvents())));
                }
                case DECODE -> {
                    Decode d = Decode.parseFrom(bytes);
                    List<Looped> items = new ArrayList<>(d.getItemsCount());
                    for (LoopedRows l : d.getItemsList()) {
                        items.add(new Looped(hidden(l.getHidden()), l.getDepth(), floats(l.getQList()), floats(l.getMeanAbarList())));
                    }
                    return new DecoderStage.Decode(items, resolve(d.getEvents()));
                }
                case DECODED -> {
                    Decoded d = Decoded.parseFrom(bytes);
                    List<Logits> logits = new ArrayList<>(d.getLogitsCount());
                    for (LogitRows l : d.getLogitsList()) {
                        logits.add(new Logits(l.getSeq(), l.getStartPos(), l.getRows(), floats(l.getValuesList()), l.getDepth(),
                                floats(l.getQList()), floats(l.getMeanAbarList())));
                    }
                    return new StageEvent.Decoded(logits);
                }
                default -> throw new NotSerializableException("unknown stage batch manifest \"" + manifest + "\"");
            }
        } catch (InvalidProtocolBufferException e) {
            throw new NotSerializableException("a corrupt stage batch (" + manifest + "): " + e.getMessage());
        }
    }

    private String ref(ActorRef<?> ref) { return refs.toSerializationFormat(ref); }

    private <T> ActorRef<T> resolve(String ref) { return refs.resolveActorRef(ref); }

    private static HiddenRows hidden(Hidden h) {
        ExitPolicy e = h.exit();
        HiddenRows.Builder b = HiddenRows.newBuilder().setSeq(h.seq()).setStartPos(h.startPos()).setRows(h.rows())
                .setAllLogits(h.allLogits()).setExit(ExitRule.newBuilder().setStrategy(e.strategy().key()).setMaxLoops(e.maxLoops())
                        .setMinLoops(e.minLoops()).setTau(e.tau()).setQEvalInterval(e.qEvalInterval()).setEpsilon(e.epsilon()));
        for (float v : h.states()) b.addStates(v);
        return b.build();
    }

    private static Hidden hidden(HiddenRows h) {
        ExitRule e = h.getExit();
        ExitPolicy exit = new ExitPolicy(HaltingStrategy.parse(e.getStrategy()), e.getMaxLoops(), e.getMinLoops(), e.getTau(),
                e.getQEvalInterval(), e.getEpsilon());
        return new Hidden(h.getSeq(), h.getStartPos(), h.getRows(), floats(h.getStatesList()), h.getAllLogits(), exit);
    }

    private static float[] floats(List<Float> values) {
        float[] out = new float[values.size()];
        for (int i = 0; i < out.length; i++) out[i] = values.get(i);
        return out;
    }
}
