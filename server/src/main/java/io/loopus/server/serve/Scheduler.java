package io.loopus.server.serve;

import io.grpc.Status;
import io.loopus.worker.generate.Generator;
import io.loopus.worker.generate.Sampler;
import io.loopus.worker.generate.StopStrings;
import io.loopus.worker.loop.TokenTrace;
import io.loopus.worker.model.LlamaConfig;
import io.loopus.worker.model.PagedKvCache;
import io.loopus.worker.stage.EncodeChunk;
import io.loopus.worker.stage.EncoderStage;
import io.loopus.worker.stage.Logits;
import io.loopus.worker.stage.StageEvent;
import io.loopus.worker.tokenizer.TextStream;
import io.loopus.worker.tokenizer.Tokenizer;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.javadsl.AbstractBehavior;
import org.apache.pekko.actor.typed.javadsl.ActorContext;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.actor.typed.javadsl.Receive;

import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Admission, token-level continuous batching and sampling (DESIGN §2). Jobs wait in a bounded
 * queue until their KV cache fits the budget; running jobs feed the encoder steps of at most
 * {@code stepTokens} rows, decode tokens first and prompt pieces in the room left, so prompts and
 * decoding share steps. Logits coming back from the decoder are sampled here and streamed to
 * each job's listener. A finished, failed, cancelled or expired job is released stage by stage;
 * its reservation returns to the budget when the last stage confirms.
 */
public final class Scheduler extends AbstractBehavior<Scheduler.Command> {
    public sealed interface Command {}

    public record Submit(Job job) implements Command {}

    public record Cancel(long jobId) implements Command {}

    /** Stop admitting; finish running work within the grace period, then end the rest; reply when empty. */
    public record Drain(Duration grace, ActorRef<Drained> replyTo) implements Command {}

    public record Drained() {}

    private record FromStage(StageEvent event) implements Command {}

    private enum Tick implements Command { INSTANCE }

    private enum GraceOver implements Command { INSTANCE }

    /** A running job: its tokens so far and what is in flight. */
    private static final class Running {
        final Job job;
        final int reservedTokens;
        final int[] history;
        int length, encoded, generated, depthSum, scoredTokens;
        boolean ready, inFlight, releasing, done;
        long loopPasses;
        double logLikelihood;
        final Sampler sampler;
        final TextStream text;
        final StopStrings stops;

        Running(Job job, int reservedTokens, int context, Tokenizer tokenizer, int vocab) {
            this.job = job;
            this.reservedTokens = reservedTokens;
            this.history = Arrays.copyOf(job.ids(), Math.max(job.ids().length, job.maxPositions(context)));
            this.length = job.ids().length;
            this.sampler = job.scoring() ? null : new Sampler(job.sampling(), vocab);
            this.text = job.scoring() ? null : new TextStream(tokenizer);
            this.stops = job.scoring() ? null : new StopStrings(job.stop());
        }

        /** The prompt rows to encode: scoring token by token feeds only the context as the prompt. */
        int promptLength() { return job.scoring() && !job.onePass() ? job.scoreFrom() : job.ids().length; }
    }

    private final ServeSettings settings;
    private final LlamaConfig config;
    private final Tokenizer tokenizer;
    private final long kvBytesPerToken;
    private final ActorRef<EncoderStage.Command> encoder;
    private final SchedulerStats stats;
    private final ArrayDeque<Job> queue = new ArrayDeque<>();
    private final Map<Long, Running> running = new LinkedHashMap<>();
    private final float[] row;
    private long reservedTokens;
    private int stepsInFlight;
    private boolean draining;
    private ActorRef<Drained> drainedTo;

    /** A scheduler with the pipeline's stages as its children. */
    public static Behavior<Command> create(ServeSettings settings, Pipeline pipeline, Tokenizer tokenizer, SchedulerStats stats) {
        return Behaviors.setup(ctx -> Behaviors.withTimers(timers -> {
            timers.startTimerWithFixedDelay(Tick.INSTANCE, Duration.ofMillis(50));
            var encoder = pipeline.spawn(ctx, settings, ctx.messageAdapter(StageEvent.class, FromStage::new));
            return new Scheduler(ctx, settings, pipeline.plan().config(), tokenizer, pipeline.plan().kvBytesPerToken(),
                    encoder, stats);
        }));
    }

    private Scheduler(ActorContext<Command> ctx, ServeSettings settings, LlamaConfig config, Tokenizer tokenizer,
                      long kvBytesPerToken, ActorRef<EncoderStage.Command> encoder, SchedulerStats stats) {
        super(ctx);
        this.settings = settings;
        this.config = config;
        this.tokenizer = tokenizer;
        this.kvBytesPerToken = kvBytesPerToken;
        this.encoder = encoder;
        this.stats = stats;
        this.row = new float[config.vocabSize()];
    }

