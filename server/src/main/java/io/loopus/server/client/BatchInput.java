package io.loopus.server.client;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import io.loopus.proto.v1.GenerateRequest;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * A JSONL file of prompts, one request per line. Malformed lines (bad JSON, missing or duplicate id, missing
 * prompt, a field of the wrong type) are reported with their line number and left out; blank lines are ignored.
 */
public record BatchInput(List<Entry> entries, int malformed) {
    /** One request: its id as the stream carries it, the id as the input wrote it (string or number). */
    public record Entry(int line, String id, JsonNode idJson, GenerateRequest request) {}

    private static final Set<String> KNOWN = Set.of("id", "prompt", "max_new_tokens", "temperature", "top_k", "top_p",
            "repetition_penalty", "seed", "stop", "loops", "min_loops", "exit", "tau", "trace");

    public static BatchInput read(Path file, int defaultMaxNewTokens, PrintStream err) {
        List<Entry> entries = new ArrayList<>();
        Map<String, Integer> firstLine = new HashMap<>();
        Set<String> warnedUnknown = new HashSet<>();
        int malformed = 0, lineNo = 0;
        try (BufferedReader in = Files.newBufferedReader(file, StandardCharsets.UTF_8)) {
            for (String line; (line = in.readLine()) != null; ) {
                lineNo++;
                if (line.isBlank()) continue;
                try {
                    JsonNode o = parseObject(line);
                    for (Iterator<String> names = o.fieldNames(); names.hasNext(); ) {
                        String name = names.next();
                        if (!KNOWN.contains(name) && warnedUnknown.add(name)) { // extra data is fine; a typo should show
                            err.println("batch: " + file + " line " + lineNo + ": ignoring unknown field \"" + name + "\"");
                        }
                    }
                    Entry e = entry(lineNo, o, defaultMaxNewTokens);
                    Integer first = firstLine.putIfAbsent(e.id(), lineNo);
                    if (first != null) throw new IllegalArgumentException("duplicate id " + e.idJson() + " (first on line " + first + ")");
                    entries.add(e);
                } catch (IllegalArgumentException e) {
                    malformed++;
                    err.println("batch: " + file + " line " + lineNo + ": " + e.getMessage() + "; skipped");
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException(file + ": cannot read: " + e.getMessage(), e);
        }
        return new BatchInput(entries, malformed);
    }

    private static JsonNode parseObject(String line) {
        JsonNode o;
        try {
            o = ClientJson.MAPPER.readTree(line);
        } catch (JsonProcessingException e) {
            throw new IllegalArgumentException("not JSON (" + e.getOriginalMessage() + ")");
        }
        if (o == null || !o.isObject()) throw new IllegalArgumentException("not a JSON object");
        return o;
    }

    /** The request a line asks for; fields it leaves out take the server's defaults (max_new_tokens: the command's). */
    static Entry entry(int line, JsonNode o, int defaultMaxNewTokens) {
        JsonNode id = o.get("id");
        if (id == null || !(id.isTextual() || id.isNumber())) throw new IllegalArgumentException("needs an \"id\" (a string or a number)");
        JsonNode prompt = o.get("prompt");
        if (prompt == null || !prompt.isTextual()) throw new IllegalArgumentException("needs a \"prompt\" (a string)");
        Integer maxNew = integer(o, "max_new_tokens");
        Long seed = o.has("seed") ? integral(o, "seed") : null;
        RequestOptions options = new RequestOptions(maxNew == null ? defaultMaxNewTokens : maxNew, number(o, "temperature"),
                integer(o, "top_k"), number(o, "top_p"), number(o, "repetition_penalty"), seed, strings(o, "stop"),
                integer(o, "loops"), integer(o, "min_loops"), text(o, "exit"),
                o.has("tau") ? number(o, "tau").doubleValue() : null, bool(o, "trace"));
        return new Entry(line, id.asText(), id, options.toRequest(prompt.textValue()));
    }

    private static Integer integer(JsonNode o, String name) {
        JsonNode v = o.get(name);
        if (v == null || v.isNull()) return null;
        if (!v.isIntegralNumber() || !v.canConvertToInt()) throw wrongType(name, "an integer");
        return v.intValue();
    }

    private static Long integral(JsonNode o, String name) {
        JsonNode v = o.get(name);
        if (v == null || v.isNull()) return null;
        if (!v.isIntegralNumber() || !v.canConvertToLong() || v.longValue() < 0) throw wrongType(name, "a non-negative integer");
        return v.longValue();
    }

    private static Float number(JsonNode o, String name) {
        JsonNode v = o.get(name);
        if (v == null || v.isNull()) return null;
        if (!v.isNumber()) throw wrongType(name, "a number");
        return v.floatValue();
    }

    private static String text(JsonNode o, String name) {
        JsonNode v = o.get(name);
        if (v == null || v.isNull()) return null;
        if (!v.isTextual()) throw wrongType(name, "a string");
        return v.textValue();
    }

    private static boolean bool(JsonNode o, String name) {
        JsonNode v = o.get(name);
        if (v == null || v.isNull()) return false;
        if (!v.isBoolean()) throw wrongType(name, "true or false");
        return v.booleanValue();
    }

    private static List<String> strings(JsonNode o, String name) {
        JsonNode v = o.get(name);
        if (v == null || v.isNull()) return List.of();
        if (!v.isArray()) throw wrongType(name, "an array of strings");
        List<String> out = new ArrayList<>();
        for (JsonNode s : v) {
            if (!s.isTextual()) throw wrongType(name, "an array of strings");
            out.add(s.textValue());
        }
        return out;
    }

    private static IllegalArgumentException wrongType(String name, String expected) {
        return new IllegalArgumentException("\"" + name + "\" must be " + expected);
    }
}
