package io.loopus.trainer.chart;

import java.math.BigDecimal;
import java.math.MathContext;

/** Text and numbers as charts and pages show them. */
public final class Text {
    private Text() {}

    /** Safe inside XML and HTML text and attribute values. */
    public static String escape(String s) {
        return s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace("\"", "&quot;").replace("'", "&#39;");
    }

    /** The end of a long name (a model path), which is the telling part. */
    public static String shortened(String s, int max) {
        return s.length() <= max ? s : "\u2026" + s.substring(s.length() - max + 1);
    }

    /**
     * An axis label: a round number as written by hand (0.8, 1.25, 4.025, 20), the float noise
     * of tick arithmetic (0.30000000000000004) rounded away at six significant digits.
     */
    public static String tick(double v) {
        return new BigDecimal(Svg.f("%.6g", v)).stripTrailingZeros().toPlainString();
    }

    /**
     * {@code digits} significant digits, trailing zeros kept so a column of values lines up
     * (4.200, 3.871), never an exponent (31620, not 3.162E+4); "\u2013" for a missing value.
     */
    public static String number(double v, int digits) {
        if (Double.isNaN(v)) return "\u2013";
        if (Double.isInfinite(v)) return v > 0 ? "\u221e" : "-\u221e";
        if (v == 0) return "0";
        BigDecimal b = new BigDecimal(v).round(new MathContext(digits));
        int scale = b.scale() + digits - b.precision(); // pads an exact 4.5 to 4.500
        return (scale > b.scale() ? b.setScale(scale) : b).toPlainString();
    }
}