    @Override public Receive<Command> createReceive() {
        return newReceiveBuilder()
                .onMessage(Submit.class, this::submit)
                .onMessage(Cancel.class, this::cancel)
                .onMessage(FromStage.class, m -> onStage(m.event()))
                .onMessageEquals(Tick.INSTANCE, this::tick)
                .onMessage(Drain.class, this::drain)
                .onMessageEquals(GraceOver.INSTANCE, this::graceOver)
                .build();
    }

    private Behavior<Command> submit(Submit m) {
        Job job = m.job();
        if (draining) {
            reject(job, Status.Code.UNAVAILABLE, "the server is shutting down");
        } else if (tokensFor(job) > settings.kvTokens()) {
            reject(job, Status.Code.INVALID_ARGUMENT, "the request needs " + tokensFor(job) + " KV cache positions; the server holds "
                    + settings.kvTokens());
        } else if (queue.size() >= settings.queueLimit()) {
            reject(job, Status.Code.RESOURCE_EXHAUSTED, "the queue is full (" + settings.queueLimit() + " requests waiting); retry later");
        } else {
            queue.add(job);
            admit();
            step();
        }
        publish();
        return this;
    }

    private void reject(Job job, Status.Code code, String message) {
        stats.rejected.incrementAndGet();
        job.listener().failed(code, message);
    }

    private Behavior<Command> cancel(Cancel m) {
        if (queue.removeIf(j -> j.id() == m.jobId())) {
            stats.cancelled.incrementAndGet();
        } else {
            Running r = running.get(m.jobId());
            if (r != null && !r.done) {
                r.done = true;
                stats.cancelled.incrementAndGet();
                release(r);
            }
        }
        publish();
        return this;
    }

    private Behavior<Command> onStage(StageEvent e) {
        if (e instanceof StageEvent.Encoded) {
            stepsInFlight--;
        } else if (e instanceof StageEvent.Decoded dec) {
            for (Logits l : dec.logits()) onLogits(l);
        } else if (e instanceof StageEvent.Failed f) {
            Running r = running.get(f.seq());
            if (r != null && !r.done) fail(r, Status.Code.INTERNAL, "the " + f.stage() + " stage failed: " + f.message());
        } else if (e instanceof StageEvent.Released rel) {
            Running r = running.remove(rel.seq());
            if (r != null) reservedTokens -= r.reservedTokens;
            admit();
            if (drainedTo != null && running.isEmpty()) {
                drainedTo.tell(new Drained());
                drainedTo = null;
            }
        }
        step();
        publish();
        return this;
    }

    private void onLogits(Logits l) {
        Running r = running.get(l.seq());
        if (r == null || r.done) return; // cancelled while in flight
        r.inFlight = false;
        r.loopPasses += l.depth();
        stats.loopPasses.addAndGet(l.depth());
        Job job = r.job;
        int vocab = config.vocabSize();
        if (job.scoring()) {
            int last = l.startPos() + l.rows() - 1;
            if (job.onePass()) {
                for (int p = Math.max(job.scoreFrom() - 1, l.startPos()); p < last; p++) {
                    r.logLikelihood += Generator.logSoftmax(l.values(), (p - l.startPos()) * vocab, vocab, job.ids()[p + 1]);
                    r.scoredTokens++;
                    r.depthSum += l.depth();
                }
            } else {
                System.arraycopy(l.values(), 0, row, 0, vocab);
                r.logLikelihood += Generator.logSoftmax(row, 0, vocab, job.ids()[last + 1]);
                r.scoredTokens++;
                r.depthSum += l.depth();
            }
            if (job.onePass() || last + 2 >= job.ids().length) {
                r.done = true;
                stats.completed.incrementAndGet();
                int context = job.scoreFrom();
                job.listener().scored(new JobListener.ScoreResult(r.logLikelihood, r.scoredTokens, context,
                        (double) r.depthSum / r.scoredTokens));
                release(r);
            } else {
                r.length = last + 2; // teacher forcing: the next scored token is fed as it is
                r.ready = true;
            }
            return;
        }
        System.arraycopy(l.values(), 0, row, 0, vocab);
        int token = r.sampler.sample(row, 0, r.history, r.length);
        if (config.isEos(token)) {
            finish(r, JobListener.FinishReason.STOP);
            return;
        }
        int prev = r.history[r.length - 1];
        r.history[r.length++] = token;
        r.generated++;
        stats.generatedTokens.incrementAndGet();
        String piece = r.stops.push(r.text.push(prev, token));
        TokenTrace trace = job.trace() ? new TokenTrace(l.depth(), l.q(), l.meanAbar()) : null;
        job.listener().token(token, piece, trace);
        if (r.stops.stopped()) finish(r, JobListener.FinishReason.STOP);
        else if (r.generated >= job.maxNewTokens() || r.length >= config.contextLength()) finish(r, JobListener.FinishReason.LENGTH);
        else r.ready = true;
    }

