package io.loopus.trainer.train;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.loopus.worker.io.AtomicFiles;
import io.loopus.worker.load.Json;
import io.loopus.worker.load.ModelFormatException;
import io.loopus.worker.load.SafetensorsFile;
import io.loopus.worker.load.SafetensorsWriter;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.stream.Stream;

/**
 * Everything a killed run needs to continue exactly as if it had not stopped: the trainable
 * tensors as trained (not the permuted copies a model checkpoint holds), both AdamW moments, and
 * each micro-batch stream's position and hidden state. Each checkpoint is a new directory
 * {@code checkpoints/step-NNNNNNNN} written atomically; {@code checkpoints/latest} names the
 * newest, and only the two newest are kept. The user-facing LoopUS model goes beside it (model/).
 */
public final class TrainingCheckpoint {
    private static final String STATE = "state.json", TENSORS = "state.safetensors", LATEST = "latest";

    /** What a checkpoint restores. */
    public record Restored(int update, AdamW.State optimizer, SlotState[] slots) {}

    private TrainingCheckpoint() {}

    public static Path directory(Path runDir) { return runDir.resolve("checkpoints"); }

    /**
     * Writes the state after {@code update} updates; {@code extra} adds files (the model) inside
     * the same atomic directory.
     */
    public static Path write(Path runDir, int update, TrainingModel model, AdamW.State optimizer, SlotState[] slots,
                             TrainConfig cfg, AtomicFiles.Contents extra) {
        Path dir = directory(runDir).resolve(String.format("step-%08d", update));
        try {
            AtomicFiles.writeDirectory(dir, d -> {
                SafetensorsWriter st = new SafetensorsWriter();
                model.tensors().forEach((k, v) -> st.add("p." + k, v));
                optimizer.first().forEach((k, v) -> st.add("m." + k, v));
                optimizer.second().forEach((k, v) -> st.add("v." + k, v));
                for (SlotState s : slots) if (s.h != null) st.add("h." + s.slot, s.h);
                st.write(d.resolve(TENSORS));
                Json.MAPPER.writerWithDefaultPrettyPrinter().writeValue(d.resolve(STATE).toFile(), state(update, optimizer, slots, cfg));
                extra.writeTo(d);
            });
            AtomicFiles.writeFile(directory(runDir).resolve(LATEST),
                    f -> Files.writeString(f, dir.getFileName().toString(), StandardCharsets.UTF_8));
            prune(directory(runDir), 2);
        } catch (IOException e) {
            throw new UncheckedIOException(dir + ": cannot write the checkpoint: " + e.getMessage(), e);
        }
        return dir;
    }

    /** The newest checkpoint of a run, or null when it has none. */
    public static Path latest(Path runDir) {
        Path latest = directory(runDir).resolve(LATEST);
        if (!Files.isRegularFile(latest)) return null;
        try {
            Path dir = directory(runDir).resolve(Files.readString(latest, StandardCharsets.UTF_8).strip());
            if (!Files.isDirectory(dir)) throw new ModelFormatException(latest, "names " + dir.getFileName() + ", which is missing");
            return dir;
        } catch (IOException e) {
            throw new UncheckedIOException(latest + ": cannot read: " + e.getMessage(), e);
        }
    }

