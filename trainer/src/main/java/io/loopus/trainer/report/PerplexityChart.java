package io.loopus.trainer.report;

import io.loopus.trainer.chart.Axis;
import io.loopus.trainer.chart.Legend;
import io.loopus.trainer.chart.Plot;
import io.loopus.trainer.chart.Svg;
import io.loopus.trainer.chart.Text;

import java.util.List;
import java.util.stream.Collectors;
import java.util.stream.DoubleStream;

import static io.loopus.trainer.chart.Svg.f;

/**
 * Chart 2: held-out perplexity against the number of loop passes. The latest evaluation's fixed
 * exits are a line with points, its adaptive exit a diamond at its mean loop count, the base
 * model a dashed level; earlier evaluations are fainter lines, so training's progress shows.
 * A run without looped results (a control run) gets perplexity over training steps instead.
 */
final class PerplexityChart {
    private static final int WIDTH = 760, HEIGHT = 440, LEFT = 80, RIGHT = 700, BOTTOM = 380;
    private static final String FIXED = "#1f77b4", ADAPTIVE = "#ff7f0e", BASE = "#7f7f7f";

    private PerplexityChart() {}

    /** Null when there is nothing to draw yet. */
    static String render(RunInfo run, List<Evaluation> evals) {
        if (evals.stream().anyMatch(e -> !e.results().isEmpty())) return byLoops(run, evals);
        if (evals.stream().anyMatch(e -> !Double.isNaN(e.basePpl()))) return bySteps(run, evals);
        return null;
    }

    private static String byLoops(RunInfo run, List<Evaluation> evals) {
        List<Evaluation> looped = evals.stream().filter(e -> !e.results().isEmpty()).toList();
        Evaluation latest = looped.get(looped.size() - 1);
        List<Evaluation> earlier = looped.subList(0, looped.size() - 1);
        double base = latestBase(evals);
        int n = Math.max(run.loops(), looped.stream().flatMap(e -> e.results().stream()).mapToInt(ExitResult::loops).max().orElse(1));
        double[] all = DoubleStream.concat(looped.stream().flatMap(e -> e.results().stream()).mapToDouble(ExitResult::ppl),
                DoubleStream.of(base)).filter(Double::isFinite).toArray();

        Svg svg = new Svg(WIDTH, HEIGHT, "chart perplexity-chart");
        svg.text(WIDTH / 2.0, 22, "middle", 15, "Held-out perplexity by loop passes");
        Legend legend = new Legend(svg, LEFT, 50, RIGHT);
        legend.mark((x, y) -> {
            svg.line(x - 12, y, x + 12, y, FIXED, 2.5);
            svg.circle(x, y, 4, FIXED, "");
        }, "fixed exit, " + when(latest));
        if (!earlier.isEmpty()) {
            legend.line(f("stroke=\"%s\" stroke-width=\"1.5\" stroke-opacity=\"0.35\"", FIXED), "earlier, fainter = older: " + steps(earlier));
        }
        latest.adaptive().ifPresent(a -> legend.mark((x, y) -> diamond(svg, x, y, "legend", ""), a.policy() + " exit, at its mean passes"));
        if (Double.isFinite(base)) legend.line(f("stroke=\"%s\" stroke-width=\"1.5\" stroke-dasharray=\"6,4\"", BASE), "base model");

        Plot plot = new Plot(svg, LEFT, RIGHT, legend.bottom() + 16, BOTTOM, Axis.bands(1, n, 20), padded(all));
        plot.axes("loop passes N (adaptive exit: mean passes per token)", "perplexity");
        if (Double.isFinite(base)) {
            svg.dashed("base", LEFT, plot.py(base), RIGHT, plot.py(base), BASE, 1.5);
            svg.label(RIGHT - 4, plot.py(base) - 5, "end", 11, BASE, "base model " + Text.number(base, 4));
        }
        for (int i = 0; i < earlier.size(); i++) {
            double opacity = 0.15 + 0.3 * (i + 1) / earlier.size();
            fixedLine(svg, plot, earlier.get(i), f("class=\"earlier\" data-step=\"%d\" stroke=\"%s\" stroke-width=\"1.5\""
                    + " stroke-opacity=\"%.2f\"", earlier.get(i).step(), FIXED, opacity));
        }
        fixedLine(svg, plot, latest, f("class=\"fixed\" data-step=\"%d\" stroke=\"%s\" stroke-width=\"2.5\"", latest.step(), FIXED));
        for (ExitResult r : latest.fixed()) {
            svg.circle(plot.px(r.loops()), plot.py(r.ppl()), 4, FIXED, "N=" + r.loops() + ": perplexity " + Text.number(r.ppl(), 4));
        }
        latest.adaptive().ifPresent(a -> {
            double x = plot.px(a.loopsMean()), y = plot.py(a.ppl());
            diamond(svg, x, y, "adaptive", f("%s: perplexity %s at %s passes on average", a.policy(), Text.number(a.ppl(), 4),
                    Text.number(a.loopsMean(), 3)));
            svg.label(x + 10, y - 8, "start", 11, ADAPTIVE, Text.number(a.ppl(), 4) + " at " + Text.number(a.loopsMean(), 3) + " passes");
        });
        return svg.close();
    }

