package io.loopus.trainer.analyze;

import io.loopus.trainer.chart.Axis;
import io.loopus.trainer.chart.Svg;
import io.loopus.trainer.chart.Text;
import io.loopus.worker.loop.Split;

import static io.loopus.trainer.chart.Svg.f;

/**
 * An SVG line chart of the three per-layer curves, drawn by hand: cosine and logit-lens accuracy
 * on the left axis, relative update norm (with the split threshold) on the right, and the chosen
 * reasoning block shaded. Layer l sits at the centre of the l-th of L equal bands, so a block of
 * layers [e, d) is exactly bands e..d-1.
 */
final class DynamicsChart {
    private static final int WIDTH = 760, HEIGHT = 440;
    private static final int LEFT = 70, RIGHT = 690, TOP = 80, BOTTOM = 370;
    static final String COSINE = "#1f77b4", RELATIVE = "#d62728", ACCURACY = "#2ca02c", BLOCK = "#f2c94c";

    private final Svg svg = new Svg(WIDTH, HEIGHT, null);
    private final int layers;
    private final double leftLow, rightHigh;

    private DynamicsChart(LayerDynamics d, double threshold) {
        this.layers = d.layers();
        this.leftLow = min(d.cosine()) < 0 ? -1 : 0;
        this.rightHigh = Axis.niceCeiling(Math.max(maxFinite(d.relativeUpdateNorm()), Double.isFinite(threshold) ? threshold : 0));
    }

    static String render(Analysis a) {
        return "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n" + new DynamicsChart(a.dynamics(), a.choice().threshold()).draw(a);
    }

    private String draw(Analysis a) {
        LayerDynamics d = a.dynamics();
        Split split = a.choice().split();
        svg.text(WIDTH / 2.0, 22, "middle", 15, "Layer dynamics of " + Text.shortened(a.model(), 60) + " (" + d.tokens() + " tokens)");
        block(split);
        axes();
        dashedThreshold(a.choice().threshold());
        curve("cosine", COSINE, d.cosine(), false);
        curve("relative_update_norm", RELATIVE, d.relativeUpdateNorm(), true);
        curve("logit_lens_accuracy", ACCURACY, d.logitLensAccuracy(), false);
        legend(split);
        return svg.close();
    }

    private double x(double layer) { return LEFT + (layer + 0.5) * (RIGHT - LEFT) / layers; }

    private double yLeft(double v) { return y((clamp(v, leftLow, 1) - leftLow) / (1 - leftLow)); }

    private double yRight(double v) { return y(clamp(v, 0, rightHigh) / rightHigh); }

    private static double y(double fraction) { return BOTTOM - fraction * (BOTTOM - TOP); }

    private void block(Split s) {
        double from = x(s.encoderEnd() - 0.5), to = x(s.decoderStart() - 0.5);
        svg.raw(f("<rect class=\"reasoning-block\" x=\"%.1f\" y=\"%d\" width=\"%.1f\" height=\"%d\""
                + " fill=\"%s\" fill-opacity=\"0.3\"/>%n", from, TOP, to - from, BOTTOM - TOP, BLOCK));
        svg.text((from + to) / 2, TOP + 14, "middle", 11, "reasoning block [" + s.encoderEnd() + ", " + s.decoderStart() + ")");
    }

    private void axes() {
        svg.line(LEFT, BOTTOM, RIGHT, BOTTOM, "black", 1.5);
        svg.line(LEFT, TOP, LEFT, BOTTOM, "black", 1.5);
        svg.line(RIGHT, TOP, RIGHT, BOTTOM, RELATIVE, 1.5);
        int step = Math.max(1, (int) Math.ceil(layers / 20.0));
        for (int l = 0; l < layers; l += step) {
            svg.line(x(l), BOTTOM, x(l), BOTTOM + 5, "black", 1.5);
            svg.text(x(l), BOTTOM + 18, "middle", 11, Integer.toString(l));
        }
        for (int i = 0; i <= 5; i++) {
            double v = leftLow + i * (1 - leftLow) / 5;
            svg.line(LEFT - 5, yLeft(v), LEFT, yLeft(v), "black", 1.5);
            svg.line(LEFT, yLeft(v), RIGHT, yLeft(v), "#e0e0e0", 1);
            svg.text(LEFT - 8, yLeft(v) + 4, "end", 11, Text.tick(v));
            double r = i * rightHigh / 5;
            svg.line(RIGHT, yRight(r), RIGHT + 5, yRight(r), RELATIVE, 1.5);
            svg.text(RIGHT + 8, yRight(r) + 4, "start", 11, Text.tick(r));
        }
        svg.text((LEFT + RIGHT) / 2.0, BOTTOM + 40, "middle", 12, "layer l (its update h_l \u2192 h_{l+1})");
        svg.rotated(LEFT - 48, (TOP + BOTTOM) / 2.0, "cosine, logit-lens accuracy", "black");
        svg.rotated(RIGHT + 55, (TOP + BOTTOM) / 2.0, "relative update norm", RELATIVE);
    }

    private void dashedThreshold(double threshold) {
        if (!Double.isFinite(threshold)) return;
        svg.raw(f("<line class=\"threshold\" x1=\"%d\" y1=\"%.1f\" x2=\"%d\" y2=\"%.1f\" stroke=\"%s\""
                + " stroke-dasharray=\"5,4\"/>%n", LEFT, yRight(threshold), RIGHT, yRight(threshold), RELATIVE));
        svg.text(RIGHT - 4, yRight(threshold) - 4, "end", 10, "split threshold " + format(threshold));
    }

    private void curve(String name, String color, double[] values, boolean right) {
        double[] xs = new double[values.length], ys = new double[values.length];
        for (int l = 0; l < values.length; l++) {
            xs[l] = x(l);
            ys[l] = right ? yRight(values[l]) : yLeft(values[l]);
        }
        svg.polyline(xs, ys, f("class=\"curve\" id=\"%s\" stroke=\"%s\" stroke-width=\"2\"", name, color));
        for (int l = 0; l < values.length; l++) svg.circle(xs[l], ys[l], 3, color, name + "[" + l + "] = " + format(values[l]));
    }

    /** A two-by-two legend between the title and the plot. */
    private void legend(Split s) {
        legendLine(LEFT, 44, COSINE, "cos(h_l, h_{l+1})");
        legendLine(LEFT, 62, ACCURACY, "logit-lens accuracy of h_{l+1}");
        legendLine(LEFT + 320, 44, RELATIVE, "||h_{l+1} - h_l|| / ||h_l|| (right axis)");
        svg.raw(f("<rect x=\"%d\" y=\"56\" width=\"22\" height=\"12\" fill=\"%s\" fill-opacity=\"0.3\"/>%n",
                LEFT + 320, BLOCK));
        svg.text(LEFT + 347, 66, "start", 11, "reasoning block (--split " + s + ")");
    }

    private void legendLine(double x, double y, String color, String label) {
        svg.line(x, y, x + 22, y, color, 2);
        svg.text(x + 27, y + 4, "start", 11, label);
    }

    private static String format(double v) {
        return Double.isFinite(v) ? f("%.3g", v) : Double.toString(v);
    }

    private static double clamp(double v, double lo, double hi) {
        return Double.isNaN(v) ? lo : Math.max(lo, Math.min(hi, v));
    }

    private static double min(double[] v) {
        double m = Double.POSITIVE_INFINITY;
        for (double x : v) m = Math.min(m, x);
        return m;
    }

    private static double maxFinite(double[] v) {
        double m = 0;
        for (double x : v) if (Double.isFinite(x)) m = Math.max(m, x);
        return m;
    }
}
