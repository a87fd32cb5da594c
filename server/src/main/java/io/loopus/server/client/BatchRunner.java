package io.loopus.server.client;

import io.loopus.proto.v1.BatchRequest;
import io.loopus.proto.v1.BatchResponse;
import io.loopus.proto.v1.CompleteResponse;
import org.apache.pekko.NotUsed;
import org.apache.pekko.stream.javadsl.Sink;
import org.apache.pekko.stream.javadsl.Source;

import java.io.PrintStream;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;

/**
 * Runs entries over one BatchGenerate stream with at most {@code concurrency} of them unanswered: a request
 * goes out only when an earlier one's reply came back. Each reply is written as soon as it arrives.
 */
public final class BatchRunner {
    /** How the replies went: results written, errors written, transient errors (not written: a rerun retries them). */
    public static final class Counts {
        public int done, failed, retryable;

        public int answered() {
            return done + failed + retryable;
        }
    }

    private final Clients clients;
    private final ResultFile out;
    private final PrintStream err;

    public BatchRunner(Clients clients, ResultFile out, PrintStream err) {
        this.clients = clients;
        this.out = out;
        this.err = err;
    }

    /**
     * @throws ExecutionException when the stream itself fails (e.g. UNAVAILABLE); replies written so far stay
     */
    public void run(List<BatchInput.Entry> entries, int concurrency, Counts counts) throws InterruptedException, ExecutionException {
        if (entries.isEmpty()) return;
        Map<String, BatchInput.Entry> pending = new LinkedHashMap<>();
        for (BatchInput.Entry e : entries) pending.put(e.id(), e);
        AsyncPermits permits = new AsyncPermits(concurrency);
        CompletableFuture<Void> allAnswered = new CompletableFuture<>();
        // The request side stays open until every reply is in, so a server never sees the end of input while it still owes replies.
        Source<BatchRequest, NotUsed> requests = Source.from(entries)
                .mapAsync(1, e -> permits.acquire().thenApply(v -> BatchRequest.newBuilder().setId(e.id()).setRequest(e.request()).build()))
                .concat(Source.<BatchRequest>maybe().mapMaterializedValue(end -> {
                    allAnswered.thenRun(() -> end.complete(Optional.empty()));
                    return NotUsed.notUsed();
                }));
        clients.client().batchGenerate(requests)
                .runWith(Sink.foreach(r -> {
                    BatchInput.Entry e = pending.remove(r.getId());
                    if (e == null) {
                        err.println("batch: ignoring a reply for an id not asked for or already answered: \"" + r.getId() + "\"");
                        return;
                    }
                    write(e, r, counts);
                    if (pending.isEmpty()) allAnswered.complete(null);
                    permits.release();
                }), clients.system())
                .toCompletableFuture().get();
    }

    private void write(BatchInput.Entry e, BatchResponse r, Counts counts) {
        Map<String, Object> o = new LinkedHashMap<>();
        o.put("id", e.idJson());
        if (r.hasResult()) {
            CompleteResponse c = r.getResult();
            o.put("text", c.getText());
            o.put("token_ids", c.getTokenIdsList());
            o.put("finish_reason", ClientJson.finishReason(c.getFinishReason()));
            o.put("usage", ClientJson.usage(c.getUsage()));
            if (c.getTraceCount() > 0) o.put("trace", ClientJson.trace(c.getTokenIdsList(), c.getTraceList()));
            out.append(ClientJson.write(o));
            counts.done++;
            return;
        }
        String code = r.hasError() ? GrpcErrors.codeName(r.getError().getCode()) : "UNKNOWN";
        String message = r.hasError() ? r.getError().getMessage() : "the reply carried neither a result nor an error";
        err.println("batch: id " + e.idJson() + " (line " + e.line() + "): " + code + ": " + message);
        if (TransientCodes.isTransient(code)) {
            counts.retryable++;
            return;
        }
        Map<String, Object> error = new LinkedHashMap<>();
        error.put("code", code);
        error.put("message", message);
        o.put("error", error);
        out.append(ClientJson.write(o));
        counts.failed++;
    }
}
