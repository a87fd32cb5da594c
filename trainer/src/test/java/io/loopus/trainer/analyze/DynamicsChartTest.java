package io.loopus.trainer.analyze;

import io.loopus.worker.loop.Split;
import org.junit.jupiter.api.Test;
import org.w3c.dom.Document;

import javax.xml.parsers.DocumentBuilderFactory;
import java.io.ByteArrayInputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

class DynamicsChartTest {
    @Test void isAStandaloneSvgWithTheModelNameEscaped() throws Exception {
        double[] rel = {1.24, 0.78, 0.68, 0.68, 0.73};
        LayerDynamics d = new LayerDynamics(1000, 990, new double[] {0.5, 0.9, 0.95, 0.95, 0.7}, rel,
                new double[] {0.1, 0.2, 0.3, 0.4, 0.5});
        Analysis a = new Analysis("models/<tiny> & \"small\".bin", Path.of("calib.txt"), 3, d, SplitRule.choose(rel), 1.5);
        String svg = DynamicsChart.render(a);
        assertEquals(new Split(1, 4, 5), a.choice().split());
        Document doc = DocumentBuilderFactory.newInstance().newDocumentBuilder()
                .parse(new ByteArrayInputStream(svg.getBytes(StandardCharsets.UTF_8)));
        assertEquals("svg", doc.getDocumentElement().getTagName());
        assertEquals(3, doc.getElementsByTagName("polyline").getLength());
        assertTrue(doc.getDocumentElement().getTextContent().contains("models/<tiny> & \"small\".bin"));
    }
}
