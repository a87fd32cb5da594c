package io.loopus.server.serve;

import io.grpc.Status;
import io.loopus.worker.generate.Generator;
import io.loopus.worker.generate.Sampler;
import io.loopus.worker.generate.StopStrings;
import io.loopus.worker.loop.TokenTrace;
import io.loopus.worker.model.LlamaConfig;
import io.loopus.worker.model.PagedKvCache;
import io.loopus.worker.stage.EncodeChunk;
import io.loopus.worker.stage.DecoderStage;
import io.loopus.worker.stage.EncoderStage;
import io.loopus.worker.stage.Logits;
import io.loopus.worker.stage.LoopStage;
import io.loopus.worker.stage.Route;
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
import java.util.HashMap;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Admission, token-level continuous batching and sampling (DESIGN §2). Jobs wait in a bounded
 * queue until their KV cache fits the budget; each running job is placed on one pipeline (its
 * caches live there) and feeds that pipeline's encoder steps of at most {@code stepTokens} rows,
 * decode tokens first and prompt pieces in the room left, so prompts and decoding share steps.
 * Logits coming back from the decoder are sampled here and streamed to each job's listener. A
 * finished, failed, cancelled or expired job is released stage by stage; its reservation returns
 * to the budget when the last stage confirms.
 *
 * <p>When a pipeline goes away (a stage node was lost), its jobs move to another pipeline under a
 * new sequence id and replay their prompt and the tokens already generated there, without sampling
 * or streaming them again, so the client sees no gap and no repeated token; with no pipeline left
 * they end with UNAVAILABLE.
 */
public final class Scheduler extends AbstractBehavior<Scheduler.Command> {
    public sealed interface Command {}

    public record Submit(Job job) implements Command {}

    public record Cancel(long jobId) implements Command {}

    /** The pipelines the scheduler may use now (all of them, not a difference). */
    public record PipelinesChanged(List<Stages> pipelines) implements Command {}

    /** Stop admitting; finish running work within the grace period, then end the rest; reply when empty. */
    public record Drain(Duration grace, ActorRef<Drained> replyTo) implements Command {}

    public record Drained() {}

    private record FromStage(StageEvent event) implements Command {}

    private enum Tick implements Command { INSTANCE }

    private enum GraceOver implements Command { INSTANCE }

    /** A pipeline in use: its stages, the route its work carries, and its encoder steps in flight. */
    private static final class Lane {
        final Stages stages;
        final Route route;
        int stepsInFlight, jobs;

        Lane(Stages stages, Route route) {
            this.stages = stages;
            this.route = route;
        }
    }

    /** A running job: its tokens so far, its place, and what is in flight. */
    private static final class Running {
        final Job job;
        final int reservedTokens;
        final int[] history;
        Lane lane;
        long seq;
        int length, fed, generated, depthSum, scoredTokens, scoredTo;
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
            this.scoredTo = job.scoreFrom();
        }

