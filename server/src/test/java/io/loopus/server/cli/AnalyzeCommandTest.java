package io.loopus.server.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.loopus.worker.bench.RandomModel;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** {@code loopus analyze}: the files and summary it writes, and its one-line errors. */
class AnalyzeCommandTest {
    @TempDir Path tmp;

    static Path trainText() { return CliTest.stories().resolveSibling("../data/tinystories/train.txt").normalize(); }

    @Test void analyzesStories260K() throws Exception {
        Path out = tmp.resolve("analysis");
        CliTest.Run r = CliTest.run("analyze", "--model", CliTest.stories().resolve("stories260K.bin").toString(),
                "--data", trainText().toString(), "--tokens", "1000", "--out", out.toString());
        assertEquals(0, r.code(), r.err());
        JsonNode json = new ObjectMapper().readTree(out.resolve("dynamics.json").toFile());
        assertEquals(1000, json.path("tokens").asInt());
        assertEquals(5, json.path("per_layer").path("relative_update_norm").size());
        assertTrue(Files.readString(out.resolve("dynamics.svg")).contains("<polyline"));
        String flags = json.path("flags").asText();
        assertTrue(flags.matches("--split [1-3]:[2-4]"), flags);
        assertTrue(r.out().contains("flags: " + flags), r.out());
        assertTrue(r.out().lines().filter(l -> l.matches("\\s+[0-4]\\s+-?[0-9.]+\\s+[0-9.]+\\s+[0-9.]+.*")).count() == 5, r.out());
        assertTrue(r.err().contains("analyze: 1000/1000 tokens"), r.err());
    }

    @Test void aMissingDataFileIsNamedBeforeTheModelLoads() {
        Path missing = tmp.resolve("missing.txt");
        ExportCommandTest.assertOneLineError(CliTest.run("analyze", "--model", tmp.resolve("absent.bin").toString(),
                "--data", missing.toString(), "--out", tmp.resolve("o").toString()), "analyze", "data file " + missing + ": no such file");
    }

    @Test void emptyDataIsNamed() throws Exception {
        Path empty = Files.writeString(tmp.resolve("empty.txt"), "<|endoftext|>\n\n");
        ExportCommandTest.assertOneLineError(CliTest.run("analyze", "--model", CliTest.stories().resolve("stories260K.bin").toString(),
                "--data", empty.toString(), "--out", tmp.resolve("o").toString()), "analyze", "data file " + empty + ": no text");
        assertTrue(Files.notExists(tmp.resolve("o")), "nothing written");
    }

    @Test void aTwoLayerModelIsRefused() throws Exception {
        Path model = tmp.resolve("two.bin");
        RandomModel.write(RandomModel.Spec.parse("dim=32,hidden=64,layers=2,heads=2,vocab=512,seq=64"), 1, model);
        ExportCommandTest.assertOneLineError(CliTest.run("analyze", "--model", model.toString(),
                "--tokenizer", CliTest.stories().resolve("tok512.bin").toString(), "--data", trainText().toString(),
                "--out", tmp.resolve("o").toString()), "analyze", "the model has 2 layers; a split needs at least 3");
    }
}
