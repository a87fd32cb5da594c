package io.loopus.server.serve;

import io.grpc.Status;
import io.loopus.proto.v1.BatchRequest;
import io.loopus.proto.v1.BatchResponse;
import io.loopus.proto.v1.CompleteResponse;
import io.loopus.proto.v1.Error;
import io.loopus.proto.v1.FinishReason;
import io.loopus.proto.v1.GenerateRequest;
import io.loopus.proto.v1.GenerateResponse;
import io.loopus.proto.v1.LoopusServicePowerApi;
import io.loopus.proto.v1.ModelInfoRequest;
import io.loopus.proto.v1.ModelInfoResponse;
import io.loopus.proto.v1.ScoreRequest;
import io.loopus.proto.v1.ScoreResponse;
import io.loopus.proto.v1.TokenTrace;
import io.loopus.proto.v1.Usage;
import org.apache.pekko.NotUsed;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.grpc.GrpcServiceException;
import org.apache.pekko.grpc.javadsl.Metadata;
import org.apache.pekko.japi.Pair;
import org.apache.pekko.stream.BoundedSourceQueue;
import org.apache.pekko.stream.Materializer;
import org.apache.pekko.stream.javadsl.Source;

import java.time.Duration;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The public API over the scheduler: checks each request (INVALID_ARGUMENT with the reason),
 * submits it as a job and turns the job's results into responses. A client that goes away
 * cancels its job, which frees its caches.
 */
final class LoopusGrpcService implements LoopusServicePowerApi {
    /** Requests of one BatchGenerate stream that run at once; more wait in the stream (backpressure). */
    static final int BATCH_PARALLELISM = 256;

    private final ActorRef<Scheduler.Command> scheduler;
    private final RequestParser parser;
    private final ModelInfoSource info;
    private final Materializer materializer;
    private final Duration defaultDeadline;
    private final AtomicLong ids = new AtomicLong();

    LoopusGrpcService(ActorRef<Scheduler.Command> scheduler, RequestParser parser, ModelInfoSource info,
                      Materializer materializer, Duration defaultDeadline) {
        this.scheduler = scheduler;
        this.parser = parser;
        this.info = info;
        this.materializer = materializer;
        this.defaultDeadline = defaultDeadline;
    }

    private long deadline(Metadata metadata) {
        Duration d = GrpcDeadline.parse(metadata.getText("grpc-timeout")).orElse(defaultDeadline);
        return System.nanoTime() + Math.min(d.toNanos(), Long.MAX_VALUE / 4);
    }

    static GrpcServiceException error(Status.Code code, String message) {
        return new GrpcServiceException(Status.fromCode(code).withDescription(message));
    }

    @Override public Source<GenerateResponse, NotUsed> generate(GenerateRequest in, Metadata metadata) {
        long id = ids.incrementAndGet();
        int capacity = Math.max(4, in.getMaxNewTokens() + 4); // every token fits: the queue never drops
        Pair<BoundedSourceQueue<GenerateResponse>, Source<GenerateResponse, NotUsed>> pre;
        Job job;
        try {
            pre = Source.<GenerateResponse>queue(Math.min(capacity, 1 << 16)).preMaterialize(materializer);
            job = parser.generation(in, id, deadline(metadata), new StreamingListener(pre.first()));
        } catch (IllegalArgumentException e) {
            return Source.failed(error(Status.Code.INVALID_ARGUMENT, e.getMessage()));
        }
        scheduler.tell(new Scheduler.Submit(job));
        return pre.second().watchTermination((mat, done) -> {
            done.whenComplete((ok, failure) -> scheduler.tell(new Scheduler.Cancel(id))); // no-op once the job ended
            return mat;
        });
    }

    @Override public CompletionStage<CompleteResponse> complete(GenerateRequest in, Metadata metadata) {
        return complete(in, ids.incrementAndGet(), deadline(metadata));
    }

    private CompletableFuture<CompleteResponse> complete(GenerateRequest in, long id, long deadline) {
        CompletingListener listener = new CompletingListener();
        try {
            Job job = parser.generation(in, id, deadline, listener);
            listener.promptIds(job.ids());
            scheduler.tell(new Scheduler.Submit(job));
        } catch (IllegalArgumentException e) {
            return CompletableFuture.failedFuture(error(Status.Code.INVALID_ARGUMENT, e.getMessage()));
        }
        return listener.result;
    }

