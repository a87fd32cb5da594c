package io.loopus.server.demo;

import io.loopus.proto.v1.GenerateRequest;
import io.loopus.proto.v1.ModelInfoRequest;
import io.loopus.proto.v1.ModelInfoResponse;
import io.loopus.proto.v1.Sampling;
import io.loopus.server.client.Clients;
import io.loopus.server.client.GrpcErrors;
import io.loopus.server.client.ServerAddress;
import io.loopus.server.client.StreamedGeneration;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.IntConsumer;

/**
 * The demo's traffic: every request sent at once as a Generate stream (sampled, with the per-token
 * trace) through a real gRPC client, and the server's ModelInfo just before and just after, so that
 * stage busy times can be told over the run alone.
 */
public final class LoadRun {
    /** How one request went: its stream, or the error it failed with. */
    public record Sent(String prompt, StreamedGeneration result, String error) {
        public boolean ok() { return result != null; }
    }

    public record Result(List<Sent> requests, double seconds, ModelInfoResponse before, ModelInfoResponse after) {}

    /** Sampling of every request: varied stories, the same ones on every run (seed = request index). */
    static final float TEMPERATURE = 0.8f;
    static final float TOP_P = 0.95f;

    private LoadRun() {}

    /** @param onDone told the number of finished requests after each one finishes */
    public static Result run(ServerAddress server, List<String> prompts, int maxNewTokens, IntConsumer onDone)
            throws InterruptedException {
        try (Clients clients = Clients.connect(server)) {
            ModelInfoResponse before = info(clients);
            AtomicInteger done = new AtomicInteger();
            long start = System.nanoTime();
            List<CompletableFuture<Sent>> calls = new ArrayList<>();
            for (int i = 0; i < prompts.size(); i++) {
                String prompt = prompts.get(i);
                GenerateRequest request = GenerateRequest.newBuilder().setText(prompt).setMaxNewTokens(maxNewTokens)
                        .setSampling(Sampling.newBuilder().setTemperature(TEMPERATURE).setTopP(TOP_P).setSeed(i))
                        .setTrace(true).build();
                calls.add(StreamedGeneration.run(clients.client(), request, clients.system(), m -> {})
                        .handle((g, e) -> e == null ? new Sent(prompt, g, null) : new Sent(prompt, null, GrpcErrors.describe(e)))
                        .whenComplete((s, e) -> onDone.accept(done.incrementAndGet()))
                        .toCompletableFuture());
            }
            List<Sent> sent = new ArrayList<>();
            try {
                CompletableFuture.allOf(calls.toArray(CompletableFuture[]::new)).get(10, TimeUnit.MINUTES);
                for (CompletableFuture<Sent> c : calls) sent.add(c.get());
            } catch (ExecutionException | TimeoutException e) {
                throw new IllegalStateException("the demo's requests did not finish: " + e.getMessage(), e);
            }
            double seconds = (System.nanoTime() - start) / 1e9;
            return new Result(sent, seconds, before, info(clients));
        }
    }

    private static ModelInfoResponse info(Clients clients) throws InterruptedException {
        try {
            return clients.client().modelInfo(ModelInfoRequest.getDefaultInstance()).toCompletableFuture().get(30, TimeUnit.SECONDS);
        } catch (ExecutionException | TimeoutException e) {
            throw new IllegalStateException("ModelInfo failed: " + GrpcErrors.describe(e), e);
        }
    }
}