        /** The rows fed as a prompt: scoring token by token feeds only the context as the prompt. */
        int promptLength() { return job.scoring() && !job.onePass() ? job.scoreFrom() : job.ids().length; }
    }

    private final ServeSettings settings;
    private final LlamaConfig config;
    private final Tokenizer tokenizer;
    private final long kvBytesPerToken;
    private final SchedulerStats stats;
    private final ActorRef<StageEvent> events;
    private final ArrayDeque<Job> queue = new ArrayDeque<>();
    private final Map<Long, Running> running = new LinkedHashMap<>();
    private final Map<Long, Running> bySeq = new HashMap<>();
    private final Map<Long, Lane> steps = new HashMap<>();
    private final List<Lane> lanes = new ArrayList<>();
    private final float[] row;
    /** Sequence ids start at a random 24-bit prefix, so that several frontends never share one at a stage. */
    private long nextSeq = (new java.util.Random().nextLong() & 0xFFFFFFL) << 39;
    private long nextStep, reservedTokens;
    private int nextLane;
    private boolean draining, sawPipelines;
    private ActorRef<Drained> drainedTo;

    /** A scheduler whose pipelines come from {@code source}. */
    public static Behavior<Command> create(ServeSettings settings, LlamaConfig config, long kvBytesPerToken,
                                           Tokenizer tokenizer, SchedulerStats stats, PipelineSource source) {
        return Behaviors.setup(ctx -> Behaviors.withTimers(timers -> {
            timers.startTimerWithFixedDelay(Tick.INSTANCE, Duration.ofMillis(50));
            Scheduler s = new Scheduler(ctx, settings, config, kvBytesPerToken, tokenizer, stats);
            source.start(ctx);
            return s;
        }));
    }

    private Scheduler(ActorContext<Command> ctx, ServeSettings settings, LlamaConfig config, long kvBytesPerToken,
                      Tokenizer tokenizer, SchedulerStats stats) {
        super(ctx);
        this.settings = settings;
        this.config = config;
        this.tokenizer = tokenizer;
        this.kvBytesPerToken = kvBytesPerToken;
        this.stats = stats;
        this.events = ctx.messageAdapter(StageEvent.class, FromStage::new);
        this.row = new float[config.vocabSize()];
    }

    @Override public Receive<Command> createReceive() {
        return newReceiveBuilder()
                .onMessage(Submit.class, this::submit)
                .onMessage(Cancel.class, this::cancel)
                .onMessage(FromStage.class, m -> onStage(m.event()))
                .onMessage(PipelinesChanged.class, this::pipelinesChanged)
                .onMessageEquals(Tick.INSTANCE, this::tick)
                .onMessage(Drain.class, this::drain)
                .onMessageEquals(GraceOver.INSTANCE, this::graceOver)
                .build();
    }

    private Behavior<Command> submit(Submit m) {
        Job job = m.job();
        if (draining) {
            reject(job, Status.Code.UNAVAILABLE, "the server is shutting down");
        } else if (lanes.isEmpty() && sawPipelines) {
            reject(job, Status.Code.UNAVAILABLE, "no pipeline: the cluster has no complete set of encoder, loop and decoder stages");
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
        if (e instanceof StageEvent.Encoded enc) {
            Lane lane = steps.remove(enc.step());
            if (lane != null) lane.stepsInFlight--;
        } else if (e instanceof StageEvent.Decoded dec) {
            for (Logits l : dec.logits()) onLogits(l);
        } else if (e instanceof StageEvent.Failed f) {
            Running r = bySeq.get(f.seq());
            if (r != null && !r.done) fail(r, Status.Code.INTERNAL, "the " + f.stage() + " stage failed: " + f.message());
        } else if (e instanceof StageEvent.Released rel) {
            Running r = bySeq.get(rel.seq());
            if (r != null && r.releasing) forget(r);
        }
        step();
        publish();
        return this;
    }

    /** The job has left every stage: its reservation goes back to the budget. */
    private void forget(Running r) {
        running.remove(r.job.id());
        bySeq.remove(r.seq);
        if (r.lane != null) r.lane.jobs--;
        reservedTokens -= r.reservedTokens;
        admit();
        if (drainedTo != null && running.isEmpty()) {
            drainedTo.tell(new Drained());
            drainedTo = null;
        }
    }

    private void onLogits(Logits l) {
        Running r = bySeq.get(l.seq());
        if (r == null || r.done) return; // cancelled, or moved to another pipeline, while in flight
        r.inFlight = false;
        if (expired(r.job, System.nanoTime())) {
            fail(r, Status.Code.DEADLINE_EXCEEDED, "the deadline passed after " + r.generated + " tokens");
            return;
        }
        r.loopPasses += l.depth();
        stats.loopPasses.addAndGet(l.depth());
        Job job = r.job;
        int vocab = config.vocabSize();
        int last = l.startPos() + l.rows() - 1;
        if (job.scoring()) {
            if (job.onePass()) {
                for (int p = Math.max(job.scoreFrom() - 1, l.startPos()); p < last; p++) {
                    r.logLikelihood += Generator.logSoftmax(l.values(), (p - l.startPos()) * vocab, vocab, job.ids()[p + 1]);
                    r.scoredTokens++;
                    r.depthSum += l.depth();
                }
            } else if (last + 1 == r.scoredTo) { // (a replay on a new pipeline scores nothing twice)
                System.arraycopy(l.values(), 0, row, 0, vocab);
                r.logLikelihood += Generator.logSoftmax(row, 0, vocab, job.ids()[last + 1]);
                r.scoredTokens++;
                r.scoredTo++;
                r.depthSum += l.depth();
            }
            if (job.onePass() || last + 2 >= job.ids().length) {
                r.done = true;
                stats.completed.incrementAndGet();
                job.listener().scored(new JobListener.ScoreResult(r.logLikelihood, r.scoredTokens, job.scoreFrom(),
                        (double) r.depthSum / r.scoredTokens));
                release(r);
            } else {
                r.ready = true; // teacher forcing: the next scored token is fed as it is
            }
            return;
        }
        if (last + 1 < r.length) { // replaying on a new pipeline: this token was generated already
            r.ready = true;
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
        if (r.lane == null) {
            forget(r);
            return;
        }
        r.lane.stages.encoder().tell(new EncoderStage.Release(r.seq, r.lane.route));
    }

    /** Moves queued jobs onto pipelines while their KV cache fits the budget. */
    private void admit() {
        while (!queue.isEmpty() && !draining && !lanes.isEmpty()) {
            Job job = queue.peek();
            int need = tokensFor(job);
            if (reservedTokens + need > settings.kvTokens()) break;
            queue.poll();
            reservedTokens += need;
            Running r = new Running(job, need, config.contextLength(), tokenizer, config.vocabSize());
            running.put(job.id(), r);
            place(r);
        }
    }

    /** Puts a job on the pipeline with the fewest jobs, under a new sequence id, from its first position. */
    private void place(Running r) {
        Lane best = null;
        for (int i = 0; i < lanes.size(); i++) {
            Lane l = lanes.get((nextLane + i) % lanes.size());
            if (best == null || l.jobs < best.jobs) best = l;
        }
        nextLane++;
        r.lane = best;
        best.jobs++;
        r.seq = nextSeq++;
        bySeq.put(r.seq, r);
        r.fed = 0;
        r.ready = false;
        r.inFlight = false;
        if (r.job.scoring() && r.job.onePass()) { // scored again from the start
            r.logLikelihood = 0;
            r.scoredTokens = 0;
            r.depthSum = 0;
        }
    }

    /** KV positions a job reserves: its longest length, rounded up to whole cache blocks. */
    private int tokensFor(Job job) {
        int block = PagedKvCache.DEFAULT_BLOCK_SIZE;
        return (job.maxPositions(config.contextLength()) + block - 1) / block * block;
    }

    /** Sends each pipeline's next encoder step: every ready decode token, then prompt pieces in the room left. */
    private void step() {
        for (Lane lane : lanes) {
            if (lane.stepsInFlight >= settings.stepsInFlight()) continue;
            List<EncodeChunk> chunks = new ArrayList<>();
            int budget = settings.stepTokens();
            for (Running r : running.values()) {
                if (r.lane != lane || r.done || !r.ready || r.inFlight) continue;
                chunks.add(new EncodeChunk(r.seq, r.fed, new int[]{r.history[r.fed]}, true, false, r.job.exit()));
                r.fed++;
                r.ready = false;
                r.inFlight = true;
                budget--;
            }
            for (Running r : running.values()) {
                if (budget <= 0) break;
                int prompt = r.promptLength();
                if (r.lane != lane || r.done || r.fed >= prompt) continue;
                int to = Math.min(prompt, r.fed + budget);
                boolean last = to == prompt;
                chunks.add(new EncodeChunk(r.seq, r.fed, Arrays.copyOfRange(r.job.ids(), r.fed, to), last,
                        r.job.scoring() && r.job.onePass(), r.job.exit()));
                budget -= to - r.fed;
                r.fed = to;
                if (last) r.inFlight = true;
            }
            if (chunks.isEmpty()) continue;
            long id = nextStep++;
            steps.put(id, lane);
            lane.stepsInFlight++;
            lane.stages.encoder().tell(new EncoderStage.Encode(id, chunks, lane.route));
        }
    }

    private Behavior<Command> pipelinesChanged(PipelinesChanged m) {
        sawPipelines = true;
        List<Lane> gone = new ArrayList<>();
        for (Lane l : lanes) if (!m.pipelines().contains(l.stages)) gone.add(l);
        for (Stages s : m.pipelines()) {
            if (lanes.stream().noneMatch(l -> l.stages.equals(s))) {
                lanes.add(new Lane(s, new Route(s.loop(), s.decoder(), events)));
            }
        }
        lanes.removeAll(gone);
        steps.values().removeAll(gone);
        if (!gone.isEmpty()) getContext().getLog().warn("lost {} pipeline(s); {} left", gone.size(), lanes.size());
        for (Running r : new ArrayList<>(running.values())) {
            if (r.lane == null || !gone.contains(r.lane)) continue;
            releaseOnSurvivors(r, m.pipelines());
            bySeq.remove(r.seq);
            r.lane = null;
            if (r.releasing) {
                forget(r);
            } else if (lanes.isEmpty()) {
                fail(r, Status.Code.UNAVAILABLE, "no pipeline left: a stage node was lost and no other can take the request");
            } else {
                place(r); // replays its prompt and tokens on the new pipeline
            }
        }
        admit();
        step();
        publish();
        return this;
    }

    /** Frees a moved job's caches at the stages of its old pipeline that are still there. */
    private static void releaseOnSurvivors(Running r, List<Stages> now) {
        Stages old = r.lane.stages;
        boolean encoder = false, loop = false, decoder = false;
        for (Stages s : now) {
            encoder |= s.encoder().equals(old.encoder());
            loop |= s.loop().equals(old.loop());
            decoder |= s.decoder().equals(old.decoder());
        }
        if (encoder) old.encoder().tell(new EncoderStage.Release(r.seq, null));
        if (loop) old.loop().tell(new LoopStage.Release(r.seq, null));
        if (decoder) old.decoder().tell(new DecoderStage.Release(r.seq, null));
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
        stats.pipelines = lanes.size();
        stats.kvBytesReserved = reservedTokens * kvBytesPerToken;
    }
}
