package io.loopus.trainer.analyze;

import io.loopus.worker.io.AtomicFiles;
import io.loopus.worker.load.Json;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.stream.IntStream;

/** Writes an {@link Analysis} into a folder: {@code dynamics.json} and the chart {@code dynamics.svg}. */
public final class DynamicsReport {
    public static final String JSON = "dynamics.json", SVG = "dynamics.svg";

    private DynamicsReport() {}

    /** Creates {@code dir} when missing and writes both files into it, each atomically. */
    public static void write(Analysis a, Path dir) {
        try {
            Files.createDirectories(dir);
            byte[] json = Json.MAPPER.writerWithDefaultPrettyPrinter().writeValueAsBytes(toJson(a));
            AtomicFiles.writeFile(dir.resolve(JSON), tmp -> Files.write(tmp, json));
            String svg = DynamicsChart.render(a);
            AtomicFiles.writeFile(dir.resolve(SVG), tmp -> Files.writeString(tmp, svg, StandardCharsets.UTF_8));
        } catch (IOException e) {
            throw new UncheckedIOException("--out " + dir + ": cannot write: " + e.getMessage(), e);
        }
    }

    public static Map<String, Object> toJson(Analysis a) {
        LayerDynamics d = a.dynamics();
        SplitRule.Choice c = a.choice();
        Map<String, Object> perLayer = new LinkedHashMap<>();
        perLayer.put("layer", IntStream.range(0, d.layers()).toArray());
        perLayer.put("cosine", d.cosine());
        perLayer.put("relative_update_norm", d.relativeUpdateNorm());
        perLayer.put("logit_lens_accuracy", d.logitLensAccuracy());
        Map<String, Object> split = new LinkedHashMap<>();
        split.put("encoder_end", c.split().encoderEnd());
        split.put("decoder_start", c.split().decoderStart());
        Map<String, Object> o = new LinkedHashMap<>();
        o.put("model", a.model());
        o.put("data", a.data().toString());
        o.put("layers", d.layers());
        o.put("stories", a.stories());
        o.put("tokens", d.tokens());
        o.put("predicted_positions", d.predicted());
        o.put("seconds", a.seconds());
        o.put("per_layer", perLayer);
        o.put("split", split);
        o.put("threshold", c.threshold());
        o.put("fallback", c.fallback());
        o.put("rule", c.rule());
        o.put("flags", c.flags());
        return o;
    }
}
