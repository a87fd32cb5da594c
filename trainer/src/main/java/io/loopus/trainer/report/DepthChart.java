package io.loopus.trainer.report;

import io.loopus.trainer.chart.Axis;
import io.loopus.trainer.chart.Legend;
import io.loopus.trainer.chart.Plot;
import io.loopus.trainer.chart.Svg;
import io.loopus.trainer.chart.Text;

import java.util.stream.LongStream;

import static io.loopus.trainer.chart.Svg.f;

/**
 * Chart 3: how many loop passes tokens took under the latest adaptive-exit evaluation, one bar per
 * depth with its share written above it, and the mean as a dashed line.
 */
final class DepthChart {
    private static final int WIDTH = 760, HEIGHT = 400, LEFT = 80, RIGHT = 700, BOTTOM = 340;
    private static final String BAR = "#ff7f0e", MEAN = "#444444";

    private DepthChart() {}

    /** Null when the result has no depth counts. */
    static String render(Evaluation e, ExitResult r) {
        long[] counts = r.depthCounts();
        if (counts.length == 0) return null;
        long total = LongStream.of(counts).sum();
        Svg svg = new Svg(WIDTH, HEIGHT, "chart depth-chart");
        svg.text(WIDTH / 2.0, 22, "middle", 15, "Exit depths, " + r.policy() + " exit, " + PerplexityChart.when(e));
        Legend legend = new Legend(svg, LEFT, 50, RIGHT);
        legend.swatch(BAR, 0.85, "tokens that left after k passes (share above the bar)");
        if (Double.isFinite(r.loopsMean())) {
            legend.line(f("stroke=\"%s\" stroke-width=\"1.5\" stroke-dasharray=\"6,4\"", MEAN), "mean " + Text.number(r.loopsMean(), 3) + " passes");
        }
        // 8% headroom: the tallest bar's share label stays inside the plot
        Plot plot = new Plot(svg, LEFT, RIGHT, legend.bottom() + 24, BOTTOM, Axis.bands(1, counts.length, 20),
                Axis.fromZero(1.08 * LongStream.of(counts).max().orElse(0), 5, true));
        plot.axes("loop passes before exit (N = " + r.loops() + ")", "tokens");
        double band = plot.px(2) - plot.px(1);
        for (int k = 0; k < counts.length; k++) {
            double x = plot.px(k + 1), top = plot.py(counts[k]);
            svg.raw(f("<rect class=\"bar\" data-depth=\"%d\" data-count=\"%d\" x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\""
                    + " fill=\"%s\" fill-opacity=\"0.85\"><title>%d passes: %d tokens</title></rect>%n",
                    k + 1, counts[k], x - 0.35 * band, top, 0.7 * band, BOTTOM - top, BAR, k + 1, counts[k]));
        }
        if (Double.isFinite(r.loopsMean())) {
            double x = plot.px(r.loopsMean());
            svg.dashed("mean", x, plot.top(), x, BOTTOM, MEAN, 1.5);
        }
        for (int k = 0; k < counts.length && total > 0; k++) { // last, so the mean line passes behind them
            svg.label(plot.px(k + 1), plot.py(counts[k]) - 5, "middle", 11, "black", percent(counts[k], total));
        }
        return svg.close();
    }

    /** 37%, 0.4%, 0% (a depth nobody took). */
    private static String percent(long count, long total) {
        double p = 100.0 * count / total;
        return (p == 0 || p >= 1 ? Long.toString(Math.round(p)) : Text.number(p, 1)) + "%";
    }
}
