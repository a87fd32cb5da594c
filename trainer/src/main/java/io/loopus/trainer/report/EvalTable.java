package io.loopus.trainer.report;

import io.loopus.trainer.chart.Text;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;

/**
 * The evaluations as an HTML table: one row per evaluation, one column per exit policy and loop
 * count (fixed N = 1, 2, ... then adaptive), perplexities to four significant digits.
 */
final class EvalTable {
    private EvalTable() {}

    static String render(RunInfo run, List<Evaluation> evals) {
        List<ExitResult> columns = columns(evals);
        StringBuilder h = new StringBuilder("<table class=\"evals\">\n<thead><tr><th>step</th><th>")
                .append(run.control() ? "perplexity (no loop)" : "base model").append("</th>");
        for (ExitResult c : columns) {
            h.append("<th>").append(Text.escape(c.fixed() ? "fixed N=" + c.loops() : c.policy() + ", N=" + c.loops()))
                    .append(c.fixed() ? "" : "<br>mean passes").append("</th>");
        }
        h.append("</tr></thead>\n<tbody>\n");
        for (Evaluation e : evals) {
            h.append("<tr><td>").append(e.step()).append(e.last() ? " (final)" : "").append("</td><td>")
                    .append(Text.number(e.basePpl(), 4)).append("</td>");
            for (ExitResult c : columns) {
                ExitResult r = e.results().stream().filter(x -> sameColumn(x, c)).findFirst().orElse(null);
                h.append("<td>").append(r == null ? "" : Text.number(r.ppl(), 4));
                if (r != null && !r.fixed()) h.append("<br>").append(Text.number(r.loopsMean(), 3));
                h.append("</td>");
            }
            h.append("</tr>\n");
        }
        return h.append("</tbody>\n</table>\n").toString();
    }

    /** One of each policy and loop count seen in any evaluation, fixed exits first. */
    private static List<ExitResult> columns(List<Evaluation> evals) {
        List<ExitResult> columns = new ArrayList<>();
        for (Evaluation e : evals) {
            for (ExitResult r : e.results()) if (columns.stream().noneMatch(c -> sameColumn(c, r))) columns.add(r);
        }
        columns.sort(Comparator.comparing((ExitResult r) -> !r.fixed()).thenComparingInt(ExitResult::loops));
        return columns;
    }

    private static boolean sameColumn(ExitResult a, ExitResult b) {
        return a.loops() == b.loops() && a.exit().equals(b.exit()) && Double.compare(a.tau(), b.tau()) == 0;
    }
}
