package io.loopus.server.serve;

import io.grpc.Status;
import io.loopus.proto.v1.CompleteResponse;
import io.loopus.proto.v1.FinishReason;
import io.loopus.proto.v1.GenerateRequest;
import io.loopus.proto.v1.GenerateResponse;
import io.loopus.proto.v1.ModelInfoRequest;
import io.loopus.proto.v1.ModelInfoResponse;
import io.loopus.proto.v1.StageInfo;
import io.loopus.worker.generate.GenerationResult;
import io.loopus.worker.generate.Generator;
import io.loopus.worker.generate.SamplingParams;
import io.loopus.worker.loop.ExitPolicy;
import io.loopus.worker.loop.TokenTrace;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The server through a real gRPC client on a loopback port. */
class ServerTest {
    static final String[] OPENINGS = {"Once upon a time", "The little dog", "Lily wanted to", "One day, a big",
            "Tom and his mom went", "The sun was", "A small bird", "There was a girl named Sue who liked to"};

    static String prompt(int i) {
        return OPENINGS[i % OPENINGS.length] + (i < OPENINGS.length ? "" : " " + "and then".repeat(1 + i / OPENINGS.length).trim());
    }

    @Test
    void sixtyFourConcurrentGreedyRequestsEqualOfflineGeneration() throws Exception {
        concurrentRequestsEqualOfflineGeneration(64, "");
    }

    @Test
    void staticBatchingGivesTheSameResults() throws Exception {
        concurrentRequestsEqualOfflineGeneration(16, "loopus.server.batching = static");
    }

    @Test
    void promptsSplitIntoSmallStepsGiveTheSameResults() throws Exception {
        concurrentRequestsEqualOfflineGeneration(16, "loopus.server.step-tokens = 3");
    }

    private static void concurrentRequestsEqualOfflineGeneration(int count, String settings) throws Exception {
        var base = TestServer.base();
        List<int[]> prompts = new ArrayList<>();
        for (int i = 0; i < count; i++) prompts.add(base.tokenizer().encode(prompt(i), true));
        ExitPolicy exit = TestServer.spreadExits(prompts.subList(0, 8));
        try (TestServer t = TestServer.start(TestServer.looped(exit), settings)) {
            List<CompletableFuture<CompleteResponse>> replies = new ArrayList<>();
            for (int i = 0; i < count; i++) {
                replies.add(t.client.complete(GenerateRequest.newBuilder().setText(prompt(i)).setMaxNewTokens(24)
                        .setTrace(true).build()).toCompletableFuture());
            }
            Generator offline = new Generator(t.model.model()).tracing(true);
            Set<Integer> depths = new TreeSet<>();
            for (int i = 0; i < count; i++) {
                CompleteResponse r = replies.get(i).get(60, TimeUnit.SECONDS);
                GenerationResult want = offline.generate(prompts.get(i), 24, SamplingParams.greedy(), null);
                assertArrayEquals(want.ids(), r.getTokenIdsList().stream().mapToInt(Integer::intValue).toArray(), "prompt " + i);
                int[] wantDepths = want.trace().stream().mapToInt(TokenTrace::depth).toArray();
                assertArrayEquals(wantDepths, r.getTraceList().stream().mapToInt(x -> x.getExitDepth()).toArray(), "prompt " + i);
                assertEquals(t.model.tokenizer().decode(want.ids()), r.getText());
                for (int d : wantDepths) depths.add(d);
            }
            assertTrue(depths.size() >= 3, "exit depths should vary, got " + depths);
        }
    }

    @Test
    void aCancelledStreamFreesItsCaches() throws Exception {
        try (TestServer t = TestServer.start(TestServer.looped(ExitPolicy.fixed(4)), "")) {
            List<GenerateResponse> got = t.client.generate(GenerateRequest.newBuilder().setText("Once upon a time")
                            .setMaxNewTokens(400).build())
                    .take(3).runWith(org.apache.pekko.stream.javadsl.Sink.seq(), t.clientSystem)
                    .toCompletableFuture().get(30, TimeUnit.SECONDS);
            assertEquals(3, got.size());
            ModelInfoResponse info = awaitIdle(t);
            for (StageInfo s : info.getStagesList()) {
                assertEquals(0, s.getSequences(), s.getName());
                assertEquals(0, s.getKvBytes(), s.getName());
            }
            assertEquals(1, info.getStatistics().getCancelled());
            assertEquals(0, info.getStatistics().getKvBytesReserved());
        }
    }

    /** Polls ModelInfo until nothing runs and every stage holds no sequence. */
    static ModelInfoResponse awaitIdle(TestServer t) throws Exception {
        long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
        ModelInfoResponse info;
        do {
            info = t.client.modelInfo(ModelInfoRequest.getDefaultInstance()).toCompletableFuture().get(10, TimeUnit.SECONDS);
            boolean idle = info.getStatistics().getRunning() == 0 && info.getStatistics().getKvBytesReserved() == 0
                    && info.getStagesList().stream().allMatch(s -> s.getSequences() == 0);
            if (idle) return info;
            Thread.sleep(50);
        } while (System.nanoTime() < end);
        return info;
    }

    @Test
    void aCompletionReportsWhyItStoppedAndItsUsage() throws Exception {
        try (TestServer t = TestServer.start(TestServer.base(), "")) {
            CompleteResponse r = t.client.complete(GenerateRequest.newBuilder().setText("Once upon a time")
                    .setMaxNewTokens(5).build()).toCompletableFuture().get(30, TimeUnit.SECONDS);
            assertEquals(FinishReason.FINISH_REASON_LENGTH, r.getFinishReason());
            assertEquals(5, r.getUsage().getCompletionTokens());
            assertEquals(r.getPromptIdsCount(), r.getUsage().getPromptTokens());
            assertEquals(Status.Code.OK, Status.Code.OK);
        }
    }
}
