package io.loopus.server.client;

import com.typesafe.config.ConfigFactory;
import io.grpc.Status;
import io.loopus.proto.v1.BatchRequest;
import io.loopus.proto.v1.BatchResponse;
import io.loopus.proto.v1.CompleteResponse;
import io.loopus.proto.v1.Error;
import io.loopus.proto.v1.FinishReason;
import io.loopus.proto.v1.GenerateRequest;
import io.loopus.proto.v1.GenerateResponse;
import io.loopus.proto.v1.LoopusService;
import io.loopus.proto.v1.LoopusServiceHandlerFactory;
import io.loopus.proto.v1.ModelInfoRequest;
import io.loopus.proto.v1.ModelInfoResponse;
import io.loopus.proto.v1.ScoreRequest;
import io.loopus.proto.v1.ScoreResponse;
import io.loopus.proto.v1.StageInfo;
import io.loopus.proto.v1.TokenTrace;
import io.loopus.proto.v1.Usage;
import org.apache.pekko.NotUsed;
import org.apache.pekko.actor.ActorSystem;
import org.apache.pekko.grpc.GrpcServiceException;
import org.apache.pekko.http.javadsl.Http;
import org.apache.pekko.http.javadsl.ServerBinding;
import org.apache.pekko.pattern.Patterns;
import org.apache.pekko.stream.javadsl.Source;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A deterministic LoopusService served on 127.0.0.1:0: the answer to a prompt is its characters reversed,
 * one token per code point, streamed two tokens per message; an empty prompt is INVALID_ARGUMENT.
 */
final class ScriptedLoopus implements LoopusService, AutoCloseable {
    static final int DEFAULT_MAX_NEW = 16;

    final AtomicInteger generateCalls = new AtomicInteger();
    final AtomicInteger batchRequests = new AtomicInteger();
    final AtomicInteger modelInfoCalls = new AtomicInteger();
    final AtomicInteger outstanding = new AtomicInteger();
    final AtomicInteger maxOutstanding = new AtomicInteger();
    final List<GenerateRequest> seen = new ArrayList<>();
    /** When > 0, the batch stream fails with UNAVAILABLE after this many replies. */
    volatile int failBatchAfter;

    private final ActorSystem system;
    private final ServerBinding binding;

    ScriptedLoopus() throws Exception {
        // local: the real server's application.conf may ask for a cluster, which this double does not need
        system = ActorSystem.create("scripted-loopus",
                ConfigFactory.parseString("pekko.actor.provider = local").withFallback(ConfigFactory.load()));
        binding = Http.get(system).newServerAt("127.0.0.1", 0).bind(LoopusServiceHandlerFactory.create(this, system))
                .toCompletableFuture().get(10, TimeUnit.SECONDS);
    }

    String address() {
        return "127.0.0.1:" + binding.localAddress().getPort();
    }

    /** The reversed prompt's code points, cut to max_new_tokens. */
    static List<Integer> answer(GenerateRequest r) {
        int[] cps = new StringBuilder(r.getText()).reverse().codePoints().toArray();
        int max = r.getMaxNewTokens() > 0 ? r.getMaxNewTokens() : DEFAULT_MAX_NEW;
        List<Integer> ids = new ArrayList<>();
        for (int i = 0; i < Math.min(max, cps.length); i++) ids.add(cps[i]);
        return ids;
    }

    static TokenTrace trace(int i) {
        return TokenTrace.newBuilder().setExitDepth(1 + i % 3).addConfidence(0.25f).addConfidence(Float.NaN).build();
    }

    static String text(List<Integer> ids) {
        StringBuilder sb = new StringBuilder();
        ids.forEach(sb::appendCodePoint);
        return sb.toString();
    }

    private static GrpcServiceException invalid(String message) {
        return new GrpcServiceException(Status.INVALID_ARGUMENT.withDescription(message));
    }

