package io.loopus.trainer.report;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import io.loopus.worker.load.Json;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * The lines of {@code metrics.jsonl} so far, in file order.
 *
 * @param cutOff the last line did not parse and was left out: the trainer was stopped while writing it
 */
record MetricsLog(List<StepMetrics> steps, List<Evaluation> evals, boolean cutOff) {

    /**
     * Reads the file (missing: nothing logged yet). Only the last line may be unreadable; a bad
     * line before it means the file is damaged, not cut off, and is refused with its number.
     * Lines of other types are skipped, so the trainer may log more kinds later.
     */
    static MetricsLog read(Path file) throws IOException {
        if (!Files.exists(file)) return new MetricsLog(List.of(), List.of(), false);
        // decoded leniently: a cut can fall inside a multi-byte character
        List<String> lines = new String(Files.readAllBytes(file), StandardCharsets.UTF_8).lines().toList();
        int last = lines.size() - 1;
        while (last >= 0 && lines.get(last).isBlank()) last--;
        List<StepMetrics> steps = new ArrayList<>();
        List<Evaluation> evals = new ArrayList<>();
        boolean cutOff = false;
        for (int i = 0; i <= last; i++) {
            if (lines.get(i).isBlank()) continue;
            JsonNode o;
            try {
                o = Json.MAPPER.readTree(lines.get(i));
            } catch (JsonProcessingException e) {
                if (i < last) throw new IOException(file + " line " + (i + 1) + " is not JSON: " + e.getOriginalMessage(), e);
                cutOff = true;
                continue;
            }
            switch (o.path("type").asText()) {
                case "step" -> steps.add(StepMetrics.parse(o));
                case "eval" -> evals.add(Evaluation.parse(o));
                default -> { } // a kind this report does not draw
            }
        }
        return new MetricsLog(List.copyOf(steps), List.copyOf(evals), cutOff);
    }

    /** The newest evaluation: the final one once the run has finished. */
    Optional<Evaluation> latest() {
        return evals.isEmpty() ? Optional.empty() : Optional.of(evals.get(evals.size() - 1));
    }
}
