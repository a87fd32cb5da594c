package io.loopus.server.client;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.loopus.proto.v1.FinishReason;
import io.loopus.proto.v1.TokenTrace;
import io.loopus.proto.v1.Usage;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** JSON shapes the client commands print, in the offline commands' vocabulary. */
public final class ClientJson {
    public static final ObjectMapper MAPPER = new ObjectMapper();

    private ClientJson() {}

    public static String write(Object value) {
        try {
            return MAPPER.writeValueAsString(value);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
    }

    /** "stop" or "length", as offline generate prints it; null when the server sent none. */
    public static String finishReason(FinishReason r) {
        return switch (r) {
            case FINISH_REASON_STOP -> "stop";
            case FINISH_REASON_LENGTH -> "length";
            default -> null;
        };
    }

    public static Map<String, Object> usage(Usage u) {
        Map<String, Object> o = new LinkedHashMap<>();
        o.put("prompt_tokens", u.getPromptTokens());
        o.put("completion_tokens", u.getCompletionTokens());
        o.put("loop_passes", u.getLoopPasses());
        return o;
    }

    /** One {"id", "depth", "q"} per token; q is null where it was not evaluated (JSON has no NaN). */
    public static List<Map<String, Object>> trace(List<Integer> ids, List<TokenTrace> trace) {
        List<Map<String, Object>> out = new ArrayList<>();
        for (int i = 0; i < trace.size(); i++) {
            Map<String, Object> o = new LinkedHashMap<>();
            if (i < ids.size()) o.put("id", ids.get(i));
            o.put("depth", trace.get(i).getExitDepth());
            List<Float> q = new ArrayList<>();
            for (float v : trace.get(i).getConfidenceList()) q.add(Float.isNaN(v) ? null : v);
            o.put("q", q);
            out.add(o);
        }
        return out;
    }
}
