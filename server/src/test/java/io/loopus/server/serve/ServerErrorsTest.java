package io.loopus.server.serve;

import io.grpc.Status;
import io.loopus.proto.health.v1.HealthCheckRequest;
import io.loopus.proto.health.v1.HealthCheckResponse.ServingStatus;
import io.loopus.proto.health.v1.HealthClient;
import io.loopus.proto.v1.GenerateRequest;
import io.loopus.proto.v1.LoopSettings;
import io.loopus.proto.v1.Sampling;
import io.loopus.proto.v1.TokenIds;
import io.loopus.worker.loop.ExitPolicy;
import org.apache.pekko.grpc.GrpcClientSettings;
import org.apache.pekko.grpc.GrpcServiceException;
import org.apache.pekko.stream.javadsl.Sink;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Bad requests get the right status code and a clear message, and the next good request succeeds. */
class ServerErrorsTest {
    private static TestServer t;

    @BeforeAll
    static void start() {
        t = TestServer.start(TestServer.looped(ExitPolicy.fixed(4)), "loopus.server.max-new-tokens = 100");
    }

    @AfterAll
    static void stop() {
        if (t != null) t.close();
    }

    private static GenerateRequest.Builder good() {
        return GenerateRequest.newBuilder().setText("Once upon a time").setMaxNewTokens(4);
    }

    /** The status of a failed call, or OK. */
    static Status.Code code(CompletionStage<?> call) throws Exception {
        try {
            call.toCompletableFuture().get(30, TimeUnit.SECONDS);
            return Status.Code.OK;
        } catch (ExecutionException e) {
            Throwable c = e.getCause();
            if (c instanceof GrpcServiceException g) return g.status().getCode();
            if (c instanceof io.grpc.StatusRuntimeException s) return s.getStatus().getCode();
            throw e;
        }
    }

    static String message(CompletionStage<?> call) throws Exception {
        try {
            call.toCompletableFuture().get(30, TimeUnit.SECONDS);
            return "";
        } catch (ExecutionException e) {
            return e.getCause().getMessage();
        }
    }

    @Test
    void badRequestsAreInvalidArgumentsAndDoNotDisturbTheNext() throws Exception {
        Map<String, GenerateRequest> bad = new LinkedHashMap<>();
        bad.put("the prompt is empty", good().setText("").build());
        bad.put("the prompt is empty (set text or ids)", good().clearPrompt().build());
        bad.put("the prompt has 600 tokens", good().setIds(TokenIds.newBuilder().addAllIds(repeat(600))).build());
        bad.put("outside the vocabulary", good().setIds(TokenIds.newBuilder().addIds(1).addIds(9999)).build());
        bad.put("max_new_tokens must be > 0, got 0", good().setMaxNewTokens(0).build());
        bad.put("max_new_tokens must be > 0, got -3", good().setMaxNewTokens(-3).build());
        bad.put("over this server's limit of 100", good().setMaxNewTokens(101).build());
        bad.put("temperature must be a finite number >= 0, got -1.0", good().setSampling(Sampling.newBuilder().setTemperature(-1)).build());
        bad.put("temperature must be a finite number >= 0, got NaN", good().setSampling(Sampling.newBuilder().setTemperature(Float.NaN)).build());
        bad.put("top_p must be in (0, 1], got 1.5", good().setSampling(Sampling.newBuilder().setTopP(1.5f)).build());
        bad.put("top_p must be in (0, 1], got NaN", good().setSampling(Sampling.newBuilder().setTopP(Float.NaN)).build());
        bad.put("tau must be in [0, 1], got 1.5", good().setLoop(LoopSettings.newBuilder().setTau(1.5f)).build());
        bad.put("tau must be in [0, 1], got NaN", good().setLoop(LoopSettings.newBuilder().setTau(Float.NaN)).build());
        bad.put("unknown exit policy \"sometimes\"", good().setLoop(LoopSettings.newBuilder().setExitPolicy("sometimes")).build());
        bad.put("max_loops 9 is over this server's limit of 4", good().setLoop(LoopSettings.newBuilder().setMaxLoops(9)).build());
        bad.put("over this server's limit of 1048576", good().setText("a".repeat(2 << 20)).build());
        for (var e : bad.entrySet()) {
            for (Function<GenerateRequest, CompletionStage<?>> call : List.<Function<GenerateRequest, CompletionStage<?>>>of(
                    r -> t.client.complete(r),
                    r -> t.client.generate(r).runWith(Sink.seq(), t.clientSystem))) {
                assertEquals(Status.Code.INVALID_ARGUMENT, code(call.apply(e.getValue())), e.getKey());
                String m = message(call.apply(e.getValue()));
                assertTrue(m.contains(e.getKey()), "\"" + m + "\" should say \"" + e.getKey() + "\"");
                assertEquals(Status.Code.OK, code(t.client.complete(good().build())), "a good request after: " + e.getKey());
            }
        }
    }

    private static List<Integer> repeat(int n) {
        List<Integer> ids = new ArrayList<>();
        for (int i = 0; i < n; i++) ids.add(i == 0 ? 1 : 300);
        return ids;
    }

    @Test
    void healthSaysServingForTheServerAndItsService() throws Exception {
        HealthClient health = HealthClient.create(GrpcClientSettings.connectToServiceAt("127.0.0.1", t.server.port(),
                t.clientSystem).withTls(false), t.clientSystem);
        try {
            for (String s : List.of("", "loopus.v1.LoopusService")) {
                assertEquals(ServingStatus.SERVING, health.check(HealthCheckRequest.newBuilder().setService(s).build())
                        .toCompletableFuture().get(10, TimeUnit.SECONDS).getStatus(), s);
            }
            assertEquals(ServingStatus.SERVICE_UNKNOWN, health.check(HealthCheckRequest.newBuilder().setService("nope").build())
                    .toCompletableFuture().get(10, TimeUnit.SECONDS).getStatus());
        } finally {
            health.close();
        }
    }

    @Test
    void aClientDeadlineEndsTheRequestAndFreesItsCaches() throws Exception {
        // one request at a time fits this server's KV budget: 30 requests of 100 tokens queue up
        // ahead of the one with a 150 ms deadline, far more work than 150 ms on any machine
        try (TestServer s = TestServer.start(TestServer.looped(ExitPolicy.fixed(4)), "loopus.server.kv-tokens = 128")) {
            var shortLived = io.loopus.proto.v1.LoopusServiceClient.create(GrpcClientSettings.connectToServiceAt("127.0.0.1",
                    s.server.port(), s.clientSystem).withTls(false).withDeadline(java.time.Duration.ofMillis(150)), s.clientSystem);
            try {
                List<CompletionStage<?>> blockers = new ArrayList<>();
                for (int i = 0; i < 30; i++) blockers.add(s.client.complete(good().setMaxNewTokens(100).build()));
                while (s.server.statistics().running() == 0) Thread.sleep(1);
                assertEquals(Status.Code.DEADLINE_EXCEEDED, code(shortLived.complete(good().setMaxNewTokens(100).build())));
                for (var b : blockers) assertEquals(Status.Code.OK, code(b), "the others are not disturbed");
                var info = ServerTest.awaitIdle(s);
                assertEquals(1, info.getStatistics().getFailed(), "the server ended the expired request itself");
                info.getStagesList().forEach(st -> assertEquals(0, st.getSequences(), st.getName()));
            } finally {
                shortLived.close();
            }
        }
    }
}
