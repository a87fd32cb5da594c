package io.loopus.server.cli;

import io.loopus.worker.loop.TokenTrace;
import io.loopus.worker.tokenizer.Tokenizer;

import java.io.PrintStream;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** The per-token loop trace of {@code generate --trace}, as a table or as JSON. */
final class TraceTable {
    private TraceTable() {}

    static List<Map<String, Object>> json(int[] ids, List<TokenTrace> trace) {
        List<Map<String, Object>> out = new ArrayList<>();
        for (int i = 0; i < trace.size(); i++) {
            TokenTrace t = trace.get(i);
            Map<String, Object> o = new LinkedHashMap<>();
            o.put("id", ids[i]);
            o.put("depth", t.depth());
            o.put("q", nullForNaN(t.q())); // NaN where q was not evaluated; JSON has no NaN
            o.put("mean_abar", nullForNaN(t.meanAbar()));
            out.add(o);
        }
        return out;
    }

    /** @param prev the last prompt token (a piece's text depends on the token before it) */
    static void print(int prev, int[] ids, List<TokenTrace> trace, Tokenizer tok, PrintStream out) {
        out.println("token  piece            depth  q per loop                          mean Abar per loop");
        for (int i = 0; i < trace.size(); i++) {
            TokenTrace t = trace.get(i);
            String piece = new String(tok.pieceBytes(prev, ids[i]), java.nio.charset.StandardCharsets.UTF_8)
                    .replace("\n", "\\n");
            out.printf("%5d  %-15s  %5d  %-34s  %s%n", ids[i], '"' + piece + '"', t.depth(), join(t.q()), join(t.meanAbar()));
            prev = ids[i];
        }
    }

    private static String join(float[] values) {
        StringBuilder sb = new StringBuilder();
        for (float v : values) sb.append(sb.isEmpty() ? "" : " ").append(Float.isNaN(v) ? "-" : String.format("%.3f", v));
        return sb.toString();
    }

    private static List<Float> nullForNaN(float[] values) {
        List<Float> out = new ArrayList<>(values.length);
        for (float v : values) out.add(Float.isNaN(v) ? null : v);
        return out;
    }
}
