package io.loopus.trainer.report;

import io.loopus.trainer.chart.Axis;
import io.loopus.trainer.chart.Legend;
import io.loopus.trainer.chart.Plot;
import io.loopus.trainer.chart.Svg;

import java.util.List;
import java.util.function.ToDoubleFunction;

import static io.loopus.trainer.chart.Svg.f;

/**
 * Chart 1: the training loss and its terms over the optimiser steps. Each step's value is a thin
 * faint line and its moving average a thick one: per-step losses of small batches are noisy.
 */
final class LossChart {
    private static final int WIDTH = 760, HEIGHT = 440, LEFT = 80, RIGHT = 730, BOTTOM = 380;

    /** One loss term: its metrics field (the polyline's data-term), legend label and look. */
    private record Term(String field, String label, String color, boolean dashed, ToDoubleFunction<StepMetrics> value) {}

    private static final List<Term> TERMS = List.of(
            new Term("loss", "total", "#222222", false, StepMetrics::loss),
            new Term("lm", "lm: CE after the window", "#1f77b4", false, StepMetrics::lm),
            new Term("lm_before", "lm_before: CE before it", "#1f77b4", true, StepMetrics::lmBefore),
            new Term("monotone", "monotone", "#d62728", false, StepMetrics::monotone),
            new Term("confidence", "confidence (BCE)", "#2ca02c", false, StepMetrics::confidence));

    private LossChart() {}

    static String render(List<StepMetrics> steps) {
        double[] step = steps.stream().mapToDouble(StepMetrics::step).toArray();
        List<Term> shown = TERMS.stream().filter(t -> steps.stream().anyMatch(s -> Double.isFinite(t.value.applyAsDouble(s)))).toList();
        double min = Double.POSITIVE_INFINITY, max = Double.NEGATIVE_INFINITY;
        for (Term t : shown) {
            for (StepMetrics s : steps) {
                double v = t.value.applyAsDouble(s);
                if (Double.isFinite(v)) {
                    min = Math.min(min, v);
                    max = Math.max(max, v);
                }
            }
        }
        int half = MovingAverage.halfWindow(steps.size());
        Svg svg = new Svg(WIDTH, HEIGHT, "chart loss-chart");
        svg.text(WIDTH / 2.0, 22, "middle", 15, "Training loss by term");
        svg.text(WIDTH / 2.0, 40, "middle", 11, "thin: each step; thick: moving average over " + (2 * half + 1) + " steps");
        Legend legend = new Legend(svg, LEFT, 62, RIGHT);
        for (Term t : shown) legend.line(stroke(t, 2.5, 1), t.label);
        Plot plot = new Plot(svg, LEFT, RIGHT, legend.bottom() + 16, BOTTOM,
                Axis.whole(step[0], step[step.length - 1], 8), Axis.around(min, max, 10));
        plot.axes("optimiser step", "loss");
        double[] x = plot.px(step);
        for (Term t : shown) {
            double[] raw = steps.stream().mapToDouble(t.value).toArray();
            svg.polyline(x, plot.py(raw), f("class=\"raw\" data-term=\"%s\" %s", t.field, stroke(t, 1, 0.3)));
        }
        for (Term t : shown) {
            double[] smooth = MovingAverage.centred(steps.stream().mapToDouble(t.value).toArray(), half);
            svg.polyline(x, plot.py(smooth), f("class=\"smoothed\" data-term=\"%s\" %s", t.field, stroke(t, 2.5, 1)));
        }
        return svg.close();
    }

    private static String stroke(Term t, double width, double opacity) {
        return f("stroke=\"%s\" stroke-width=\"%.1f\" stroke-opacity=\"%.2f\"%s", t.color, width, opacity,
                t.dashed ? " stroke-dasharray=\"7,4\"" : "");
    }
}
