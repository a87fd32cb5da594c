package io.loopus.trainer.report;

import com.fasterxml.jackson.databind.JsonNode;
import io.loopus.worker.load.Json;
import io.loopus.worker.loop.Split;

import java.io.IOException;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The settings of a training run, from the {@code run.json} the trainer writes when it starts.
 *
 * @param split    null when the file gives none
 * @param control  a control run: the plain model trained on the same data without the loop
 * @param config   the recipe, key by key in the file's order, values as written
 * @param dynamics the analysis the split came from; null when the split was given by hand
 */
record RunInfo(String model, int layers, Split split, int loops, boolean control, Map<String, String> config,
               String data, String evalData, SplitDynamics dynamics) {

    static RunInfo read(Path file) throws IOException {
        JsonNode o = Json.MAPPER.readTree(file.toFile());
        if (o == null || !o.isObject()) throw new IOException(file + " is not a JSON object");
        int layers = JsonFields.integer(o, "layers", 0);
        JsonNode s = o.path("split");
        Split split;
        try {
            split = s.isObject() ? new Split(s.path("encoder_end").asInt(), s.path("decoder_start").asInt(), layers) : null;
        } catch (IllegalArgumentException e) {
            throw new IOException(file + ": " + e.getMessage(), e);
        }
        Map<String, String> config = new LinkedHashMap<>();
        for (Map.Entry<String, JsonNode> e : o.path("config").properties()) config.put(e.getKey(), value(e.getValue()));
        return new RunInfo(o.path("model").asText(""), layers, split, JsonFields.integer(o, "loops", 0),
                o.path("control").asBoolean(false), config, o.path("data").asText(""), o.path("eval_data").asText(""),
                SplitDynamics.parse(o.get("dynamics")));
    }

    /** Numbers as a person writes them (0.001, 1, 0.00005), not Java's 1.0 or 5.0E-5. */
    private static String value(JsonNode v) {
        return v.isNumber() ? v.decimalValue().stripTrailingZeros().toPlainString() : v.asText();
    }
}
