package io.loopus.trainer.train;

import io.loopus.trainer.eval.ExitCalibration;
import io.loopus.trainer.grad.TrainableParams;
import io.loopus.worker.loop.LoopusWeights;
import org.apache.pekko.Done;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.javadsl.AbstractBehavior;
import org.apache.pekko.actor.typed.javadsl.ActorContext;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.actor.typed.javadsl.Receive;

import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.CompletableFuture;

/**
 * Drives the run: each update hands every micro-batch stream's next window to a worker (stream k
 * to worker k mod W), sums the returned gradients in stream order as they arrive, applies AdamW on
 * the schedule, and between updates writes checkpoints and sends snapshots to the evaluator. A
 * failed window or evaluation ends the run with that failure; nothing is skipped.
 */
public final class Coordinator extends AbstractBehavior<Coordinator.Command> {
    public sealed interface Command {}

    public record Start() implements Command {}

    record BatchArrived(MicroBatch batch) implements Command {}

    public record WindowDone(int update, WindowWorker.Result result, SlotState slot, ActorRef<GradientWorker.Command> worker)
            implements Command {}

    public record WindowFailed(int update, int slot, Throwable error) implements Command {}

    public record Evaluated(EvalResult result) implements Command {}

    public record EvaluationFailed(int step, Throwable error) implements Command {}

    record Reported() implements Command {}

    /**
     * Writes the user-facing LoopUS model of a snapshot into a directory that must not exist yet,
     * with {@code exit} as its default exit rule (null: the reference's defaults).
     */
    @FunctionalInterface
    public interface ModelWriter {
        void write(LoopusWeights snapshot, Path dir, ExitCalibration.Point exit);
    }

    /** What the run needs besides its actors. */
    public record Setup(TrainingModel model, TrainConfig cfg, Path runDir, TrainingCheckpoint.Restored resumed,
                        ModelWriter modelWriter, CompletableFuture<Integer> outcome) {}

    private final Setup setup;
    private final TrainConfig cfg;
    private final List<ActorRef<GradientWorker.Command>> workers;
    private final ActorRef<DataLoader.Command> data;
    private final ActorRef<Evaluator.Command> evaluator;
    private final ActorRef<Reporter.Command> reporter;
    private final ActorRef<MicroBatch> batchAdapter;
    private final SlotState[] slots;
    private final WindowDone[] arrived;
    private final Updater updater;
    private int update, nextToAdd;
    private double loss, lm, monotone, confidence, lmBefore, accuracy;
    private long tokens;
    private long updateStart;
    private final long runStart = System.nanoTime();

    public static Behavior<Command> create(Setup setup, List<ActorRef<GradientWorker.Command>> workers,
                                           ActorRef<DataLoader.Command> data, ActorRef<Evaluator.Command> evaluator,
                                           ActorRef<Reporter.Command> reporter) {
        return Behaviors.setup(ctx -> new Coordinator(ctx, setup, workers, data, evaluator, reporter));
    }

    private Coordinator(ActorContext<Command> ctx, Setup setup, List<ActorRef<GradientWorker.Command>> workers,
                        ActorRef<DataLoader.Command> data, ActorRef<Evaluator.Command> evaluator,
                        ActorRef<Reporter.Command> reporter) {
        super(ctx);
        this.setup = setup;
        this.cfg = setup.cfg();
        this.workers = workers;
        this.data = data;
        this.evaluator = evaluator;
        this.reporter = reporter;
        this.batchAdapter = ctx.messageAdapter(MicroBatch.class, BatchArrived::new);
        this.updater = new Updater(setup.model().tensors(), cfg);
        this.arrived = new WindowDone[cfg.microBatches()];
        if (setup.resumed() != null) {
            slots = setup.resumed().slots();
            update = setup.resumed().update();
            updater.optimizer().restore(setup.resumed().optimizer());
        } else {
            slots = new SlotState[cfg.microBatches()];
            for (int k = 0; k < slots.length; k++) slots[k] = new SlotState(k);
        }
        for (ActorRef<GradientWorker.Command> w : workers) ctx.watch(w);
    }

