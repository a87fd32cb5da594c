package io.loopus.trainer.train;

import io.loopus.trainer.eval.ExitCalibration;
import io.loopus.trainer.eval.HeldOutText;
import io.loopus.trainer.eval.Perplexity;
import io.loopus.worker.loop.ExitPolicy;
import io.loopus.worker.loop.HaltingStrategy;
import io.loopus.worker.loop.LoopusConfig;
import io.loopus.worker.loop.LoopusModel;
import io.loopus.worker.loop.LoopusWeights;
import io.loopus.worker.loop.Split;
import io.loopus.worker.model.LlamaConfig;
import io.loopus.worker.model.LlamaModel;
import io.loopus.worker.model.LlamaWeights;
import io.loopus.worker.tensor.CpuBackend;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.javadsl.Behaviors;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Held-out perplexity of a snapshot of the weights at fixed loop counts 1..N and with threshold
 * exits (at most N loops), beside the base model's on the same stories (DESIGN §8). Periodic
 * evaluations read the first stories only; the last one reads them all, and first chooses the
 * threshold rule it measures (and the model keeps) on calibration text ({@link ExitCalibration}).
 */
public final class Evaluator {
    private Evaluator() {}

    public sealed interface Command {}

    public record Evaluate(int step, boolean last, LoopusWeights snapshot, ActorRef<Coordinator.Command> replyTo)
            implements Command {}

    /**
     * What to measure; a control run is measured as the plain model it trains (base_ppl, no loop rows).
     *
     * @param tau         the threshold of periodic evaluations (min_loops 1)
     * @param calibration text on which the last evaluation chooses the exit rule it then measures, or null to
     *                    measure {@code tau} again
     */
    public record Plan(LlamaConfig config, LlamaWeights base, Split split, int loops, double tau, HeldOutText text,
                       int periodicStories, boolean control, HeldOutText calibration, double tolerance) {}

    /** Tau bisection steps of the calibration. */
    private static final int BISECTIONS = 7;

    public static Behavior<Command> create(Plan plan) {
        Map<Integer, Double> basePpl = new HashMap<>(); // by story count: the base model never changes
        return Behaviors.receive(Command.class)
                .onMessage(Evaluate.class, e -> {
                    try {
                        e.replyTo().tell(new Coordinator.Evaluated(evaluate(plan, e, basePpl)));
                    } catch (RuntimeException | Error failure) {
                        e.replyTo().tell(new Coordinator.EvaluationFailed(e.step(), failure));
                    }
                    return Behaviors.same();
                })
                .build();
    }

    private static EvalResult evaluate(Plan plan, Evaluate e, Map<Integer, Double> basePpl) {
        HeldOutText text = e.last() ? plan.text() : plan.text().first(plan.periodicStories());
        int stories = text.stories().size();
        if (plan.control()) {
            double ppl = Perplexity.of(new LlamaModel(plan.config(), e.snapshot().base(), CpuBackend.INSTANCE), text, d -> {}).ppl();
            return new EvalResult(e.step(), e.last(), stories, ppl, List.of(), null);
        }
        Double base = basePpl.computeIfAbsent(stories, k ->
                Perplexity.of(new LlamaModel(plan.config(), plan.base(), CpuBackend.INSTANCE), text, d -> {}).ppl());
        LoopusModel m = new LoopusModel(plan.config(), e.snapshot(), LoopusConfig.defaults(plan.split(), plan.loops()),
                CpuBackend.INSTANCE);
        List<EvalResult.Row> rows = new ArrayList<>();
        for (int n = 1; n <= plan.loops(); n++) {
            m.setExitPolicy(ExitPolicy.fixed(n));
            rows.add(row(n, "fixed", null, n, Perplexity.of(m, text, d -> {})));
        }
        ExitCalibration.Result calibration = null;
        int minLoops = 1;
        double tau = plan.tau();
        if (e.last() && plan.calibration() != null) {
            m.setExitPolicy(ExitPolicy.fixed(plan.loops()));
            calibration = ExitCalibration.run(m, plan.calibration(), plan.tolerance(), BISECTIONS, p -> {});
            minLoops = calibration.chosen().minLoops();
            tau = calibration.chosen().tau();
        }
        m.setExitPolicy(new ExitPolicy(HaltingStrategy.THRESHOLD, plan.loops(), minLoops, tau, 1, 1e-2));
        rows.add(row(plan.loops(), "threshold", tau, minLoops, Perplexity.of(m, text, d -> {})));
        return new EvalResult(e.step(), e.last(), stories, base, rows, calibration);
    }

    private static EvalResult.Row row(int loops, String exit, Double tau, int minLoops, Perplexity.Result r) {
        return new EvalResult.Row(loops, exit, tau, minLoops, r.ppl(), r.loopsMean(), r.depthCounts());
    }
}
