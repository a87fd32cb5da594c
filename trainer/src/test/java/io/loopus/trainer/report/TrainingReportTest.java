package io.loopus.trainer.report;

import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.w3c.dom.Document;
import org.w3c.dom.Element;

import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

import static io.loopus.trainer.report.ReportCharts.coordinates;
import static io.loopus.trainer.report.ReportCharts.elements;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class TrainingReportTest {
    static final List<String> TERMS = List.of("loss", "lm", "lm_before", "monotone", "confidence");

    @TempDir Path dir;
    RunFolder run;

    @BeforeEach void folder() {
        run = new RunFolder(dir);
    }

    /** 50 steps, an evaluation half way and the final one. */
    String finishedRun() throws Exception {
        run.runJson(false, true);
        run.steps(1, 25);
        run.eval(25, false, new double[] {4.9, 4.6, 4.5, 4.45}, 4.55, new long[] {10, 20, 30, 40});
        run.steps(26, 50);
        run.eval(50, true, new double[] {4.4, 4.2, 4.1234, 4.15}, 4.1789, RunFolder.DEPTHS);
        return run.report();
    }

    @Test void aFinishedRunHasFourWellFormedChartsAndItsNumbers() throws Exception {
        String html = finishedRun();
        Map<String, Document> charts = ReportCharts.of(html);
        assertEquals(List.of("loss-chart", "perplexity-chart", "depth-chart", "split-chart"), List.copyOf(charts.keySet()));
        assertTrue(html.startsWith("<!DOCTYPE html>"));
        assertFalse(html.contains("<script"), "no script");
        assertFalse(html.replace("http://www.w3.org/2000/svg", "").matches("(?s).*(https?:|src=|href=).*"), "nothing fetched");
        try (Stream<Path> files = Files.list(dir)) {
            assertEquals(3, files.count(), "run.json, metrics.jsonl and report.html; no temporary left");
        }
        // the eval table and the headline: base 3.871, best fixed N=3, threshold 4.179 at 2.1 passes, 1.9 fewer than N=4
        for (String n : List.of("3.871", "4.123", "4.179", "2.10", "1.90", "4.450", "4.550", "N = 3", "48% fewer")) {
            assertTrue(html.contains(n), n);
        }
    }

    @Test void lossChartHasOnePointPerStepForEachTerm() throws Exception {
        Document loss = ReportCharts.of(finishedRun()).get("loss-chart");
        for (String cls : List.of("raw", "smoothed")) {
            List<Element> lines = elements(loss, "polyline", cls);
            assertEquals(TERMS, lines.stream().map(l -> l.getAttribute("data-term")).toList(), cls);
            for (Element l : lines) assertEquals(50, coordinates(l, 0).length, cls + " " + l.getAttribute("data-term"));
        }
        Element lmBefore = elements(loss, "polyline", "smoothed").get(2);
        assertTrue(lmBefore.hasAttribute("stroke-dasharray"), "lm_before is dashed");
        // steps go left to right, and falling losses go down the page (up in y pixels)
        double[] x = coordinates(elements(loss, "polyline", "smoothed").get(1), 0), y = coordinates(elements(loss, "polyline", "smoothed").get(1), 1);
        for (int i = 1; i < x.length; i++) assertTrue(x[i] > x[i - 1]);
        assertTrue(y[49] > y[0]);
    }

    @Test void perplexityChartShowsEachLoopCountTheThresholdPointAndTheBase() throws Exception {
        Document ppl = ReportCharts.of(finishedRun()).get("perplexity-chart");
        List<Element> fixed = elements(ppl, "polyline", "fixed"), earlier = elements(ppl, "polyline", "earlier");
        assertEquals(1, fixed.size());
        assertEquals("50", fixed.get(0).getAttribute("data-step"));
        assertEquals(List.of("25"), earlier.stream().map(e -> e.getAttribute("data-step")).toList());
        double[] x = coordinates(fixed.get(0), 0), y = coordinates(fixed.get(0), 1);
        assertEquals(4, x.length, "one point per loop count");
        assertEquals(4, coordinates(earlier.get(0), 0).length);
        double perLoop = x[1] - x[0], perPpl = (y[1] - y[0]) / (4.4 - 4.2);
        // the diamond sits at the threshold result's mean loops (2.1) and perplexity
        Element diamond = elements(ppl, "polygon", "adaptive").get(0);
        String[] top = diamond.getAttribute("points").split(" ")[0].split(",");
        assertEquals(x[0] + 1.1 * perLoop, Double.parseDouble(top[0]), 0.2);
        assertEquals(y[0] + (4.4 - 4.1789) * perPpl - 8, Double.parseDouble(top[1]), 0.2);
        Element base = elements(ppl, "line", "base").get(0);
        assertEquals(y[0] + (4.4 - 3.87149) * perPpl, Double.parseDouble(base.getAttribute("y1")), 0.2);
        assertTrue(base.hasAttribute("stroke-dasharray"));
    }

    @Test void depthBarsMatchTheCounts() throws Exception {
        Document depth = ReportCharts.of(finishedRun()).get("depth-chart");
        List<Element> bars = elements(depth, "rect", "bar");
        assertEquals(RunFolder.DEPTHS.length, bars.size());
        double perToken = Double.parseDouble(bars.get(0).getAttribute("height")) / RunFolder.DEPTHS[0];
        for (int k = 0; k < bars.size(); k++) {
            Element bar = bars.get(k);
            assertEquals(Integer.toString(k + 1), bar.getAttribute("data-depth"));
            assertEquals(Long.toString(RunFolder.DEPTHS[k]), bar.getAttribute("data-count"));
            assertEquals(RunFolder.DEPTHS[k] * perToken, Double.parseDouble(bar.getAttribute("height")), 0.15, "bar " + (k + 1));
        }
        assertTrue(depth.getDocumentElement().getTextContent().contains("40%"));
        assertEquals(1, elements(depth, "line", "mean").size());
    }

    @Test void splitChartColoursTheBlocksAndDrawsTheLoopAndTheAnalysis() throws Exception {
        Document split = ReportCharts.of(finishedRun()).get("split-chart");
        List<Element> layers = elements(split, "rect", "layer");
        assertEquals(List.of("layer encoder", "layer reasoning", "layer reasoning", "layer reasoning", "layer decoder"),
                layers.stream().map(l -> l.getAttribute("class")).toList());
        assertEquals(1, elements(split, "path", "loop-arrow").size());
        assertTrue(split.getDocumentElement().getTextContent().contains("N = 4"));
        List<Element> curve = elements(split, "polyline", "relative-update-norm");
        double[] x = coordinates(curve.get(0), 0);
        assertEquals(5, x.length);
        for (int l = 0; l < 5; l++) {
            Element box = layers.get(l);
            double centre = Double.parseDouble(box.getAttribute("x")) + Double.parseDouble(box.getAttribute("width")) / 2;
            assertEquals(centre, x[l], 0.2, "the curve's layer " + l + " stands over its box");
        }
        assertEquals(1, elements(split, "line", "threshold").size());
    }

    @Test void textFromFilesIsEscaped() throws Exception {
        String html = finishedRun();
        assertFalse(html.contains("<tiny>"));
        assertTrue(html.contains("models/&lt;tiny&gt; &amp; &quot;q&quot;&#39;s.bin"));
        // and in the SVGs it reads back as the original text
        assertTrue(html.contains("reasoning block = the longest contiguous run"));
    }

    @Test void aCutOffLastLineIsLeftOut() throws Exception {
        run.runJson(false, false);
        run.steps(1, 50);
        run.append("{\"type\": \"step\", \"step\": 51, \"lr\": 0.0009, \"loss\": 2.");
        String html = run.report();
        Document loss = ReportCharts.of(html).get("loss-chart");
        for (Element l : elements(loss, "polyline", "raw")) assertEquals(50, coordinates(l, 0).length);
        assertTrue(html.contains("is incomplete"));
    }

    @Test void aBadLineBeforeTheLastIsRefused() throws Exception {
        run.runJson(false, false);
        run.steps(1, 3);
        run.append("{\"type\": \"step\", \"st\n");
        run.steps(4, 5);
        UncheckedIOException e = assertThrows(UncheckedIOException.class, () -> TrainingReport.write(dir));
        assertTrue(e.getMessage().contains("line 4"), e.getMessage());
        assertFalse(Files.exists(dir.resolve(TrainingReport.REPORT)));
    }

    @Test void withoutEvaluationsTheLossChartIsThereAndTheRestSaysSo() throws Exception {
        run.runJson(false, false);
        run.steps(1, 20);
        String html = run.report();
        Map<String, Document> charts = ReportCharts.of(html);
        assertEquals(List.of("loss-chart", "split-chart"), List.copyOf(charts.keySet()));
        for (Element l : elements(charts.get("loss-chart"), "polyline", "smoothed")) assertEquals(20, coordinates(l, 0).length);
        assertTrue(html.contains("No evaluation yet."));
        assertTrue(html.contains("step 20 of 50"));
        assertTrue(elements(charts.get("split-chart"), "polyline", "relative-update-norm").isEmpty(), "a hand-given split has no curve");
    }

    @Test void aRunThatHasNotLoggedAStepYetStillGetsAReport() throws Exception {
        run.runJson(false, false);
        String html = run.report();
        assertEquals(List.of("split-chart"), List.copyOf(ReportCharts.of(html).keySet()));
        assertTrue(html.contains("No training step logged yet."));
        assertTrue(html.contains("no step logged yet (50 planned)"));
    }

    @Test void aControlRunShowsPerplexityOverTrainingAndNoLoop() throws Exception {
        run.runJson(true, false);
        run.steps(1, 25);
        run.plainEval(25, false, 4.0321);
        run.steps(26, 50);
        run.plainEval(50, true, 3.9012);
        String html = run.report();
        Map<String, Document> charts = ReportCharts.of(html);
        assertEquals(List.of("loss-chart", "perplexity-chart", "split-chart"), List.copyOf(charts.keySet()));
        Element plain = elements(charts.get("perplexity-chart"), "polyline", "plain").get(0);
        assertEquals(2, coordinates(plain, 0).length, "one point per evaluation");
        assertTrue(elements(charts.get("split-chart"), "path", "loop-arrow").isEmpty());
        assertTrue(html.contains("control run"));
        assertTrue(html.contains("no exit depths"));
        for (String n : List.of("4.032", "3.901")) assertTrue(html.contains(n), n);
        assertFalse(html.contains("base model perplexity"));
    }
}
