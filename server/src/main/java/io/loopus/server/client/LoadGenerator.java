package io.loopus.server.client;

import org.apache.pekko.stream.javadsl.Sink;
import org.apache.pekko.stream.javadsl.Source;

import java.util.List;
import java.util.concurrent.ExecutionException;

/** Sends {@code requests} Generate streams, keeping {@code concurrency} of them in flight until all were sent. */
public final class LoadGenerator {
    /** A finished request: its stream when it completed, else the gRPC status code it failed with. */
    public record Outcome(StreamedGeneration result, String errorCode) {
        public boolean ok() {
            return result != null;
        }
    }

    private LoadGenerator() {}

    public static List<Outcome> run(Clients clients, PromptSet prompts, RequestOptions options, int concurrency, int requests)
            throws InterruptedException, ExecutionException {
        return Source.range(0, requests - 1)
                .mapAsyncUnordered(concurrency, i -> StreamedGeneration
                        .run(clients.client(), options.toRequest(prompts.get(i)), clients.system(), m -> {})
                        .handle((g, e) -> e == null ? new Outcome(g, null)
                                : new Outcome(null, GrpcErrors.status(e).map(s -> s.getCode().name()).orElse("UNKNOWN"))))
                .runWith(Sink.seq(), clients.system())
                .toCompletableFuture().get();
    }
}