    @Override public Receive<Command> createReceive() {
        return newReceiveBuilder()
                .onMessage(Start.class, s -> beginUpdate())
                .onMessage(BatchArrived.class, b -> {
                    dispatch((int) (b.batch().index() % slots.length), b.batch());
                    return this;
                })
                .onMessage(WindowDone.class, this::onWindow)
                .onMessage(WindowFailed.class, f -> fail(new IllegalStateException("update " + (f.update() + 1)
                        + ": the window of micro-batch stream " + f.slot() + " failed: " + f.error(), f.error())))
                .onMessage(Evaluated.class, this::onEvaluated)
                .onMessage(EvaluationFailed.class, f -> fail(new IllegalStateException("evaluation at update " + f.step()
                        + " failed: " + f.error(), f.error())))
                .onMessage(Reported.class, r -> {
                    setup.outcome().complete(update);
                    return Behaviors.stopped();
                })
                .onSignal(org.apache.pekko.actor.typed.Terminated.class, t -> fail(new IllegalStateException(
                        "gradient worker " + t.getRef().path().name() + " stopped during the run")))
                .build();
    }

    private Behavior<Command> beginUpdate() {
        if (update >= cfg.steps()) return finish();
        updateStart = System.nanoTime();
        nextToAdd = 0;
        loss = lm = monotone = confidence = lmBefore = accuracy = 0;
        tokens = 0;
        for (SlotState s : slots) {
            if (s.resumeBatch >= 0 && s.windowsDone < cfg.windowsPerRound()) { // resumed mid-round: the same tokens again
                data.tell(new DataLoader.Fetch(s.resumeBatch, batchAdapter));
                continue;
            }
            s.resumeBatch = -1;
            if (s.needsBatch(cfg.windowsPerRound())) data.tell(new DataLoader.Fetch((s.round + 1) * slots.length + s.slot, batchAdapter));
            else dispatch(s.slot, null);
        }
        return this;
    }

    private void dispatch(int slot, MicroBatch batch) {
        workers.get(slot % workers.size()).tell(new GradientWorker.Compute(update, slots[slot], batch, getContext().getSelf()));
    }

    private Behavior<Command> onWindow(WindowDone d) {
        arrived[d.slot().slot()] = d;
        while (nextToAdd < arrived.length && arrived[nextToAdd] != null) { // in stream order, whatever the arrival order
            WindowDone w = arrived[nextToAdd];
            TrainableParams grads = w.result().grads();
            updater.add(grads.tensors());
            w.worker().tell(new GradientWorker.Release(grads));
            var l = w.result().losses();
            loss += l.total();
            lm += l.lm();
            monotone += l.monotone();
            confidence += l.confidence();
            lmBefore += l.lmBefore();
            accuracy += l.tokenAccuracy();
            tokens += w.result().tokens();
            arrived[nextToAdd++] = null;
        }
        return nextToAdd == arrived.length ? endUpdate() : this;
    }

    private Behavior<Command> endUpdate() {
        Updater.Applied a = updater.apply(update);
        update++;
        int m = slots.length;
        double seconds = (System.nanoTime() - updateStart) / 1e9;
        reporter.tell(new Reporter.Step(new StepMetrics(update, a.lr(), loss / m, lm / m, monotone / m, confidence / m,
                lmBefore / m, accuracy / m, a.gradNorm(), tokens, tokens / seconds, (System.nanoTime() - runStart) / 1e9)));
        if (update % cfg.checkpointEvery() == 0 || update == cfg.steps()) checkpoint();
        if (cfg.evalEvery() > 0 && update % cfg.evalEvery() == 0 && update < cfg.steps()) {
            evaluator.tell(new Evaluator.Evaluate(update, false, setup.model().snapshot(), getContext().getSelf()));
        }
        return beginUpdate();
    }

    private void checkpoint() {
        LoopusWeights snapshot = setup.model().snapshot();
        Path dir = TrainingCheckpoint.write(setup.runDir(), update, setup.model(), updater.optimizer().state(), slots, cfg,
                d -> setup.modelWriter().write(snapshot, d.resolve("model"), null));
        reporter.tell(new Reporter.Checkpointed(update, dir));
    }

    private Behavior<Command> finish() {
        reporter.tell(new Reporter.Info("final evaluation on every held-out story (base model, fixed loops 1.."
                + cfg.loops() + ", threshold exits token by token)..."));
        evaluator.tell(new Evaluator.Evaluate(update, true, setup.model().snapshot(), getContext().getSelf()));
        return this;
    }

    private Behavior<Command> onEvaluated(Evaluated e) {
        reporter.tell(new Reporter.Eval(e.result()));
        if (e.result().last()) {
            ExitCalibration.Result c = e.result().calibration();
            setup.modelWriter().write(setup.model().snapshot(), setup.runDir().resolve("model"), c == null ? null : c.chosen());
            ActorRef<Done> done = getContext().messageAdapter(Done.class, x -> new Reported());
            reporter.tell(new Reporter.Finish(done));
        }
        return this;
    }

    private Behavior<Command> fail(Throwable t) {
        setup.outcome().completeExceptionally(t);
        return Behaviors.stopped();
    }
}
