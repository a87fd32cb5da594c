package io.loopus.trainer.train;

import java.nio.file.Path;

/** What a run tells its caller as it goes (the command line draws a progress bar from it). */
public interface TrainingListener {
    void onStep(StepMetrics m, int totalSteps);

    void onEval(EvalResult r);

    void onCheckpoint(int step, Path dir);

    void onInfo(String line);
}
