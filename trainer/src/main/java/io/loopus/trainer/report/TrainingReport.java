package io.loopus.trainer.report;

import io.loopus.worker.io.AtomicFiles;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Turns a training run's folder into {@code report.html}: the settings from {@code run.json},
 * the losses and evaluations from {@code metrics.jsonl}. Safe to call while the run goes on or
 * after it was killed: a cut-off last line is left out and missing evaluations are said so.
 */
public final class TrainingReport {
    public static final String RUN = "run.json", METRICS = "metrics.jsonl", REPORT = "report.html";

    private TrainingReport() {}

    /** Reads {@code runDir/run.json} and {@code runDir/metrics.jsonl}; writes {@code runDir/report.html} atomically. */
    public static void write(Path runDir) {
        try {
            String html = ReportPage.render(RunInfo.read(runDir.resolve(RUN)), MetricsLog.read(runDir.resolve(METRICS)));
            AtomicFiles.writeFile(runDir.resolve(REPORT), tmp -> Files.writeString(tmp, html, StandardCharsets.UTF_8));
        } catch (IOException e) {
            throw new UncheckedIOException(runDir + ": cannot write the training report: " + e.getMessage(), e);
        }
    }
}