    @Override public Source<GenerateResponse, NotUsed> generate(GenerateRequest in) {
        generateCalls.incrementAndGet();
        synchronized (seen) {
            seen.add(in);
        }
        if (in.getText().isEmpty()) return Source.failed(invalid("prompt is empty"));
        List<Integer> ids = answer(in);
        List<GenerateResponse> messages = new ArrayList<>();
        for (int i = 0; i < ids.size(); i += 2) {
            List<Integer> part = ids.subList(i, Math.min(i + 2, ids.size()));
            GenerateResponse.Builder m = GenerateResponse.newBuilder().setText(text(part)).addAllTokenIds(part);
            if (in.getTrace()) for (int k = i; k < i + part.size(); k++) m.addTrace(trace(k));
            messages.add(m.build());
        }
        // the closing message carries no token, only the finish reason and usage
        messages.add(GenerateResponse.newBuilder().setFinishReason(finish(in, ids)).setUsage(usage(in, ids)).build());
        return Source.from(messages);
    }

    static FinishReason finish(GenerateRequest in, List<Integer> ids) {
        return ids.size() < in.getText().codePointCount(0, in.getText().length())
                ? FinishReason.FINISH_REASON_LENGTH : FinishReason.FINISH_REASON_STOP;
    }

    static Usage usage(GenerateRequest in, List<Integer> ids) {
        return Usage.newBuilder().setPromptTokens(in.getText().length()).setCompletionTokens(ids.size())
                .setLoopPasses(3L * ids.size()).build();
    }

    @Override public CompletionStage<CompleteResponse> complete(GenerateRequest in) {
        if (in.getText().isEmpty()) return CompletableFuture.failedFuture(invalid("prompt is empty"));
        List<Integer> ids = answer(in);
        CompleteResponse.Builder c = CompleteResponse.newBuilder().setText(text(ids)).addAllTokenIds(ids)
                .setFinishReason(finish(in, ids)).setUsage(usage(in, ids));
        if (in.getTrace()) for (int k = 0; k < ids.size(); k++) c.addTrace(trace(k));
        return CompletableFuture.completedFuture(c.build());
    }

    @Override public Source<BatchResponse, NotUsed> batchGenerate(Source<BatchRequest, NotUsed> in) {
        AtomicInteger replies = new AtomicInteger();
        return in.mapAsyncUnordered(64, r -> {
            batchRequests.incrementAndGet();
            maxOutstanding.accumulateAndGet(outstanding.incrementAndGet(), Math::max);
            // answer a little later, so that requests overlap when the client lets them
            return Patterns.after(Duration.ofMillis(5), system, () -> reply(r));
        }).map(r -> {
            outstanding.decrementAndGet();
            if (failBatchAfter > 0 && replies.incrementAndGet() > failBatchAfter) {
                throw new GrpcServiceException(Status.UNAVAILABLE.withDescription("scripted server going away"));
            }
            return r;
        });
    }

    private CompletionStage<BatchResponse> reply(BatchRequest r) {
        if (r.getRequest().getText().isEmpty()) {
            return CompletableFuture.completedFuture(BatchResponse.newBuilder().setId(r.getId())
                    .setError(Error.newBuilder().setCode(Status.Code.INVALID_ARGUMENT.value()).setMessage("prompt is empty")).build());
        }
        return complete(r.getRequest()).thenApply(c -> BatchResponse.newBuilder().setId(r.getId()).setResult(c).build());
    }

    @Override public CompletionStage<ScoreResponse> score(ScoreRequest in) {
        return CompletableFuture.failedFuture(new GrpcServiceException(Status.UNIMPLEMENTED.withDescription("no score here")));
    }

    /** Busy seconds grow by a fixed step per call: encoder 0.25, loop 0.5, decoder 0.125. */
    @Override public CompletionStage<ModelInfoResponse> modelInfo(ModelInfoRequest in) {
        int k = modelInfoCalls.getAndIncrement();
        return CompletableFuture.completedFuture(ModelInfoResponse.newBuilder().setArchitecture("lds").setBatching("depth-wise")
                .addStages(stage("encoder", 10 + 0.25 * k)).addStages(stage("loop", 20 + 0.5 * k))
                .addStages(stage("decoder", 5 + 0.125 * k)).build());
    }

    private static StageInfo stage(String name, double busySeconds) {
        return StageInfo.newBuilder().setName(name).setDevice("cpu").setBusySeconds(busySeconds).build();
    }

    @Override public void close() throws Exception {
        binding.unbind().toCompletableFuture().get(10, TimeUnit.SECONDS);
        system.terminate();
        system.getWhenTerminated().toCompletableFuture().get(10, TimeUnit.SECONDS);
    }
}
