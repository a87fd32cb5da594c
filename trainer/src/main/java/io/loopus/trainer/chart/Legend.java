package io.loopus.trainer.chart;

/**
 * A legend laid out left to right from (x, y), starting a new row when an entry would pass
 * {@code maxX}. Each entry is a small sample of the mark (a line, a swatch, a dot) and its label.
 */
public final class Legend {
    private static final double ROW = 18, SAMPLE = 24, GAP = 22;
    /** Width of one character of 11-pixel sans-serif, generously: labels must not collide. */
    private static final double CHAR = 6.2;

    private final Svg svg;
    private final double startX, maxX;
    private double x, y;

    public Legend(Svg svg, double x, double y, double maxX) {
        this.svg = svg;
        this.startX = x;
        this.maxX = maxX;
        this.x = x;
        this.y = y;
    }

    /** A line sample; {@code attributes} as for {@link Svg#polyline} (stroke, width, dashes, opacity). */
    public void line(String attributes, String label) {
        double at = place(label);
        svg.polyline(new double[] {at, at + SAMPLE}, new double[] {y, y}, attributes);
        label(at, label);
    }

    /** A filled square sample (a bar, a shaded block). */
    public void swatch(String fill, double opacity, String label) {
        double at = place(label);
        svg.rect(at + 5, y - 6, 14, 12, Svg.f("fill=\"%s\" fill-opacity=\"%.2f\"", fill, opacity));
        label(at, label);
    }

    /** A point sample: any shape, drawn by the caller's function at the sample's centre. */
    public void mark(Mark mark, String label) {
        double at = place(label);
        mark.draw(at + SAMPLE / 2, y);
        label(at, label);
    }

    /** The y of the row below the last: where the plot may begin. */
    public double bottom() {
        return y + ROW / 2;
    }

    /** Draws a point mark centred on (x, y). */
    @FunctionalInterface
    public interface Mark {
        void draw(double x, double y);
    }

    private double place(String label) {
        double width = SAMPLE + 5 + label.length() * CHAR;
        if (x > startX && x + width > maxX) {
            x = startX;
            y += ROW;
        }
        double at = x;
        x += width + GAP;
        return at;
    }

    private void label(double at, String label) {
        svg.text(at + SAMPLE + 5, y + 4, "start", 11, label);
    }
}
