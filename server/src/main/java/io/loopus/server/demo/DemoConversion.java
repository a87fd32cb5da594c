package io.loopus.server.demo;

import io.loopus.trainer.report.TrainingReport;
import io.loopus.trainer.train.Conversion;
import io.loopus.trainer.train.EvalResult;
import io.loopus.trainer.train.StepMetrics;
import io.loopus.trainer.train.TrainingListener;
import io.loopus.worker.loop.Split;

import java.io.PrintStream;
import java.nio.file.Path;
import java.util.Locale;

/** The real {@code convert} (random deep supervision in the trainer's actor system) at the demo's recipe. */
public final class DemoConversion {
    /** @param eval the final held-out evaluation (null if the run reported none) */
    public record Result(int updates, double seconds, EvalResult eval) {}

    private DemoConversion() {}

    /**
     * @param out the run directory (missing or empty); the LoopUS checkpoint lands in {@code out/model}
     * @param log where the trainer's remarks go (stderr)
     */
    public static Result run(Path base, Path tokenizer, Path train, Path eval, Split split, DemoRecipe recipe, Path out,
                             ProgressSink.Factory progress, PrintStream log) {
        long start = System.nanoTime();
        Listener listener = new Listener(progress.start("convert", "updates", recipe.steps()), log);
        int workers = Runtime.getRuntime().availableProcessors();
        int done = Conversion.run(new Conversion.Request(base, tokenizer, train, eval, out, split.toString(),
                recipe.draft(workers), 0.6, false, recipe.nearIdentityGate(), 0, 0), listener, TrainingReport::write);
        listener.line.finish(done);
        return new Result(done, (System.nanoTime() - start) / 1e9, listener.last);
    }

    private static final class Listener implements TrainingListener {
        final ProgressSink line;
        final PrintStream log;
        EvalResult last;

        Listener(ProgressSink line, PrintStream log) {
            this.line = line;
            this.log = log;
        }

        @Override public void onStep(StepMetrics m, int total) {
            line.update(m.step(), String.format(Locale.ROOT, "loss %.3f (lm %.3f) %.0f tok/s", m.loss(), m.lm(), m.tokensPerSecond()));
        }

        @Override public void onEval(EvalResult r) { last = r; }

        @Override public void onCheckpoint(int step, Path dir) {}

        @Override public void onInfo(String text) {
            log.println("convert: " + text);
        }
    }
}
