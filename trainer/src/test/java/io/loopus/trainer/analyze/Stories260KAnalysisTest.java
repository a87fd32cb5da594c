package io.loopus.trainer.analyze;

import com.fasterxml.jackson.databind.JsonNode;
import io.loopus.worker.load.Json;
import io.loopus.worker.load.LoadedModel;
import io.loopus.worker.load.ModelLoader;
import io.loopus.worker.tensor.CpuBackend;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.w3c.dom.Document;
import org.w3c.dom.Element;
import org.w3c.dom.NodeList;

import javax.xml.parsers.DocumentBuilderFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The analysis of the real stories260K model over TinyStories text, and the files it writes. */
class Stories260KAnalysisTest {
    @TempDir Path tmp;

    @Test void writesTheCurvesTheSplitAndTheChart() throws Exception {
        LoadedModel loaded = ModelLoader.load(Shared.stories260K(), Shared.tokenizer(), CpuBackend.INSTANCE);
        Analysis a = DecompositionAnalysis.run(loaded.model(), "stories260K", loaded.tokenizer(), Shared.trainText(), 2000, done -> {});
        Path out = tmp.resolve("out/analysis");
        DynamicsReport.write(a, out);

        JsonNode json = Json.MAPPER.readTree(out.resolve(DynamicsReport.JSON).toFile());
        assertEquals(5, json.path("layers").asInt());
        assertEquals(2000, json.path("tokens").asInt());
        JsonNode perLayer = json.path("per_layer");
        for (String curve : new String[] {"layer", "cosine", "relative_update_norm", "logit_lens_accuracy"}) {
            assertEquals(5, perLayer.path(curve).size(), curve);
        }
        for (int l = 0; l < 5; l++) {
            double cos = perLayer.path("cosine").get(l).asDouble(), acc = perLayer.path("logit_lens_accuracy").get(l).asDouble();
            assertTrue(cos > -1 && cos < 1 && perLayer.path("relative_update_norm").get(l).asDouble() > 0, "layer " + l);
            assertTrue(acc >= 0 && acc <= 1, "layer " + l);
        }
        // a trained model predicts best after its last layer
        assertTrue(perLayer.path("logit_lens_accuracy").get(4).asDouble() > 0.3, perLayer.toString());
        int e = json.path("split").path("encoder_end").asInt(), d = json.path("split").path("decoder_start").asInt();
        assertTrue(1 <= e && e < d && d <= 4, json.toString());
        assertEquals("--split " + e + ":" + d, json.path("flags").asText());
        assertTrue(json.path("rule").asText().contains("median"), json.path("rule").asText());

        Document svg = DocumentBuilderFactory.newInstance().newDocumentBuilder().parse(out.resolve(DynamicsReport.SVG).toFile());
        assertEquals("svg", svg.getDocumentElement().getTagName());
        Map<String, Integer> points = new HashMap<>();
        NodeList lines = svg.getElementsByTagName("polyline");
        for (int i = 0; i < lines.getLength(); i++) {
            Element line = (Element) lines.item(i);
            points.put(line.getAttribute("id"), line.getAttribute("points").split(" ").length);
        }
        assertEquals(Map.of("cosine", 5, "relative_update_norm", 5, "logit_lens_accuracy", 5), points);
        NodeList rects = svg.getElementsByTagName("rect");
        boolean shaded = false;
        for (int i = 0; i < rects.getLength(); i++) shaded |= ((Element) rects.item(i)).getAttribute("class").equals("reasoning-block");
        assertTrue(shaded, "no shaded reasoning block");
        try (var files = Files.list(out)) {
            assertEquals(2, files.count(), "only the two artefacts, no temporaries left");
        }
    }
}
