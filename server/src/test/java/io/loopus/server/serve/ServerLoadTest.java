package io.loopus.server.serve;

import io.grpc.Status;
import io.loopus.proto.v1.CompleteResponse;
import io.loopus.proto.v1.GenerateRequest;
import io.loopus.proto.v1.LoopSettings;
import io.loopus.proto.v1.ScoreRequest;
import io.loopus.proto.v1.ScoreResponse;
import io.loopus.worker.generate.Generator;
import io.loopus.worker.loop.ExitPolicy;
import io.loopus.worker.loop.HaltingStrategy;
import io.loopus.worker.loop.LoopusModel;
import org.apache.pekko.stream.javadsl.Sink;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Overload, shutdown and scoring through a real client. */
class ServerLoadTest {
    @Test
    void aThousandRequestsAgainstAQueueOfAHundred() throws Exception {
        // 1024 KV positions hold 64 requests of 16; 100 more may wait; the rest are turned away
        try (TestServer t = TestServer.start(TestServer.looped(ExitPolicy.fixed(2)),
                "loopus.server { queue-limit = 100, kv-tokens = 1024 }")) {
            List<CompletableFuture<CompleteResponse>> calls = new ArrayList<>();
            for (int i = 0; i < 1000; i++) {
                calls.add(t.client.complete(GenerateRequest.newBuilder().setText(ServerTest.prompt(i % 8)).setMaxNewTokens(8)
                        .build()).toCompletableFuture());
            }
            Map<Status.Code, Integer> codes = new EnumMap<>(Status.Code.class);
            for (var c : calls) codes.merge(ServerErrorsTest.code(c), 1, Integer::sum);
            assertEquals(1000, codes.values().stream().mapToInt(Integer::intValue).sum());
            System.out.println("1000 requests against a queue of 100: " + codes);
            assertTrue(codes.getOrDefault(Status.Code.RESOURCE_EXHAUSTED, 0) > 0, "overflow is refused: " + codes);
            assertEquals(java.util.Set.of(Status.Code.OK, Status.Code.RESOURCE_EXHAUSTED), codes.keySet(), "only these: " + codes);
            var info = ServerTest.awaitIdle(t);
            assertEquals(codes.get(Status.Code.OK).longValue(), info.getStatistics().getCompleted());
            assertEquals(codes.get(Status.Code.RESOURCE_EXHAUSTED).longValue(), info.getStatistics().getRejected());
            info.getStagesList().forEach(s -> assertEquals(0, s.getKvBytes(), s.getName()));
            assertEquals(Status.Code.OK, ServerErrorsTest.code(t.client.complete(GenerateRequest.newBuilder()
                    .setText("Once upon a time").setMaxNewTokens(4).build())), "healthy after the storm");
        }
    }

    @Test
    void shuttingDownRefusesNewWorkAndEndsRunningWorkWithinTheGrace() throws Exception {
        TestServer t = TestServer.start(TestServer.looped(ExitPolicy.fixed(4)), "loopus.server.shutdown-grace = 1s");
        try {
            // a long stream is running when the server is told to stop
            var stream = t.client.generate(GenerateRequest.newBuilder().setText("Once upon a time").setMaxNewTokens(400)
                    .setLoop(LoopSettings.newBuilder().setMaxLoops(4)).build()).runWith(Sink.seq(), t.clientSystem).toCompletableFuture();
            Thread.sleep(100);
            long start = System.nanoTime();
            Thread closer = new Thread(t.server::close);
            closer.start();
            Thread.sleep(200);
            Status.Code late = ServerErrorsTest.code(t.client.complete(GenerateRequest.newBuilder().setText("Hi").setMaxNewTokens(2).build()));
            assertEquals(Status.Code.UNAVAILABLE, late, "a request during shutdown");
            Status.Code running = ServerErrorsTest.code(stream);
            assertTrue(running == Status.Code.OK || running == Status.Code.UNAVAILABLE, "the running stream ends: " + running);
            closer.join(20_000);
            assertTrue(!closer.isAlive(), "close() returns");
            assertTrue(System.nanoTime() - start < TimeUnit.SECONDS.toNanos(15), "within the grace period and the unbinding");
        } finally {
            t.close();
        }
    }

    @Test
    void scoresEqualOfflineScoring() throws Exception {
        String text = "Once upon a time, there was a little girl named Lily. She loved to play outside.";
        for (ExitPolicy exit : List.of(ExitPolicy.fixed(3), new ExitPolicy(HaltingStrategy.THRESHOLD, 4, 1, 0.45, 1, 1e-2))) {
            try (TestServer t = TestServer.start(TestServer.looped(exit), "")) {
                ScoreResponse r = t.client.score(ScoreRequest.newBuilder().setText(text).build())
                        .toCompletableFuture().get(30, TimeUnit.SECONDS);
                Generator.Score want = new Generator(t.model.model()).score(t.model.tokenizer().encode(text, true));
                assertEquals(want.ppl(), r.getPerplexity(), 1e-4 * want.ppl(), exit.toString());
                assertEquals(want.loops(), r.getLoopsMean(), 1e-9, exit.toString());
                assertEquals(want.tokens() - 1, r.getScoredTokens());
                // a continuation given a context: the context's tokens are not scored
                ScoreResponse c = t.client.score(ScoreRequest.newBuilder().setContext("Once upon a time,").setText(" there was a girl.")
                        .build()).toCompletableFuture().get(30, TimeUnit.SECONDS);
                assertTrue(c.getScoredTokens() > 0 && c.getContextTokens() > 1 && c.getLogLikelihood() < 0, c.toString());
                assertTrue(((LoopusModel) t.model.model()).exitPolicy().equals(exit));
            }
        }
    }
}
