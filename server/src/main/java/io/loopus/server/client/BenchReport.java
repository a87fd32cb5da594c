package io.loopus.server.client;

import io.loopus.proto.v1.ModelInfoResponse;
import io.loopus.proto.v1.StageInfo;
import io.loopus.proto.v1.TokenTrace;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * What a server load test measured. Inter-token latency has one sample per token after a request's first:
 * a message's first token counts the gap since the previous message, each further token in the same
 * message counts 0 (it arrived together with that one).
 */
public record BenchReport(int completed, Map<String, Integer> failed, double seconds, long tokens,
                          double ttftP50, double ttftP99, double itlP50, double itlP99, double loopPassesPerToken,
                          Map<Integer, Long> depthHistogram, Map<String, Double> stageBusy, String batching) {

    /** @param trace whether depths were asked for (else the histogram is null) */
    public static BenchReport of(List<LoadGenerator.Outcome> outcomes, double seconds, ModelInfoResponse before,
                                 ModelInfoResponse after, boolean trace) {
        int completed = 0;
        long tokens = 0, completionTokens = 0, loopPasses = 0;
        Map<String, Integer> failed = new TreeMap<>();
        List<Double> ttft = new ArrayList<>(), itl = new ArrayList<>();
        Map<Integer, Long> depths = trace ? new TreeMap<>() : null;
        for (LoadGenerator.Outcome o : outcomes) {
            if (!o.ok()) {
                failed.merge(o.errorCode(), 1, Integer::sum);
                continue;
            }
            StreamedGeneration g = o.result();
            completed++;
            tokens += g.ids().size();
            completionTokens += g.usage().getCompletionTokens();
            loopPasses += g.usage().getLoopPasses();
            if (!Double.isNaN(g.timeToFirstTokenMs())) ttft.add(g.timeToFirstTokenMs());
            g.interTokenGapsMs(itl);
            if (trace) for (TokenTrace t : g.trace()) depths.merge(t.getExitDepth(), 1L, Long::sum);
        }
        Percentiles t = new Percentiles(ttft.stream().mapToDouble(Double::doubleValue).toArray());
        Percentiles i = new Percentiles(itl.stream().mapToDouble(Double::doubleValue).toArray());
        return new BenchReport(completed, failed, seconds, tokens, t.get(50), t.get(99), i.get(50), i.get(99),
                completionTokens == 0 ? Double.NaN : (double) loopPasses / completionTokens, depths,
                stageBusy(before, after, seconds), after.getBatching());
    }

    /** Each stage's share of the run it spent computing, from the growth of its busy_seconds. */
    static Map<String, Double> stageBusy(ModelInfoResponse before, ModelInfoResponse after, double seconds) {
        Map<String, Double> start = new LinkedHashMap<>();
        for (StageInfo s : before.getStagesList()) start.put(s.getName(), s.getBusySeconds());
        Map<String, Double> busy = new LinkedHashMap<>();
        for (StageInfo s : after.getStagesList()) {
            busy.put(s.getName(), (s.getBusySeconds() - start.getOrDefault(s.getName(), 0.0)) / seconds);
        }
        return busy;
    }

    public int failedTotal() {
        return failed.values().stream().mapToInt(Integer::intValue).sum();
    }

    public double tokensPerSecond() {
        return tokens / seconds;
    }

    public double requestsPerSecond() {
        return completed / seconds;
    }

    public Map<String, Object> toJson() {
        Map<String, Object> o = new LinkedHashMap<>();
        o.put("completed", completed);
        o.put("failed", failedTotal());
        o.put("failed_by_code", new LinkedHashMap<>(failed));
        o.put("seconds", seconds);
        o.put("tokens_per_second", tokensPerSecond());
        o.put("requests_per_second", requestsPerSecond());
        o.put("ttft_ms", p50p99(ttftP50, ttftP99));
        o.put("itl_ms", p50p99(itlP50, itlP99));
        o.put("loop_passes_per_token", orNull(loopPassesPerToken));
        if (depthHistogram != null) {
            Map<String, Long> h = new LinkedHashMap<>();
            depthHistogram.forEach((d, n) -> h.put(String.valueOf(d), n));
            o.put("depth_histogram", h);
        }
        o.put("stage_busy", stageBusy);
        o.put("batching", batching);
        return o;
    }

    public String table(String server) {
        StringBuilder sb = new StringBuilder();
        sb.append(String.format("server             %s (batching %s)%n", server, batching.isEmpty() ? "?" : batching));
        sb.append(String.format("requests           %d completed, %d failed%s in %.2f s (%.2f req/s)%n", completed, failedTotal(),
                failed.isEmpty() ? "" : " " + failed, seconds, requestsPerSecond()));
        sb.append(String.format("output             %.1f tok/s (%d tokens)%n", tokensPerSecond(), tokens));
        sb.append(String.format("first token        p50 %.2f ms, p99 %.2f ms%n", ttftP50, ttftP99));
        sb.append(String.format("inter-token        p50 %.2f ms, p99 %.2f ms (tokens sharing a message count 0 ms)%n", itlP50, itlP99));
        sb.append(String.format("loop passes/token  %.3f%n", loopPassesPerToken));
        if (depthHistogram != null) {
            StringBuilder h = new StringBuilder();
            depthHistogram.forEach((d, n) -> h.append(h.isEmpty() ? "" : ", ").append(d).append(": ").append(n));
            sb.append(String.format("exit depths        %s%n", h));
        }
        StringBuilder b = new StringBuilder();
        stageBusy.forEach((name, f) -> b.append(b.isEmpty() ? "" : ", ").append(String.format("%s %.0f%%", name, 100 * f)));
        sb.append(String.format("stage busy         %s", b));
        return sb.toString();
    }

    private static Map<String, Object> p50p99(double p50, double p99) {
        Map<String, Object> o = new LinkedHashMap<>();
        o.put("p50", orNull(p50));
        o.put("p99", orNull(p99));
        return o;
    }

    /** JSON has no NaN: a measure with no samples is null. */
    private static Double orNull(double v) {
        return Double.isNaN(v) ? null : v;
    }
}
