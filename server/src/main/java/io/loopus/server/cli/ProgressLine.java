package io.loopus.server.cli;

import java.io.PrintStream;
import java.util.Locale;

/**
 * Progress of long work on stderr: done of total, rate and time left. On a terminal the line is
 * redrawn in place; otherwise (a log, a pipe) a new line is printed every few seconds, so logs
 * stay short and readable.
 */
final class ProgressLine {
    private final String label, unit;
    private final long total;
    private final PrintStream out;
    private final boolean terminal;
    private final long start = System.nanoTime();
    private long lastPrint = Long.MIN_VALUE;

    ProgressLine(String label, String unit, long total, PrintStream out, boolean terminal) {
        this.label = label;
        this.unit = unit;
        this.total = total;
        this.out = out;
        this.terminal = terminal;
    }

    /** On stderr; redrawn in place when there is a console. */
    static ProgressLine onStderr(String label, String unit, long total) {
        return new ProgressLine(label, unit, total, System.err, System.console() != null);
    }

    private String detail = "";

    void update(long done) {
        long now = System.nanoTime();
        long every = terminal ? 250_000_000L : 5_000_000_000L;
        if (lastPrint != Long.MIN_VALUE && now - lastPrint < every) return;
        lastPrint = now;
        print(done, false);
    }

    /** Like {@link #update(long)}, with a few words on the current state (e.g. the loss). */
    void update(long done, String detail) {
        this.detail = detail;
        update(done);
    }

    /** The last line, whatever the time since the one before. */
    void finish(long done) {
        print(done, true);
    }

    private void print(long done, boolean last) {
        double seconds = Math.max(1e-9, (System.nanoTime() - start) / 1e9);
        double rate = done / seconds;
        String line = String.format(Locale.ROOT, "%s: %d/%d %s (%3.0f%%)  %.1f %s/s  %s %s", label, done, total, unit,
                100.0 * done / total, rate, unit, last ? "took" : "ETA",
                clock(last ? seconds : rate > 0 ? (total - done) / rate : Double.NaN));
        if (!detail.isEmpty()) line += "  " + detail;
        if (terminal) {
            out.print("\r" + line + "\u001b[K" + (last ? "\n" : ""));
            out.flush();
        } else {
            out.println(line);
        }
    }

    /** h:mm:ss or m:ss; "?" before there is a rate. */
    static String clock(double seconds) {
        if (!Double.isFinite(seconds)) return "?";
        long s = Math.round(seconds);
        return s >= 3600 ? String.format(Locale.ROOT, "%d:%02d:%02d", s / 3600, s / 60 % 60, s % 60)
                : String.format(Locale.ROOT, "%d:%02d", s / 60, s % 60);
    }
}
