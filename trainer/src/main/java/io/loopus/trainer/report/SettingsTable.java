package io.loopus.trainer.report;

import io.loopus.trainer.chart.Text;
import io.loopus.worker.loop.Split;

import java.util.List;
import java.util.Locale;
import java.util.stream.Collectors;

/** The report's header table: what was trained, how, on what, and how far it has got. */
final class SettingsTable {
    private SettingsTable() {}

    static String render(RunInfo run, MetricsLog log) {
        StringBuilder h = new StringBuilder("<table class=\"settings\">\n");
        row(h, "model", run.model() + " (" + run.layers() + " layers)");
        Split s = run.split();
        if (s != null) {
            row(h, "split", s + ": encoder [0, " + s.encoderEnd() + "), reasoning block [" + s.encoderEnd() + ", " + s.decoderStart()
                    + "), decoder [" + s.decoderStart() + ", " + s.layers() + ")"
                    + (run.dynamics() != null ? ", chosen by loopus analyze" : ", given by hand"));
        }
        row(h, "loops", run.control() ? "control run: the plain model trained without the loop" : "N = " + run.loops());
        row(h, "recipe", run.config().entrySet().stream().map(e -> e.getKey() + " " + e.getValue()).collect(Collectors.joining(" \u00b7 ")));
        row(h, "data", run.data() + (run.evalData().isEmpty() ? "" : "; held out: " + run.evalData()));
        row(h, "progress", progress(run, log.steps()));
        return h.append("</table>\n").toString();
    }

    private static void row(StringBuilder h, String name, String value) {
        h.append("<tr><th>").append(name).append("</th><td>").append(Text.escape(value)).append("</td></tr>\n");
    }

    /** "step 50 of 300 · 204,800 tokens in 4 min 1 s · 850 tokens/s". */
    private static String progress(RunInfo run, List<StepMetrics> steps) {
        String planned = run.config().get("steps");
        if (steps.isEmpty()) return "no step logged yet" + (planned == null ? "" : " (" + planned + " planned)");
        StepMetrics last = steps.get(steps.size() - 1);
        double tokens = steps.stream().mapToDouble(StepMetrics::tokens).filter(Double::isFinite).sum();
        StringBuilder p = new StringBuilder("step " + last.step() + (planned == null ? "" : " of " + planned));
        if (tokens > 0) p.append(String.format(Locale.ROOT, " \u00b7 %,d tokens", Math.round(tokens)));
        if (last.elapsedSeconds() > 0) {
            p.append(" in ").append(duration(last.elapsedSeconds()));
            if (tokens > 0) p.append(String.format(Locale.ROOT, " \u00b7 %,d tokens/s", Math.round(tokens / last.elapsedSeconds())));
        }
        return p.toString();
    }

    /** 40 s, 4 min 1 s, 2 h 5 min. */
    static String duration(double seconds) {
        long s = Math.round(seconds);
        if (s < 60) return s + " s";
        if (s < 3600) return s / 60 + " min " + s % 60 + " s";
        return s / 3600 + " h " + s % 3600 / 60 + " min";
    }
}
