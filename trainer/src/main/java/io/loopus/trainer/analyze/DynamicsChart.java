package io.loopus.trainer.analyze;

import io.loopus.worker.loop.Split;

import java.math.BigDecimal;
import java.util.Locale;

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

    private final StringBuilder svg = new StringBuilder();
    private final int layers;
    private final double leftLow, rightHigh;

    private DynamicsChart(LayerDynamics d, double threshold) {
        this.layers = d.layers();
        this.leftLow = min(d.cosine()) < 0 ? -1 : 0;
        this.rightHigh = niceCeiling(Math.max(maxFinite(d.relativeUpdateNorm()), Double.isFinite(threshold) ? threshold : 0));
    }

    static String render(Analysis a) {
        return new DynamicsChart(a.dynamics(), a.choice().threshold()).draw(a);
    }

    private String draw(Analysis a) {
        LayerDynamics d = a.dynamics();
        Split split = a.choice().split();
        svg.append("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
        svg.append(String.format(Locale.ROOT, "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" height=\"%d\""
                + " viewBox=\"0 0 %d %d\" font-family=\"sans-serif\" font-size=\"12\">%n", WIDTH, HEIGHT, WIDTH, HEIGHT));
        svg.append("<rect width=\"100%\" height=\"100%\" fill=\"white\"/>\n");
        text(WIDTH / 2.0, 22, "middle", 15, "Layer dynamics of " + shortened(a.model(), 60) + " (" + d.tokens() + " tokens)");
        block(split);
        axes();
        dashedThreshold(a.choice().threshold());
        curve("cosine", COSINE, d.cosine(), false);
        curve("relative_update_norm", RELATIVE, d.relativeUpdateNorm(), true);
        curve("logit_lens_accuracy", ACCURACY, d.logitLensAccuracy(), false);
        legend(split);
        svg.append("</svg>\n");
        return svg.toString();
    }

    private double x(double layer) { return LEFT + (layer + 0.5) * (RIGHT - LEFT) / layers; }

    private double yLeft(double v) { return y((clamp(v, leftLow, 1) - leftLow) / (1 - leftLow)); }

    private double yRight(double v) { return y(clamp(v, 0, rightHigh) / rightHigh); }

    private static double y(double fraction) { return BOTTOM - fraction * (BOTTOM - TOP); }

    private void block(Split s) {
        double from = x(s.encoderEnd() - 0.5), to = x(s.decoderStart() - 0.5);
        svg.append(String.format(Locale.ROOT, "<rect class=\"reasoning-block\" x=\"%.1f\" y=\"%d\" width=\"%.1f\" height=\"%d\""
                + " fill=\"%s\" fill-opacity=\"0.3\"/>%n", from, TOP, to - from, BOTTOM - TOP, BLOCK));
        text((from + to) / 2, TOP + 14, "middle", 11, "reasoning block [" + s.encoderEnd() + ", " + s.decoderStart() + ")");
    }

    private void axes() {
        line(LEFT, BOTTOM, RIGHT, BOTTOM, "black", 1.5);
        line(LEFT, TOP, LEFT, BOTTOM, "black", 1.5);
        line(RIGHT, TOP, RIGHT, BOTTOM, RELATIVE, 1.5);
        int step = Math.max(1, (int) Math.ceil(layers / 20.0));
        for (int l = 0; l < layers; l += step) {
            line(x(l), BOTTOM, x(l), BOTTOM + 5, "black", 1.5);
            text(x(l), BOTTOM + 18, "middle", 11, Integer.toString(l));
        }
        for (int i = 0; i <= 5; i++) {
            double v = leftLow + i * (1 - leftLow) / 5;
            line(LEFT - 5, yLeft(v), LEFT, yLeft(v), "black", 1.5);
            line(LEFT, yLeft(v), RIGHT, yLeft(v), "#e0e0e0", 1);
            text(LEFT - 8, yLeft(v) + 4, "end", 11, tick(v));
            double r = i * rightHigh / 5;
            line(RIGHT, yRight(r), RIGHT + 5, yRight(r), RELATIVE, 1.5);
            text(RIGHT + 8, yRight(r) + 4, "start", 11, tick(r));
        }
        text((LEFT + RIGHT) / 2.0, BOTTOM + 40, "middle", 12, "layer l (its update h_l \u2192 h_{l+1})");
        rotated(LEFT - 48, (TOP + BOTTOM) / 2.0, "cosine, logit-lens accuracy", "black");
        rotated(RIGHT + 55, (TOP + BOTTOM) / 2.0, "relative update norm", RELATIVE);
    }

    private void dashedThreshold(double threshold) {
        if (!Double.isFinite(threshold)) return;
        svg.append(String.format(Locale.ROOT, "<line class=\"threshold\" x1=\"%d\" y1=\"%.1f\" x2=\"%d\" y2=\"%.1f\" stroke=\"%s\""
                + " stroke-dasharray=\"5,4\"/>%n", LEFT, yRight(threshold), RIGHT, yRight(threshold), RELATIVE));
        text(RIGHT - 4, yRight(threshold) - 4, "end", 10, "split threshold " + format(threshold));
    }

    private void curve(String name, String color, double[] values, boolean right) {
        StringBuilder points = new StringBuilder();
        for (int l = 0; l < values.length; l++) {
            double yv = right ? yRight(values[l]) : yLeft(values[l]);
            points.append(String.format(Locale.ROOT, "%s%.1f,%.1f", l == 0 ? "" : " ", x(l), yv));
        }
        svg.append(String.format(Locale.ROOT, "<polyline class=\"curve\" id=\"%s\" points=\"%s\" fill=\"none\" stroke=\"%s\""
                + " stroke-width=\"2\"/>%n", name, points, color));
        for (int l = 0; l < values.length; l++) {
            double yv = right ? yRight(values[l]) : yLeft(values[l]);
            svg.append(String.format(Locale.ROOT, "<circle cx=\"%.1f\" cy=\"%.1f\" r=\"3\" fill=\"%s\"><title>%s[%d] = %s</title></circle>%n",
                    x(l), yv, color, name, l, format(values[l])));
        }
    }

    /** A two-by-two legend between the title and the plot. */
    private void legend(Split s) {
        legendLine(LEFT, 44, COSINE, "cos(h_l, h_{l+1})");
        legendLine(LEFT, 62, ACCURACY, "logit-lens accuracy of h_{l+1}");
        legendLine(LEFT + 320, 44, RELATIVE, "||h_{l+1} - h_l|| / ||h_l|| (right axis)");
        svg.append(String.format(Locale.ROOT, "<rect x=\"%d\" y=\"56\" width=\"22\" height=\"12\" fill=\"%s\" fill-opacity=\"0.3\"/>%n",
                LEFT + 320, BLOCK));
        text(LEFT + 347, 66, "start", 11, "reasoning block (--split " + s + ")");
    }

    private void legendLine(double x, double y, String color, String label) {
        line(x, y, x + 22, y, color, 2);
        text(x + 27, y + 4, "start", 11, label);
    }

    private void line(double x1, double y1, double x2, double y2, String color, double width) {
        svg.append(String.format(Locale.ROOT, "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"%s\" stroke-width=\"%.1f\"/>%n",
                x1, y1, x2, y2, color, width));
    }

    private void text(double x, double y, String anchor, int size, String content) {
        svg.append(String.format(Locale.ROOT, "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"%s\" font-size=\"%d\">%s</text>%n",
                x, y, anchor, size, escape(content)));
    }

    private void rotated(double x, double y, String content, String color) {
        svg.append(String.format(Locale.ROOT, "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"middle\" fill=\"%s\""
                + " transform=\"rotate(-90 %.1f %.1f)\">%s</text>%n", x, y, color, x, y, escape(content)));
    }

    /** The end of a long name (a model path), which is the telling part. */
    static String shortened(String s, int max) {
        return s.length() <= max ? s : "\u2026" + s.substring(s.length() - max + 1);
    }

    static String escape(String s) {
        return s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace("\"", "&quot;");
    }

    private static String format(double v) {
        return Double.isFinite(v) ? String.format(Locale.ROOT, "%.3g", v) : Double.toString(v);
    }

    /** An axis label: at most three significant digits, no trailing zeros (0.8, 1.25, 20). */
    static String tick(double v) {
        return new BigDecimal(String.format(Locale.ROOT, "%.3g", v)).stripTrailingZeros().toPlainString();
    }

    /** The smallest of 1, 2, 2.5, 5 times a power of ten that is >= v (1 for nothing to show). */
    static double niceCeiling(double v) {
        if (!(v > 0)) return 1;
        double power = Math.pow(10, Math.floor(Math.log10(v)));
        for (double m : new double[] {1, 2, 2.5, 5, 10}) if (m * power >= v * (1 - 1e-12)) return m * power;
        return 10 * power;
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