    private static String bySteps(RunInfo run, List<Evaluation> evals) {
        List<Evaluation> measured = evals.stream().filter(e -> !Double.isNaN(e.basePpl())).toList();
        double[] step = measured.stream().mapToDouble(Evaluation::step).toArray();
        double[] ppl = measured.stream().mapToDouble(Evaluation::basePpl).toArray();
        Svg svg = new Svg(WIDTH, HEIGHT, "chart perplexity-chart");
        svg.text(WIDTH / 2.0, 22, "middle", 15, "Held-out perplexity over training" + (run.control() ? " (control: no loop)" : ""));
        Legend legend = new Legend(svg, LEFT, 50, RIGHT);
        legend.mark((x, y) -> {
            svg.line(x - 12, y, x + 12, y, BASE, 2.5);
            svg.circle(x, y, 4, BASE, "");
        }, run.control() ? "plain model trained without the loop" : "base model");
        Plot plot = new Plot(svg, LEFT, RIGHT, legend.bottom() + 16, BOTTOM,
                Axis.whole(0, step[step.length - 1], 8), padded(ppl));
        plot.axes("optimiser step", "perplexity");
        double[] x = plot.px(step), y = plot.py(ppl);
        svg.polyline(x, y, f("class=\"plain\" stroke=\"%s\" stroke-width=\"2.5\"", BASE));
        for (int i = 0; i < x.length; i++) svg.circle(x[i], y[i], 4, BASE, "step " + (int) step[i] + ": perplexity " + Text.number(ppl[i], 4));
        return svg.close();
    }

    private static void fixedLine(Svg svg, Plot plot, Evaluation e, String attributes) {
        List<ExitResult> fixed = e.fixed();
        double[] loops = fixed.stream().mapToDouble(ExitResult::loops).toArray();
        double[] ppl = fixed.stream().mapToDouble(ExitResult::ppl).toArray();
        svg.polyline(plot.px(loops), plot.py(ppl), attributes);
    }

    private static void diamond(Svg svg, double x, double y, String cls, String title) {
        svg.raw(f("<polygon class=\"%s\" points=\"%.1f,%.1f %.1f,%.1f %.1f,%.1f %.1f,%.1f\" fill=\"%s\" stroke=\"white\">"
                + "<title>%s</title></polygon>%n", cls, x, y - 8, x + 8, y, x, y + 8, x - 8, y, ADAPTIVE, Text.escape(title)));
    }

    /** "step 50, 100, 150", or for many "step 10 \u2026 290 (29 evaluations)", which fits a legend row. */
    private static String steps(List<Evaluation> evals) {
        if (evals.size() <= 6) return "step " + evals.stream().map(e -> Integer.toString(e.step())).collect(Collectors.joining(", "));
        return "step " + evals.get(0).step() + " \u2026 " + evals.get(evals.size() - 1).step() + " (" + evals.size() + " evaluations)";
    }

    /** "step 300 (final)" or "step 120 (latest)". */
    static String when(Evaluation e) {
        return "step " + e.step() + (e.last() ? " (final)" : " (latest)");
    }

    /** The newest base-model perplexity measured (evaluations may skip it). */
    static double latestBase(List<Evaluation> evals) {
        for (int i = evals.size() - 1; i >= 0; i--) if (!Double.isNaN(evals.get(i).basePpl())) return evals.get(i).basePpl();
        return Double.NaN;
    }

    /** Room of a twentieth of the range above and below, so no point sits on the frame. */
    private static Axis padded(double[] ppl) {
        double lo = min(ppl), hi = max(ppl), pad = (hi - lo) / 20;
        return Axis.around(lo - pad, hi + pad, 6);
    }

    private static double min(double[] v) {
        return DoubleStream.of(v).filter(Double::isFinite).min().orElse(Double.NaN);
    }

    private static double max(double[] v) {
        return DoubleStream.of(v).filter(Double::isFinite).max().orElse(Double.NaN);
    }
}