    private void finish(Running r, JobListener.FinishReason reason) {
        r.done = true;
        String tail = r.stops.push(r.text.flush()) + r.stops.flush();
        stats.completed.incrementAndGet();
        r.job.listener().finished(reason, tail, new JobListener.Usage(r.job.ids().length, r.generated, r.loopPasses));
        release(r);
    }

    private void fail(Running r, Status.Code code, String message) {
        r.done = true;
        stats.failed.incrementAndGet();
        r.job.listener().failed(code, message);
        release(r);
    }

    /** Frees the job's caches stage by stage, behind any of its work still in flight. */
    private void release(Running r) {
        if (r.releasing) return;
        r.releasing = true;
        r.ready = false;
        encoder.tell(new EncoderStage.Release(r.job.id()));
    }

    /** Moves queued jobs into the running set while their KV cache fits the budget. */
    private void admit() {
        while (!queue.isEmpty() && !draining) {
            Job job = queue.peek();
            int need = tokensFor(job);
            if (reservedTokens + need > settings.kvTokens()) break;
            queue.poll();
            reservedTokens += need;
            Running r = new Running(job, need, config.contextLength(), tokenizer, config.vocabSize());
            running.put(job.id(), r);
        }
    }

    /** KV positions a job reserves: its longest length, rounded up to whole cache blocks. */
    private int tokensFor(Job job) {
        int block = PagedKvCache.DEFAULT_BLOCK_SIZE;
        return (job.maxPositions(config.contextLength()) + block - 1) / block * block;
    }

    /** Sends the next encoder step: every ready decode token, then prompt pieces in the room left. */
    private void step() {
        if (stepsInFlight >= settings.stepsInFlight()) return;
        List<EncodeChunk> chunks = new ArrayList<>();
        int budget = settings.stepTokens();
        for (Running r : running.values()) {
            if (r.done || !r.ready || r.inFlight) continue;
            chunks.add(new EncodeChunk(r.job.id(), r.length - 1, new int[]{r.history[r.length - 1]}, true, false, r.job.exit()));
            r.ready = false;
            r.inFlight = true;
            budget--;
        }
        for (Running r : running.values()) {
            if (budget <= 0) break;
            int prompt = r.promptLength();
            if (r.done || r.encoded >= prompt) continue;
            int to = Math.min(prompt, r.encoded + budget);
            boolean last = to == prompt;
            chunks.add(new EncodeChunk(r.job.id(), r.encoded, Arrays.copyOfRange(r.job.ids(), r.encoded, to), last,
                    r.job.scoring() && r.job.onePass(), r.job.exit()));
            budget -= to - r.encoded;
            r.encoded = to;
            if (last) r.inFlight = true;
        }
        if (chunks.isEmpty()) return;
        stepsInFlight++;
        encoder.tell(new EncoderStage.Encode(chunks));
    }

    private Behavior<Command> tick() {
        long now = System.nanoTime();
        for (Iterator<Job> it = queue.iterator(); it.hasNext(); ) {
            Job job = it.next();
            if (expired(job, now)) {
                it.remove();
                stats.failed.incrementAndGet();
                job.listener().failed(Status.Code.DEADLINE_EXCEEDED, "the deadline passed while the request was queued");
            }
        }
        for (Running r : new ArrayList<>(running.values())) {
            if (!r.done && expired(r.job, now)) {
                fail(r, Status.Code.DEADLINE_EXCEEDED, "the deadline passed after " + r.generated + " tokens");
            }
        }
        step();
        publish();
        return this;
    }

    private static boolean expired(Job job, long now) {
        return job.deadlineNanos() != Long.MAX_VALUE && now - job.deadlineNanos() > 0;
    }

    private Behavior<Command> drain(Drain m) {
        draining = true;
        while (!queue.isEmpty()) reject(queue.poll(), Status.Code.UNAVAILABLE, "the server is shutting down");
        if (running.isEmpty()) {
            m.replyTo().tell(new Drained());
        } else {
            drainedTo = m.replyTo();
            getContext().scheduleOnce(m.grace(), getContext().getSelf(), GraceOver.INSTANCE);
        }
        publish();
        return this;
    }

    private Behavior<Command> graceOver() {
        for (Running r : new ArrayList<>(running.values())) {
            if (!r.done) fail(r, Status.Code.UNAVAILABLE, "the server is shutting down");
        }
        return this;
    }

    private void publish() {
        int live = 0;
        for (Running r : running.values()) if (!r.done) live++;
        stats.running = live;
        stats.queued = queue.size();
        stats.kvBytesReserved = reservedTokens * kvBytesPerToken;
    }
}
