package io.loopus.trainer.report;

import org.w3c.dom.Document;
import org.w3c.dom.Element;
import org.w3c.dom.NodeList;

import javax.xml.parsers.DocumentBuilderFactory;
import java.io.ByteArrayInputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** The inline SVG charts of a report page, each parsed on its own as XML (HTML5 itself is not XML). */
final class ReportCharts {
    private static final Pattern SVG = Pattern.compile("(?s)<svg\\b.*?</svg>");

    private ReportCharts() {}

    /** Chart name (its class after "chart") to its parsed document; fails on any SVG that is not well-formed. */
    static Map<String, Document> of(String html) throws Exception {
        Map<String, Document> charts = new LinkedHashMap<>();
        Matcher m = SVG.matcher(html);
        while (m.find()) {
            Document doc = DocumentBuilderFactory.newInstance().newDocumentBuilder()
                    .parse(new ByteArrayInputStream(m.group().getBytes(StandardCharsets.UTF_8)));
            charts.put(doc.getDocumentElement().getAttribute("class").replace("chart ", ""), doc);
        }
        return charts;
    }

    /** The elements with this tag whose class list includes {@code cls}. */
    static List<Element> elements(Document doc, String tag, String cls) {
        List<Element> found = new ArrayList<>();
        NodeList all = doc.getElementsByTagName(tag);
        for (int i = 0; i < all.getLength(); i++) {
            Element e = (Element) all.item(i);
            if (List.of(e.getAttribute("class").split(" ")).contains(cls)) found.add(e);
        }
        return found;
    }

    /** The x (or y, with index 1) pixel coordinates of a polyline's points. */
    static double[] coordinates(Element polyline, int index) {
        String[] points = polyline.getAttribute("points").trim().split(" ");
        double[] v = new double[points.length];
        for (int i = 0; i < points.length; i++) v[i] = Double.parseDouble(points[i].split(",")[index]);
        return v;
    }
}
