package io.loopus.trainer.report;

import com.fasterxml.jackson.databind.JsonNode;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;

import static io.loopus.trainer.report.JsonFields.integer;
import static io.loopus.trainer.report.JsonFields.number;

/**
 * One {@code "type": "eval"} line: held-out perplexity after {@code step} updates.
 *
 * @param last    the run's closing evaluation ({@code "final": true})
 * @param basePpl the base model's perplexity (for a control run: the plain model being trained); NaN when not measured
 * @param results one per exit policy and loop count; empty for a control run
 */
record Evaluation(int step, boolean last, double basePpl, List<ExitResult> results) {

    static Evaluation parse(JsonNode o) {
        List<ExitResult> results = new ArrayList<>();
        for (JsonNode r : o.path("results")) results.add(ExitResult.parse(r));
        return new Evaluation(integer(o, "step", -1), o.path("final").asBoolean(false), number(o, "base_ppl"), List.copyOf(results));
    }

    /** The fixed-exit results by loop count. */
    List<ExitResult> fixed() {
        return results.stream().filter(ExitResult::fixed).sorted(Comparator.comparingInt(ExitResult::loops)).toList();
    }

    /** The first adaptive-exit result (the trainer measures one threshold). */
    Optional<ExitResult> adaptive() {
        return results.stream().filter(r -> !r.fixed()).findFirst();
    }

    /** The fixed-exit result with the lowest perplexity. */
    Optional<ExitResult> bestFixed() {
        return fixed().stream().filter(r -> !Double.isNaN(r.ppl())).min(Comparator.comparingDouble(ExitResult::ppl));
    }
}
