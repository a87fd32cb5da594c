package io.loopus.trainer.chart;

import java.util.Locale;

/**
 * Writes an SVG document by hand, one element per call; coordinates are pixels with one decimal.
 * Every text content and title goes through {@link Text#escape}, so names from files are safe.
 */
public final class Svg {
    private final StringBuilder out = new StringBuilder();

    /** Opens an {@code <svg>} of the given size with a white background; {@code cls} names the chart. */
    public Svg(int width, int height, String cls) {
        out.append(f("<svg xmlns=\"http://www.w3.org/2000/svg\"%s width=\"%d\" height=\"%d\" viewBox=\"0 0 %d %d\""
                + " font-family=\"sans-serif\" font-size=\"12\">%n", cls == null ? "" : " class=\"" + cls + "\"",
                width, height, width, height));
        out.append("<rect width=\"100%\" height=\"100%\" fill=\"white\"/>\n");
    }

    public void line(double x1, double y1, double x2, double y2, String color, double width) {
        raw(f("<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"%s\" stroke-width=\"%.1f\"/>%n",
                x1, y1, x2, y2, color, width));
    }

    /** A dashed line (a reference level such as a threshold or the base model's perplexity). */
    public void dashed(String cls, double x1, double y1, double x2, double y2, String color, double width) {
        raw(f("<line class=\"%s\" x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"%s\" stroke-width=\"%.1f\""
                + " stroke-dasharray=\"6,4\"/>%n", cls, x1, y1, x2, y2, color, width));
    }

    public void text(double x, double y, String anchor, int size, String content) {
        raw(f("<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"%s\" font-size=\"%d\">%s</text>%n",
                x, y, anchor, size, Text.escape(content)));
    }

    public void text(double x, double y, String anchor, int size, String color, String content) {
        raw(f("<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"%s\" font-size=\"%d\" fill=\"%s\">%s</text>%n",
                x, y, anchor, size, color, Text.escape(content)));
    }

    /** Text with a white outline, so it stays readable where it crosses a line or a bar. */
    public void label(double x, double y, String anchor, int size, String color, String content) {
        raw(f("<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"%s\" font-size=\"%d\" fill=\"%s\" stroke=\"white\" stroke-width=\"3\""
                + " paint-order=\"stroke\">%s</text>%n", x, y, anchor, size, color, Text.escape(content)));
    }

    /** Text turned to read upwards, centred on (x, y): a vertical axis label. */
    public void rotated(double x, double y, String content, String color) {
        raw(f("<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"middle\" fill=\"%s\" transform=\"rotate(-90 %.1f %.1f)\">%s</text>%n",
                x, y, color, x, y, Text.escape(content)));
    }

    /**
     * A polyline through the finite points (x[i], y[i]); {@code attributes} adds class, stroke and
     * the like, written as given, so it must come from code, never from a file.
     */
    public void polyline(double[] x, double[] y, String attributes) {
        StringBuilder points = new StringBuilder();
        for (int i = 0; i < x.length; i++) {
            if (!Double.isFinite(x[i]) || !Double.isFinite(y[i])) continue;
            points.append(points.length() == 0 ? "" : " ").append(f("%.1f,%.1f", x[i], y[i]));
        }
        raw(f("<polyline points=\"%s\" fill=\"none\" %s/>%n", points, attributes));
    }

    /** A dot; a non-empty title shows when the pointer rests on it. */
    public void circle(double cx, double cy, double r, String fill, String title) {
        String shape = f("<circle cx=\"%.1f\" cy=\"%.1f\" r=\"%.1f\" fill=\"%s\"", cx, cy, r, fill);
        raw(title.isEmpty() ? shape + "/>\n" : shape + "><title>" + Text.escape(title) + "</title></circle>\n");
    }

    /** A rectangle; {@code attributes} as for {@link #polyline}. */
    public void rect(double x, double y, double width, double height, String attributes) {
        raw(f("<rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\" %s/>%n", x, y, width, height, attributes));
    }

    /** An element written as given (its text already escaped): the escape hatch for one-off shapes. */
    public void raw(String element) {
        out.append(element);
    }

    /** Closes the document and returns it. */
    public String close() {
        return out.append("</svg>\n").toString();
    }

    /** {@link String#format} in the root locale, so decimals are always points. */
    public static String f(String format, Object... args) {
        return String.format(Locale.ROOT, format, args);
    }
}
