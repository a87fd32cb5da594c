package io.loopus.trainer.report;

import com.fasterxml.jackson.databind.JsonNode;

import static io.loopus.trainer.report.JsonFields.integer;
import static io.loopus.trainer.report.JsonFields.number;

/**
 * The fields of one {@code "type": "step"} line of {@code metrics.jsonl} that the report draws:
 * the loss terms of one optimiser update and the run's progress; a field the line lacks is NaN.
 *
 * @param tokens         tokens the update read
 * @param elapsedSeconds since the run started
 */
record StepMetrics(int step, double loss, double lm, double monotone, double confidence, double lmBefore, double tokens,
                   double elapsedSeconds) {

    static StepMetrics parse(JsonNode o) {
        return new StepMetrics(integer(o, "step", -1), number(o, "loss"), number(o, "lm"), number(o, "monotone"),
                number(o, "confidence"), number(o, "lm_before"), number(o, "tokens"), number(o, "elapsed_s"));
    }
}
