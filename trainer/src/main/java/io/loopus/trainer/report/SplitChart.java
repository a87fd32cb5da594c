package io.loopus.trainer.report;

import io.loopus.trainer.chart.Axis;
import io.loopus.trainer.chart.Legend;
import io.loopus.trainer.chart.Plot;
import io.loopus.trainer.chart.Svg;
import io.loopus.trainer.chart.Text;
import io.loopus.worker.loop.Split;

import static io.loopus.trainer.chart.Svg.f;

/**
 * Chart 4: the base model's layers as a row of boxes coloured by block, with the loop arrow over
 * the reasoning block; when the split came from {@code loopus analyze}, its relative-update-norm
 * curve above, layer over layer, so one sees the plateau the block was cut from.
 */
final class SplitChart {
    private static final int WIDTH = 760, LEFT = 80, RIGHT = 700, BOX = 36;
    static final String ENCODER = "#4e79a7", REASONING = "#f2c94c", DECODER = "#59a14f", PLAIN = "#bbbbbb", CURVE = "#d62728";

    private SplitChart() {}

    static String render(RunInfo run) {
        int layers = run.layers();
        SplitDynamics d = run.dynamics() != null && run.dynamics().relativeUpdateNorm().length == layers ? run.dynamics() : null;
        int boxTop = d == null ? 135 : 330;
        Svg svg = new Svg(WIDTH, boxTop + 100, "chart split-chart");
        Split s = run.split();
        svg.text(WIDTH / 2.0, 22, "middle", 15, s == null ? "Layers (" + layers + ")" : "Split " + s + " of " + layers + " layers");
        Legend legend = new Legend(svg, LEFT, 50, RIGHT);
        if (s != null) {
            legend.swatch(ENCODER, 1, "encoder");
            legend.swatch(REASONING, 1, "reasoning block");
            legend.swatch(DECODER, 1, "decoder");
        }
        Axis bands = Axis.bands(0, Math.max(0, layers - 1), 20);
        if (d != null) {
            legend.line(f("stroke=\"%s\" stroke-width=\"2\"", CURVE), "relative update norm ||h_{l+1} - h_l|| / ||h_l||");
            if (Double.isFinite(d.threshold())) legend.line(f("stroke=\"%s\" stroke-width=\"1.5\" stroke-dasharray=\"6,4\"", CURVE), "split threshold");
            curve(svg, new Plot(svg, LEFT, RIGHT, legend.bottom() + 16, boxTop - 80, bands,
                    Axis.fromZero(Math.max(maxFinite(d.relativeUpdateNorm()), Double.isFinite(d.threshold()) ? d.threshold() : 0), 4, false)), d, s);
        }
        Plot row = new Plot(svg, LEFT, RIGHT, boxTop, boxTop + BOX, bands, Axis.fromZero(1, 1, false));
        boxes(svg, row, layers, s);
        if (s != null && run.control()) {
            svg.text(WIDTH / 2.0, boxTop - 14, "middle", 12, "control run: trained without the loop");
        } else if (s != null) {
            loopArrow(svg, row, s, run.loops());
        }
        return svg.close();
    }

    private static void curve(Svg svg, Plot plot, SplitDynamics d, Split s) {
        if (s != null) {
            double from = plot.px(s.encoderEnd() - 0.5), to = plot.px(s.decoderStart() - 0.5);
            svg.rect(from, plot.top(), to - from, plot.bottom() - plot.top(), f("fill=\"%s\" fill-opacity=\"0.25\"", REASONING));
        }
        plot.yAxis("relative update norm");
        svg.line(plot.left(), plot.bottom(), plot.right(), plot.bottom(), "black", 1.5);
        if (Double.isFinite(d.threshold())) {
            svg.dashed("threshold", plot.left(), plot.py(d.threshold()), plot.right(), plot.py(d.threshold()), CURVE, 1.5);
        }
        double[] norms = d.relativeUpdateNorm(), layer = new double[norms.length];
        for (int l = 0; l < norms.length; l++) layer[l] = l;
        double[] x = plot.px(layer), y = plot.py(norms);
        svg.polyline(x, y, f("class=\"relative-update-norm\" stroke=\"%s\" stroke-width=\"2\"", CURVE));
        for (int l = 0; l < norms.length; l++) {
            if (Double.isFinite(norms[l])) svg.circle(x[l], y[l], 3, CURVE, "layer " + l + ": " + Text.number(norms[l], 3));
        }
    }

    /** One box per layer, numbered when there is room, and each block named below its boxes. */
    private static void boxes(Svg svg, Plot row, int layers, Split s) {
        double band = (row.right() - row.left()) / layers, gap = Math.min(4, band * 0.15);
        int every = (int) Math.ceil(20.0 / band); // numbers need about 20 pixels each
        for (int l = 0; l < layers; l++) {
            String block = s == null ? "layer" : l < s.encoderEnd() ? "encoder" : l < s.decoderStart() ? "reasoning" : "decoder";
            String fill = switch (block) {
                case "encoder" -> ENCODER;
                case "reasoning" -> REASONING;
                case "decoder" -> DECODER;
                default -> PLAIN;
            };
            svg.raw(f("<rect class=\"layer %s\" data-layer=\"%d\" x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%d\" rx=\"3\""
                    + " fill=\"%s\"/>%n", block, l, row.left() + l * band + gap / 2, row.top(), band - gap, BOX, fill));
            if (l % every == 0) {
                svg.text(row.px(l), row.top() + BOX / 2.0 + 4, "middle", 11, block.equals("reasoning") ? "black" : "white", Integer.toString(l));
            }
        }
        double below = row.bottom() + 20;
        if (s == null) {
            svg.text((row.left() + row.right()) / 2, below, "middle", 12, "layer");
            return;
        }
        svg.text(row.left(), below, "start", 12, ENCODER, "encoder [0, " + s.encoderEnd() + ")");
        svg.text(row.left() + band * (s.encoderEnd() + s.decoderStart()) / 2.0, below, "middle", 12, "#9a7400",
                "reasoning [" + s.encoderEnd() + ", " + s.decoderStart() + ")");
        svg.text(row.right(), below, "end", 12, DECODER, "decoder [" + s.decoderStart() + ", " + layers + ")");
        svg.text((row.left() + row.right()) / 2, below + 24, "middle", 12, "layer");
    }

    /** An arc from the block's last layer back over it to its first, ending in an arrowhead. */
    private static void loopArrow(Svg svg, Plot row, Split s, int loops) {
        double band = (row.right() - row.left()) / s.layers();
        double start = row.left() + band * s.decoderStart() - Math.min(12, band / 3);
        double end = row.left() + band * s.encoderEnd() + Math.min(12, band / 3);
        double top = row.top(), lift = 46;
        svg.raw(f("<path class=\"loop-arrow\" d=\"M %.1f %.1f C %.1f %.1f %.1f %.1f %.1f %.1f\" fill=\"none\" stroke=\"#333333\""
                + " stroke-width=\"2\"/>%n", start, top - 2, start, top - lift, end, top - lift, end, top - 9));
        svg.raw(f("<polygon class=\"loop-arrowhead\" points=\"%.1f,%.1f %.1f,%.1f %.1f,%.1f\" fill=\"#333333\"/>%n",
                end - 5, top - 10, end + 5, top - 10, end, top - 1));
        svg.text((start + end) / 2, top - lift + 6, "middle", 12, "\u00d7 up to N = " + loops + " passes");
    }

    private static double maxFinite(double[] v) {
        double m = 0;
        for (double x : v) if (Double.isFinite(x)) m = Math.max(m, x);
        return m;
    }
}
