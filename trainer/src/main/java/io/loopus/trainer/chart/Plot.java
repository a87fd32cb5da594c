package io.loopus.trainer.chart;

/**
 * The plotting rectangle of a chart (pixels left..right, top..bottom) with its two axes: maps
 * values to pixels and draws the axis lines, ticks, grid lines and axis titles.
 */
public record Plot(Svg svg, double left, double right, double top, double bottom, Axis x, Axis y) {
    private static final String GRID = "#e6e6e6", ZERO = "#b0b0b0";

    public double px(double v) { return left + x.fraction(v) * (right - left); }

    public double py(double v) { return bottom - y.fraction(v) * (bottom - top); }

    /** Pixel x of each value. */
    public double[] px(double[] v) {
        double[] p = new double[v.length];
        for (int i = 0; i < v.length; i++) p[i] = px(v[i]);
        return p;
    }

    /** Pixel y of each value. */
    public double[] py(double[] v) {
        double[] p = new double[v.length];
        for (int i = 0; i < v.length; i++) p[i] = py(v[i]);
        return p;
    }

    /** Both axes. */
    public void axes(String xTitle, String yTitle) {
        yAxis(yTitle);
        xAxis(xTitle);
    }

    /** The bottom axis with its tick labels and title. */
    public void xAxis(String title) {
        for (double t : x.ticks()) {
            svg.line(px(t), bottom, px(t), bottom + 5, "black", 1.5);
            svg.text(px(t), bottom + 18, "middle", 11, Text.tick(t));
        }
        svg.line(left, bottom, right, bottom, "black", 1.5);
        svg.text((left + right) / 2, bottom + 38, "middle", 12, title);
    }

    /** The left axis with its tick labels and title, and a grid line across the plot at each tick (darker at 0). */
    public void yAxis(String title) {
        for (double t : y.ticks()) {
            svg.line(left, py(t), right, py(t), t == 0 ? ZERO : GRID, 1);
            svg.line(left - 5, py(t), left, py(t), "black", 1.5);
            svg.text(left - 8, py(t) + 4, "end", 11, Text.tick(t));
        }
        svg.line(left, top, left, bottom, "black", 1.5);
        svg.rotated(left - 50, (top + bottom) / 2, title, "black");
    }
}
