package io.loopus.server.client;

import io.loopus.proto.v1.FinishReason;
import io.loopus.proto.v1.GenerateRequest;
import io.loopus.proto.v1.GenerateResponse;
import io.loopus.proto.v1.LoopusServiceClient;
import io.loopus.proto.v1.TokenTrace;
import io.loopus.proto.v1.Usage;
import org.apache.pekko.actor.ClassicActorSystemProvider;
import org.apache.pekko.stream.javadsl.Sink;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletionStage;
import java.util.function.Consumer;

/** One Generate stream, gathered as it arrives: tokens, text, trace, the closing usage, and arrival times. */
public final class StreamedGeneration {
    private final long startNanos;
    private final List<Integer> ids = new ArrayList<>();
    private final StringBuilder text = new StringBuilder();
    private final List<TokenTrace> trace = new ArrayList<>();
    private final List<long[]> arrivals = new ArrayList<>(); // {nanoTime, tokens} of each message that carried tokens
    private FinishReason finishReason = FinishReason.FINISH_REASON_UNSPECIFIED;
    private Usage usage = Usage.getDefaultInstance();
    private long endNanos;

    private StreamedGeneration(long startNanos) {
        this.startNanos = startNanos;
        this.endNanos = startNanos;
    }

    /** Starts the call; onMessage sees each message after it was recorded, one at a time. */
    public static CompletionStage<StreamedGeneration> run(LoopusServiceClient client, GenerateRequest request,
                                                          ClassicActorSystemProvider system, Consumer<GenerateResponse> onMessage) {
        StreamedGeneration g = new StreamedGeneration(System.nanoTime());
        return client.generate(request)
                .runWith(Sink.foreach(m -> {
                    g.accept(m, System.nanoTime());
                    onMessage.accept(m);
                }), system)
                .thenApply(done -> g);
    }

    void accept(GenerateResponse m, long nanos) {
        ids.addAll(m.getTokenIdsList());
        text.append(m.getText());
        trace.addAll(m.getTraceList());
        if (m.getTokenIdsCount() > 0) arrivals.add(new long[] {nanos, m.getTokenIdsCount()});
        if (m.getFinishReason() != FinishReason.FINISH_REASON_UNSPECIFIED) finishReason = m.getFinishReason();
        if (m.hasUsage()) usage = m.getUsage();
        endNanos = nanos;
    }

    public List<Integer> ids() {
        return ids;
    }

    public String text() {
        return text.toString();
    }

    public List<TokenTrace> trace() {
        return trace;
    }

    public FinishReason finishReason() {
        return finishReason;
    }

    public Usage usage() {
        return usage;
    }

    /** From starting the call to its last message. */
    public double seconds() {
        return (endNanos - startNanos) / 1e9;
    }

    /** Time to the first message that carried a token; NaN when none did. */
    public double timeToFirstTokenMs() {
        return arrivals.isEmpty() ? Double.NaN : (arrivals.get(0)[0] - startNanos) / 1e6;
    }

    /**
     * One gap per token after the first: the time since the previous message for a message's first token,
     * and 0 for each further token that arrived in the same message (they came together).
     */
    public void interTokenGapsMs(List<Double> into) {
        for (int i = 0; i < arrivals.size(); i++) {
            long[] a = arrivals.get(i);
            if (i > 0) into.add((a[0] - arrivals.get(i - 1)[0]) / 1e6);
            for (long k = 1; k < a[1]; k++) into.add(0.0);
        }
    }
}