    /**
     * Restores checkpoint {@code dir} into {@code model}'s tensors and returns the rest; a corrupt
     * or mismatched checkpoint is refused with a message naming the file.
     */
    public static Restored read(Path dir, TrainingModel model, TrainConfig cfg) {
        Path stateFile = dir.resolve(STATE);
        JsonNode s;
        try {
            s = Json.MAPPER.readTree(stateFile.toFile());
        } catch (IOException e) {
            throw new ModelFormatException(stateFile, "not a readable trainer state: " + e.getMessage().lines().findFirst().orElse(""));
        }
        if (s == null || !s.path("update").canConvertToInt()) throw new ModelFormatException(stateFile, "no \"update\"");
        JsonNode saved = s.path("config");
        for (String key : new String[] {"steps", "warmup", "lr", "batch", "micro_batches", "seq_len", "n_reasoning_steps",
                "n_supervision", "beta", "clip", "seed"}) { // not workers: any number gives the same run
            if (!saved.path(key).asText().equals(config(cfg).path(key).asText())) {
                throw new IllegalArgumentException(stateFile + ": the run was made with " + key + " = " + saved.path(key)
                        + ", not " + config(cfg).path(key) + "; resume with the same settings");
            }
        }
        try (SafetensorsFile st = SafetensorsFile.open(dir.resolve(TENSORS))) {
            Map<String, float[]> m = new LinkedHashMap<>(), v = new LinkedHashMap<>();
            for (Map.Entry<String, float[]> e : model.tensors().entrySet()) {
                float[] p = e.getValue();
                System.arraycopy(st.vector("p." + e.getKey(), p.length), 0, p, 0, p.length);
                if (st.has("m." + e.getKey())) {
                    m.put(e.getKey(), st.vector("m." + e.getKey(), p.length));
                    v.put(e.getKey(), st.vector("v." + e.getKey(), p.length));
                }
            }
            ArrayNode slotNodes = (ArrayNode) s.path("slots");
            SlotState[] slots = new SlotState[slotNodes.size()];
            int rows = cfg.batch() * cfg.seqLen() * model.config().dim();
            for (int k = 0; k < slots.length; k++) {
                JsonNode n = slotNodes.get(k);
                SlotState slot = new SlotState(k);
                slot.round = n.path("round").asLong();
                slot.next = n.path("next").asInt();
                slot.windowsDone = n.path("windows_done").asInt();
                slot.supervised = Json.MAPPER.convertValue(n.path("supervised"), int[].class);
                if (n.hasNonNull("micro_batch")) {
                    slot.h = st.vector("h." + k, rows);
                    slot.resumeBatch = n.path("micro_batch").asLong();
                }
                slots[k] = slot;
            }
            return new Restored(s.path("update").asInt(), new AdamW.State(s.path("optimizer_steps").asLong(), m, v), slots);
        }
    }

    private static ObjectNode state(int update, AdamW.State optimizer, SlotState[] slots, TrainConfig cfg) {
        ObjectNode o = Json.MAPPER.createObjectNode();
        o.put("update", update);
        o.put("optimizer_steps", optimizer.steps());
        o.set("config", config(cfg));
        ArrayNode a = o.putArray("slots");
        for (SlotState s : slots) {
            ObjectNode n = a.addObject();
            n.put("slot", s.slot);
            n.put("round", s.round);
            if (s.batch != null) n.put("micro_batch", s.batch.index());
            else n.putNull("micro_batch");
            n.put("next", s.next);
            n.put("windows_done", s.windowsDone);
            ArrayNode sup = n.putArray("supervised");
            for (int i : s.supervised) sup.add(i);
        }
        return o;
    }

    /** The settings a resumed run must share with the run it continues. */
    static ObjectNode config(TrainConfig c) {
        ObjectNode o = Json.MAPPER.createObjectNode();
        o.put("steps", c.steps());
        o.put("warmup", c.warmup());
        o.put("lr", c.lr());
        o.put("batch", c.batch());
        o.put("micro_batches", c.microBatches());
        o.put("seq_len", c.seqLen());
        o.put("n_reasoning_steps", c.reasoningSteps());
        o.put("n_supervision", c.supervision());
        o.put("beta", c.beta());
        o.put("clip", c.clip());
        o.put("seed", c.seed());
        o.put("workers", c.workers());
        return o;
    }

    private static void prune(Path checkpoints, int keep) throws IOException {
        try (Stream<Path> s = Files.list(checkpoints)) {
            var steps = s.filter(p -> p.getFileName().toString().startsWith("step-") && Files.isDirectory(p)).sorted().toList();
            for (int i = 0; i < steps.size() - keep; i++) deleteTree(steps.get(i));
        }
    }

    static void deleteTree(Path dir) throws IOException {
        try (Stream<Path> walk = Files.walk(dir)) {
            for (Path p : walk.sorted(java.util.Comparator.reverseOrder()).toList()) Files.delete(p);
        }
    }
}
