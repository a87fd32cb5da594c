package io.loopus.trainer.report;

import io.loopus.trainer.chart.Text;

import java.util.List;
import java.util.Optional;

/**
 * The numbers a reader looks for first, from the latest evaluation: base perplexity, the best
 * fixed loop count, the adaptive exit's perplexity and mean passes, and the passes it saves
 * against always running N.
 */
final class Headline {
    private Headline() {}

    static String render(RunInfo run, List<Evaluation> evals) {
        if (evals.isEmpty()) return "<p class=\"empty\">No evaluation yet.</p>\n";
        Evaluation e = evals.get(evals.size() - 1);
        StringBuilder h = new StringBuilder("<h2>").append(e.last() ? "Final numbers" : "Latest numbers").append(" (step ")
                .append(e.step()).append(e.last() ? "" : ", the run has not finished").append(")</h2>\n<div class=\"numbers\">\n");
        double base = PerplexityChart.latestBase(evals);
        if (run.control()) {
            card(h, Text.number(e.basePpl(), 4), "held-out perplexity, trained without the loop (control)");
        } else if (Double.isFinite(base)) {
            card(h, Text.number(base, 4), "base model perplexity");
        }
        Optional<ExitResult> best = e.bestFixed();
        best.ifPresent(b -> card(h, Text.number(b.ppl(), 4), "best fixed exit (N = " + b.loops() + ")"));
        e.adaptive().ifPresent(a -> {
            card(h, Text.number(a.ppl(), 4), a.policy() + " exit, " + Text.number(a.loopsMean(), 3) + " passes on average");
            double saved = a.loops() - a.loopsMean();
            if (Double.isFinite(saved)) {
                card(h, Text.number(saved, 3), "fewer loop passes than N = " + a.loops() + " ("
                        + Math.round(100 * saved / a.loops()) + "% fewer)");
            }
        });
        return h.append("</div>\n").toString();
    }

    private static void card(StringBuilder h, String value, String what) {
        h.append("<div class=\"number\"><span class=\"value\">").append(Text.escape(value)).append("</span><span class=\"what\">")
                .append(Text.escape(what)).append("</span></div>\n");
    }
}