    @Override public Source<BatchResponse, NotUsed> batchGenerate(Source<BatchRequest, NotUsed> in, Metadata metadata) {
        long deadline = deadline(metadata);
        Set<Long> open = ConcurrentHashMap.newKeySet();
        return in.mapAsyncUnordered(BATCH_PARALLELISM, req -> {
            long id = ids.incrementAndGet();
            open.add(id);
            CompletableFuture<CompleteResponse> f = complete(req.getRequest(), id, deadline);
            return f.handle((resp, failure) -> {
                open.remove(id);
                BatchResponse.Builder b = BatchResponse.newBuilder().setId(req.getId());
                if (failure == null) return b.setResult(resp).build();
                Throwable cause = failure instanceof java.util.concurrent.CompletionException ? failure.getCause() : failure;
                Status status = cause instanceof GrpcServiceException g ? g.status() : Status.INTERNAL.withDescription(String.valueOf(cause));
                return b.setError(Error.newBuilder().setCode(status.getCode().value())
                        .setMessage(status.getDescription() == null ? "" : status.getDescription())).build();
            });
        }).watchTermination((mat, done) -> {
            done.whenComplete((ok, failure) -> open.forEach(id -> scheduler.tell(new Scheduler.Cancel(id))));
            return mat;
        });
    }

    @Override public CompletionStage<ScoreResponse> score(ScoreRequest in, Metadata metadata) {
        CompletableFuture<ScoreResponse> result = new CompletableFuture<>();
        JobListener listener = new JobListener() {
            @Override public void token(int id, String text, io.loopus.worker.loop.TokenTrace trace) {}

            @Override public void finished(FinishReason reason, String tail, Usage usage) {}

            @Override public void scored(ScoreResult r) {
                result.complete(ScoreResponse.newBuilder().setLogLikelihood(r.logLikelihood())
                        .setPerplexity(Math.exp(-r.logLikelihood() / r.scoredTokens())).setScoredTokens(r.scoredTokens())
                        .setContextTokens(r.contextTokens()).setLoopsMean(info.looped() ? r.loopsMean() : 0).build());
            }

            @Override public void failed(Status.Code code, String message) {
                result.completeExceptionally(error(code, message));
            }
        };
        try {
            scheduler.tell(new Scheduler.Submit(parser.score(in, ids.incrementAndGet(), deadline(metadata), listener)));
        } catch (IllegalArgumentException e) {
            return CompletableFuture.failedFuture(error(Status.Code.INVALID_ARGUMENT, e.getMessage()));
        }
        return result;
    }

    @Override public CompletionStage<ModelInfoResponse> modelInfo(ModelInfoRequest in, Metadata metadata) {
        return CompletableFuture.completedFuture(info.build());
    }

    static TokenTrace trace(io.loopus.worker.loop.TokenTrace t) {
        TokenTrace.Builder b = TokenTrace.newBuilder().setExitDepth(t.depth());
        for (float q : t.q()) b.addConfidence(q);
        return b.build();
    }

    static Usage usage(JobListener.Usage u) {
        return Usage.newBuilder().setPromptTokens(u.promptTokens()).setCompletionTokens(u.completionTokens())
                .setLoopPasses(u.loopPasses()).build();
    }

    static FinishReason reason(JobListener.FinishReason r) {
        return r == JobListener.FinishReason.STOP ? FinishReason.FINISH_REASON_STOP : FinishReason.FINISH_REASON_LENGTH;
    }

    /** Streams each token as it comes; the last message carries the finish reason and usage. */
    private static final class StreamingListener implements JobListener {
        private final BoundedSourceQueue<GenerateResponse> queue;

        StreamingListener(BoundedSourceQueue<GenerateResponse> queue) { this.queue = queue; }

        @Override public void token(int id, String text, io.loopus.worker.loop.TokenTrace trace) {
            GenerateResponse.Builder b = GenerateResponse.newBuilder().setText(text).addTokenIds(id);
            if (trace != null) b.addTrace(trace(trace));
            queue.offer(b.build());
        }

        @Override public void finished(FinishReason reason, String tail, Usage usage) {
            queue.offer(GenerateResponse.newBuilder().setText(tail).setFinishReason(reason(reason)).setUsage(usage(usage)).build());
            queue.complete();
        }

        @Override public void scored(ScoreResult result) {}

        @Override public void failed(Status.Code code, String message) { queue.fail(error(code, message)); }
    }

    /** Collects a whole generation into one reply. */
    private static final class CompletingListener implements JobListener {
        final CompletableFuture<CompleteResponse> result = new CompletableFuture<>();
        private final CompleteResponse.Builder b = CompleteResponse.newBuilder();
        private final StringBuilder text = new StringBuilder();

        void promptIds(int[] ids) { for (int id : ids) b.addPromptIds(id); }

        @Override public void token(int id, String piece, io.loopus.worker.loop.TokenTrace trace) {
            b.addTokenIds(id);
            text.append(piece);
            if (trace != null) b.addTrace(trace(trace));
        }

        @Override public void finished(FinishReason reason, String tail, Usage usage) {
            result.complete(b.setText(text.append(tail).toString()).setFinishReason(reason(reason)).setUsage(usage(usage)).build());
        }

        @Override public void scored(ScoreResult r) {}

        @Override public void failed(Status.Code code, String message) { result.completeExceptionally(error(code, message)); }
    }
}
