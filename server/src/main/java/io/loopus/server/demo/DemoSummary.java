package io.loopus.server.demo;

import io.loopus.proto.v1.ModelInfoResponse;
import io.loopus.proto.v1.StageInfo;
import io.loopus.proto.v1.TokenTrace;
import io.loopus.server.client.Percentiles;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * The numbers of a demo run: requests, tokens and throughput, loop passes per token against N, the
 * exit-depth histogram of the generated tokens, and each stage's busy share over the run (from the
 * ModelInfo busy_seconds before and after it).
 */
public final class DemoSummary {
    /**
     * @param depthCounts generated tokens that exited after step d + 1, d = 0..N-1
     * @param busy        each stage's busy share of the run: name, device, fraction
     */
    public record Numbers(int requests, int ok, long tokens, double seconds, double requestP50, double requestMax,
                          double firstTokenP50Ms, long[] depthCounts, List<Busy> busy) {
        public int loops() { return depthCounts.length; }

        public long tracedTokens() {
            long n = 0;
            for (long c : depthCounts) n += c;
            return n;
        }

        public double meanDepth() {
            double sum = 0;
            for (int d = 0; d < depthCounts.length; d++) sum += (d + 1) * (double) depthCounts[d];
            return sum / Math.max(1, tracedTokens());
        }

        public int distinctDepths() {
            int n = 0;
            for (long c : depthCounts) if (c > 0) n++;
            return n;
        }
    }

    public record Busy(String stage, String device, double fraction) {}

    private DemoSummary() {}

    public static Numbers of(LoadRun.Result run) {
        int loops = Math.max(1, run.after().getLoops());
        long[] depths = new long[loops];
        long tokens = 0;
        int ok = 0;
        List<Double> times = new ArrayList<>(), firsts = new ArrayList<>();
        for (LoadRun.Sent s : run.requests()) {
            if (!s.ok()) continue;
            ok++;
            tokens += s.result().ids().size();
            times.add(s.result().seconds());
            double ttft = s.result().timeToFirstTokenMs();
            if (!Double.isNaN(ttft)) firsts.add(ttft);
            for (TokenTrace t : s.result().trace()) {
                int d = t.getExitDepth();
                if (d >= 1 && d <= loops) depths[d - 1]++;
            }
        }
        Percentiles time = new Percentiles(times.stream().mapToDouble(Double::doubleValue).toArray());
        Percentiles first = new Percentiles(firsts.stream().mapToDouble(Double::doubleValue).toArray());
        return new Numbers(run.requests().size(), ok, tokens, run.seconds(), time.get(50), time.get(100), first.get(50),
                depths, busy(run.before(), run.after()));
    }

    static List<Busy> busy(ModelInfoResponse before, ModelInfoResponse after) {
        double wall = after.getStatistics().getUptimeSeconds() - before.getStatistics().getUptimeSeconds();
        List<Busy> out = new ArrayList<>();
        for (int i = 0; i < after.getStagesCount(); i++) {
            StageInfo a = after.getStages(i);
            double was = i < before.getStagesCount() ? before.getStages(i).getBusySeconds() : 0;
            out.add(new Busy(a.getName(), a.getDevice(), wall > 0 ? (a.getBusySeconds() - was) / wall : Double.NaN));
        }
        return out;
    }

    /** The table, one line per entry. */
    public static List<String> table(Numbers n) {
        List<String> lines = new ArrayList<>();
        lines.add(row("requests", String.format(Locale.ROOT, "%d concurrent Generate streams over gRPC: %d ok, %d failed",
                n.requests(), n.ok(), n.requests() - n.ok())));
        lines.add(row("new tokens", String.format(Locale.ROOT, "%d in %.2f s: %.0f tok/s over all streams", n.tokens(), n.seconds(),
                n.tokens() / Math.max(1e-9, n.seconds()))));
        lines.add(row("per request", String.format(Locale.ROOT, "p50 %.2f s, slowest %.2f s; first token p50 %.0f ms",
                n.requestP50(), n.requestMax(), n.firstTokenP50Ms())));
        double saved = 1 - n.meanDepth() / n.loops();
        lines.add(row("loop passes", String.format(Locale.ROOT, "%.2f per token on average, of N = %d (%.0f%% fewer reasoning-block"
                + " passes than always looping N times)", n.meanDepth(), n.loops(), 100 * saved)));
        lines.add(row("exit depths", String.format(Locale.ROOT, "%d different depths over %d traced tokens", n.distinctDepths(),
                n.tracedTokens())));
        long max = 1;
        for (long c : n.depthCounts()) max = Math.max(max, c);
        for (int d = 0; d < n.loops(); d++) {
            long c = n.depthCounts()[d];
            lines.add(row("", String.format(Locale.ROOT, "depth %d %7d tokens %5.1f%%  %s", d + 1, c,
                    100.0 * c / Math.max(1, n.tracedTokens()), "#".repeat((int) Math.round(30.0 * c / max)))));
        }
        StringBuilder busy = new StringBuilder();
        for (Busy b : n.busy()) {
            if (!busy.isEmpty()) busy.append(", ");
            busy.append(String.format(Locale.ROOT, "%s %.0f%% (%s)", b.stage(), 100 * b.fraction(), b.device()));
        }
        lines.add(row("stage busy", busy + " of the run"));
        return lines;
    }

    private static String row(String name, String value) {
        return String.format(Locale.ROOT, "  %-12s %s", name, value);
    }
}
