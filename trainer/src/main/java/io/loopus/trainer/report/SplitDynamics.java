package io.loopus.trainer.report;

import com.fasterxml.jackson.databind.JsonNode;

import static io.loopus.trainer.report.JsonFields.number;
import static io.loopus.trainer.report.JsonFields.numbers;

/**
 * What {@code loopus analyze} measured when it chose the split (its {@code dynamics.json}).
 *
 * @param relativeUpdateNorm per layer l, ||h_{l+1} - h_l|| / ||h_l||
 * @param threshold          the plateau threshold the rule cut at; NaN when not given
 * @param rule               the rule in words; empty when not given
 */
record SplitDynamics(double[] relativeUpdateNorm, double threshold, String rule) {

    /**
     * Accepts {@code per_layer} as {@code dynamics.json} writes it (an object of per-layer arrays)
     * and as a list of per-layer objects; null when there is no curve to draw.
     */
    static SplitDynamics parse(JsonNode o) {
        if (o == null || !o.isObject()) return null;
        JsonNode perLayer = o.path("per_layer");
        double[] norms;
        if (perLayer.isArray()) {
            norms = new double[perLayer.size()];
            for (int l = 0; l < norms.length; l++) norms[l] = number(perLayer.get(l), "relative_update_norm");
        } else {
            norms = numbers(perLayer.path("relative_update_norm"));
        }
        if (norms.length == 0) return null;
        return new SplitDynamics(norms, number(o, "threshold"), o.path("rule").asText(""));
    }
}
