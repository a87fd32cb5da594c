package io.loopus.server.client;

import io.loopus.proto.v1.ModelInfoRequest;
import io.loopus.proto.v1.ModelInfoResponse;

import java.util.List;
import java.util.concurrent.ExecutionException;

/** {@code bench --server}: server info before and after a load test, so stage busy times cover just the run. */
public final class ServerBench {
    private final ServerAddress server;
    private final PromptSet prompts;
    private final RequestOptions options;
    private final int concurrency;
    private final int requests;

    public ServerBench(ServerAddress server, PromptSet prompts, RequestOptions options, int concurrency, int requests) {
        if (concurrency <= 0) throw new IllegalArgumentException("--concurrency must be > 0, got " + concurrency);
        if (requests <= 0) throw new IllegalArgumentException("--requests must be > 0, got " + requests);
        this.server = server;
        this.prompts = prompts;
        this.options = options;
        this.concurrency = concurrency;
        this.requests = requests;
    }

    /** @throws ExecutionException when ModelInfo fails (the server is unreachable or broken); failed requests are counted */
    public BenchReport run() throws InterruptedException, ExecutionException {
        try (Clients clients = Clients.connect(server)) {
            ModelInfoResponse before = modelInfo(clients);
            long t0 = System.nanoTime();
            List<LoadGenerator.Outcome> outcomes = LoadGenerator.run(clients, prompts, options, concurrency, requests);
            double seconds = (System.nanoTime() - t0) / 1e9;
            ModelInfoResponse after = modelInfo(clients);
            return BenchReport.of(outcomes, seconds, before, after, options.trace());
        }
    }

    private static ModelInfoResponse modelInfo(Clients clients) throws InterruptedException, ExecutionException {
        return clients.client().modelInfo(ModelInfoRequest.getDefaultInstance()).toCompletableFuture().get();
    }
}
