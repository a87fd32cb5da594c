package io.loopus.trainer.report;

import io.loopus.trainer.chart.Text;

import java.util.Optional;

/**
 * The report as one self-contained HTML page: settings, headline numbers, the four charts as
 * inline SVG and the table of evaluations; no script and nothing fetched from elsewhere.
 */
final class ReportPage {
    private static final String STYLE = """
            body { font-family: sans-serif; max-width: 800px; margin: 2em auto; padding: 0 1em; color: #222; }
            h1 { margin-bottom: 0.2em; }
            .model { font-family: monospace; color: #555; margin-top: 0; word-break: break-all; }
            table { border-collapse: collapse; }
            th, td { padding: 0.25em 0.6em; text-align: left; vertical-align: top; }
            table.settings th { color: #555; font-weight: normal; white-space: nowrap; }
            table.evals th, table.evals td { border-bottom: 1px solid #ddd; text-align: right; }
            .numbers { display: flex; flex-wrap: wrap; gap: 0.8em; }
            .number { border: 1px solid #ddd; border-radius: 6px; padding: 0.6em 0.9em; max-width: 14em; }
            .value { display: block; font-size: 1.6em; font-weight: bold; }
            .what { color: #555; font-size: 0.9em; }
            svg { display: block; max-width: 100%; height: auto; margin: 0.5em 0; }
            .empty { color: #777; font-style: italic; }
            .note { color: #8a5a00; }
            .rule { color: #555; font-size: 0.9em; }
            """;

    private ReportPage() {}

    static String render(RunInfo run, MetricsLog log) {
        StringBuilder h = new StringBuilder("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n<title>")
                .append(Text.escape("loopus training report: " + Text.shortened(run.model(), 60)))
                .append("</title>\n<style>\n").append(STYLE).append("</style>\n</head>\n<body>\n")
                .append("<h1>").append(run.control() ? "Training report (control run)" : "Training report").append("</h1>\n")
                .append("<p class=\"model\">").append(Text.escape(run.model())).append("</p>\n")
                .append(SettingsTable.render(run, log));
        if (log.cutOff()) {
            h.append("<p class=\"note\">The last line of metrics.jsonl is incomplete (the run was stopped while writing it)"
                    + " and is left out.</p>\n");
        }
        h.append(Headline.render(run, log.evals()));

        h.append("<h2>1. Training loss</h2>\n")
                .append(log.steps().isEmpty() ? empty("No training step logged yet.") : LossChart.render(log.steps()));
        h.append("<h2>2. Held-out perplexity</h2>\n")
                .append(orEmpty(PerplexityChart.render(run, log.evals()), "No evaluation yet."));
        h.append("<h2>3. Exit depths</h2>\n").append(depths(run, log));
        h.append("<h2>4. Split</h2>\n").append(run.layers() > 0 ? SplitChart.render(run) : empty("run.json gives no layer count."));
        if (run.dynamics() != null && !run.dynamics().rule().isEmpty()) {
            h.append("<p class=\"rule\">").append(Text.escape(run.dynamics().rule())).append("</p>\n");
        }
        h.append("<h2>Evaluations</h2>\n").append(log.evals().isEmpty() ? empty("No evaluation yet.") : EvalTable.render(run, log.evals()));
        return h.append("</body>\n</html>\n").toString();
    }

    private static String depths(RunInfo run, MetricsLog log) {
        if (run.control()) return empty("A control run has no loop, so no exit depths.");
        Optional<Evaluation> e = log.evals().stream().filter(x -> x.adaptive().isPresent()).reduce((a, b) -> b);
        if (e.isEmpty()) return empty(log.evals().isEmpty() ? "No evaluation yet." : "No adaptive-exit evaluation yet.");
        return orEmpty(DepthChart.render(e.get(), e.get().adaptive().get()), "The evaluation gives no exit depths.");
    }

    private static String orEmpty(String svg, String message) {
        return svg != null ? svg : empty(message);
    }

    private static String empty(String message) {
        return "<p class=\"empty\">" + Text.escape(message) + "</p>\n";
    }
}
