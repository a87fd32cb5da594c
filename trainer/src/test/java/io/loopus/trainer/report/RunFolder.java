package io.loopus.trainer.report;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.loopus.worker.load.Json;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

/** Writes the files a training run leaves in its folder, in the trainer's formats. */
final class RunFolder {
    static final String MODEL = "models/<tiny> & \"q\"'s.bin";
    /** What the final threshold evaluation counts per depth (N = 4); mean (40 + 2*25 + 3*20 + 4*15) / 100 = 2.1. */
    static final long[] DEPTHS = {40, 25, 20, 15};

    final Path dir;

    RunFolder(Path dir) {
        this.dir = dir;
    }

    void runJson(boolean control, boolean withDynamics) throws IOException {
        ObjectNode o = Json.MAPPER.createObjectNode();
        o.put("model", MODEL);
        o.put("layers", 5);
        o.putObject("split").put("encoder_end", 1).put("decoder_start", 4);
        o.put("loops", 4);
        o.put("control", control);
        o.putObject("config").put("steps", 50).put("warmup", 5).put("lr", 0.001).put("batch", 8).put("micro_batches", 2)
                .put("seq_len", 256).put("n_reasoning_steps", 8).put("n_supervision", 4).put("beta", 1.0).put("clip", 1.0)
                .put("seed", 0).put("workers", 2);
        o.put("data", "train.txt");
        o.put("eval_data", "valid.txt");
        if (withDynamics) {
            // as bin/loopus analyze writes dynamics.json: per_layer holds one array per curve
            ObjectNode d = o.putObject("dynamics");
            ObjectNode perLayer = d.putObject("per_layer");
            perLayer.putArray("layer").add(0).add(1).add(2).add(3).add(4);
            perLayer.putArray("cosine").add(0.5).add(0.9).add(0.95).add(0.95).add(0.7);
            perLayer.putArray("relative_update_norm").add(1.24).add(0.78).add(0.68).add(0.68).add(0.73);
            perLayer.putArray("logit_lens_accuracy").add(0.1).add(0.2).add(0.3).add(0.4).add(0.5);
            d.putObject("split").put("encoder_end", 1).put("decoder_start", 4);
            d.put("threshold", 1.095);
            d.put("rule", "reasoning block = the longest contiguous run of inner layers with a small update");
        } else {
            o.putNull("dynamics");
        }
        Files.write(dir.resolve(TrainingReport.RUN), Json.MAPPER.writeValueAsBytes(o));
    }

    /** Steps first..last with losses falling from about 3 to 2 and a little deterministic noise. */
    void steps(int first, int last) throws IOException {
        StringBuilder lines = new StringBuilder();
        for (int s = first; s <= last; s++) {
            double noise = 0.05 * Math.sin(s * 1.7), lm = 3 - s / 50.0 + noise;
            ObjectNode o = Json.MAPPER.createObjectNode();
            o.put("type", "step").put("step", s).put("lr", 0.001).put("loss", lm + 0.3).put("lm", lm)
                    .put("monotone", -0.01 + noise / 5).put("confidence", 0.3 - s / 500.0).put("lm_before", lm + 0.2)
                    .put("token_accuracy", 0.3 + s / 200.0).put("grad_norm", 0.8).put("tokens", 4096)
                    .put("tokens_per_second", 850.0).put("elapsed_s", s * 4.8);
            lines.append(Json.MAPPER.writeValueAsString(o)).append('\n');
        }
        append(lines.toString());
    }

    /** A looped evaluation: fixed N = 1..4 at the given perplexities and a threshold exit. */
    void eval(int step, boolean last, double[] fixedPpl, double thresholdPpl, long[] depths) throws IOException {
        ObjectNode o = Json.MAPPER.createObjectNode();
        o.put("type", "eval").put("step", step).put("final", last).put("base_ppl", 3.87149);
        ArrayNode results = o.putArray("results");
        for (int n = 1; n <= fixedPpl.length; n++) {
            ArrayNode counts = Json.MAPPER.createArrayNode();
            for (int k = 1; k <= n; k++) counts.add(k == n ? 100 : 0);
            ObjectNode r = results.addObject().put("loops", n).put("exit", "fixed").putNull("tau").put("ppl", fixedPpl[n - 1])
                    .put("loops_mean", (double) n);
            r.set("depth_counts", counts);
        }
        long total = 0, weighted = 0;
        ArrayNode counts = Json.MAPPER.createArrayNode();
        for (int k = 0; k < depths.length; k++) {
            counts.add(depths[k]);
            total += depths[k];
            weighted += (k + 1) * depths[k];
        }
        ObjectNode r = results.addObject().put("loops", 4).put("exit", "threshold").put("tau", 0.6).put("ppl", thresholdPpl)
                .put("loops_mean", (double) weighted / total);
        r.set("depth_counts", counts);
        append(Json.MAPPER.writeValueAsString(o) + "\n");
    }

    /** A control run's evaluation: the plain model's perplexity only. */
    void plainEval(int step, boolean last, double ppl) throws IOException {
        ObjectNode o = Json.MAPPER.createObjectNode();
        o.put("type", "eval").put("step", step).put("final", last).put("base_ppl", ppl);
        o.putArray("results");
        append(Json.MAPPER.writeValueAsString(o) + "\n");
    }

    void append(String text) throws IOException {
        Files.writeString(dir.resolve(TrainingReport.METRICS), text, StandardCharsets.UTF_8,
                StandardOpenOption.CREATE, StandardOpenOption.APPEND);
    }

    String report() throws IOException {
        TrainingReport.write(dir);
        return Files.readString(dir.resolve(TrainingReport.REPORT));
    }
}
