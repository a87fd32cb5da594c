package io.loopus.worker.generate;

import java.util.List;

/**
 * Ends generation at the first stop string (DESIGN §8), which is not part of the output. Streamed
 * text is held back only as long as it could still be the beginning of a stop string.
 */
public final class StopStrings {
    private final List<String> stops;
    private final int holdBack;
    private final StringBuilder pending = new StringBuilder();
    private boolean stopped;

    public StopStrings(List<String> stops) {
        for (String s : stops) {
            if (s.isEmpty()) throw new IllegalArgumentException("a stop string must not be empty");
        }
        this.stops = List.copyOf(stops);
        this.holdBack = stops.stream().mapToInt(String::length).max().orElse(1) - 1;
    }

    public boolean stopped() { return stopped; }

    /** Adds newly decoded text; returns the text that can be emitted now (empty once stopped). */
    public String push(String text) {
        if (stopped) return "";
        pending.append(text);
        int cut = -1;
        for (String s : stops) {
            int i = pending.indexOf(s);
            if (i >= 0 && (cut < 0 || i < cut)) cut = i;
        }
        if (cut >= 0) {
            stopped = true;
            String out = pending.substring(0, cut);
            pending.setLength(0);
            return out;
        }
        int safe = pending.length() - heldSuffix();
        String out = pending.substring(0, safe);
        pending.delete(0, safe);
        return out;
    }

    /** Length of the longest end of the pending text that begins some stop string. */
    private int heldSuffix() {
        for (int k = Math.min(pending.length(), holdBack); k > 0; k--) {
            String tail = pending.substring(pending.length() - k);
            for (String s : stops) if (s.startsWith(tail)) return k;
        }
        return 0;
    }

    /** The text held back when generation ended without a stop string. */
    public String flush() {
        String out = stopped ? "" : pending.toString();
        pending.setLength(0);
        return out;
    }
}
