package io.loopus.server.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.loopus.worker.load.SafetensorsWriter;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** {@code loopus export} and the command line's one-line errors for broken Hugging Face inputs. */
class ExportCommandTest {
    @TempDir Path tmp;

    static CliTest.Run run(String... args) {
        return CliTest.run(args);
    }

    /** loopus export --model MODEL --format hf --out OUT. */
    static CliTest.Run export(Path model, Path out) {
        return run("export", "--model", model.toString(), "--format", "hf", "--out", out.toString());
    }

    /** A user error: exit code 2 and exactly one line "loopus CMD: error: PREFIX...", no stack trace. */
    static void assertOneLineError(CliTest.Run r, String command, String prefix) {
        assertEquals(2, r.code(), r.err());
        assertTrue(r.err().startsWith("loopus " + command + ": error: " + prefix), r.err());
        long lines = r.err().lines().filter(l -> !l.startsWith("WARNING") && !l.startsWith("SLF4J")).count();
        assertEquals(1, lines, r.err());
        assertFalse(r.err().contains("Exception") || r.err().contains("\tat "), r.err());
    }

    @Test void exportsStoriesAndTheExportGeneratesTheSameIds() throws IOException {
        Path dir = CliTest.stories();
        Path out = tmp.resolve("hf");
        CliTest.Run export = export(dir.resolve("stories260K.bin"), out);
        assertEquals(0, export.code(), export.err());
        assertTrue(export.err().contains("wrote " + out), export.err());
        for (String f : new String[] {"config.json", "generation_config.json", "model.safetensors", "tokenizer.json"}) {
            assertTrue(Files.isRegularFile(out.resolve(f)), f);
        }
        ObjectMapper json = new ObjectMapper();
        String prompt = "Tom and his dog went to the park.";
        CliTest.Run viaHf = run("generate", "--max-new-tokens", "40", "--json", "--model", out.toString(), prompt);
        CliTest.Run viaBin = run("generate", "--max-new-tokens", "40", "--json", "--model",
                dir.resolve("stories260K.bin").toString(), prompt);
        assertEquals(0, viaHf.code(), viaHf.err());
        JsonNode a = json.readTree(viaHf.out()), b = json.readTree(viaBin.out());
        assertEquals(b.path("prompt_ids"), a.path("prompt_ids"));
        assertEquals(b.path("ids"), a.path("ids"));
        assertEquals(b.path("text"), a.path("text"));
        assertEquals(40, a.path("ids").size());

        assertOneLineError(export(dir.resolve("stories260K.bin"), out), "export", out + ": exists and is not empty");
    }

    @Test void anUnsupportedFormatIsAOneLineError() {
        CliTest.Run r = run("export", "--model", tmp.resolve("m.bin").toString(), "--format", "gguf",
                "--out", tmp.resolve("o").toString());
        assertOneLineError(r, "export", "--format gguf is not supported (supported: hf)");
        assertFalse(Files.exists(tmp.resolve("o")));
    }

    @Test void anUnreadableModelIsAOneLineError() throws IOException {
        Path missing = tmp.resolve("missing.bin");
        assertOneLineError(export(missing, tmp.resolve("o")), "export", missing + ": no such file");
        Path junk = Files.write(tmp.resolve("junk.bin"), new byte[100]);
        Files.write(tmp.resolve("tokenizer.bin"), new byte[8]);
        assertOneLineError(export(junk, tmp.resolve("o")), "export", junk + ": ");
        assertFalse(Files.exists(tmp.resolve("o")));
    }

    @Test void aTakenOutputIsReportedBeforeTheModelIsLoaded() throws IOException {
        Path taken = Files.createDirectories(tmp.resolve("taken"));
        Files.writeString(taken.resolve("x"), "x");
        assertOneLineError(export(tmp.resolve("missing.bin"), taken), "export", taken + ": exists and is not empty");
    }

    /** A config.json that parses, for a tiny llama whose weights the tests then break. */
    static Path modelDir(Path dir) throws IOException {
        Files.createDirectories(dir);
        Files.writeString(dir.resolve("config.json"), "{\"model_type\": \"llama\", \"hidden_size\": 8, "
                + "\"intermediate_size\": 16, \"num_hidden_layers\": 1, \"num_attention_heads\": 2, \"vocab_size\": 8}");
        // a tokenizer.bin of 8 one-letter pieces: the tokenizer loads before the weights, so this lets loading reach them
        ByteBuffer tok = ByteBuffer.allocate(4 + 8 * 9).order(ByteOrder.LITTLE_ENDIAN).putInt(1);
        for (int i = 0; i < 8; i++) tok.putFloat(0).putInt(1).put((byte) ('a' + i));
        Files.write(dir.resolve("tokenizer.bin"), tok.array());
        return dir;
    }

    @Test void brokenHuggingFaceInputsAreOneLineErrorsNamingTheFile() throws IOException {
        Path badJson = modelDir(tmp.resolve("bad-json"));
        Files.writeString(badJson.resolve("config.json"), "{\"model_type\": \"llama\",");
        assertOneLineError(run("generate", "--model", badJson.toString(), "hi"), "generate",
                badJson.resolve("config.json") + ": not valid JSON");

        Path gpt2 = modelDir(tmp.resolve("gpt2"));
        Files.writeString(gpt2.resolve("config.json"), "{\"model_type\": \"gpt2\", \"n_embd\": 8}");
        assertOneLineError(run("score", "--model", gpt2.toString(), "--text", "hi"), "score",
                gpt2.resolve("config.json") + ": unsupported architecture model_type \"gpt2\"");

        Path truncated = modelDir(tmp.resolve("truncated"));
        Path st = truncated.resolve("model.safetensors");
        new SafetensorsWriter().add("model.embed_tokens.weight", new float[64]).write(st);
        try (RandomAccessFile raf = new RandomAccessFile(st.toFile(), "rw")) {
            raf.setLength(raf.length() - 10);
        }
        CliTest.Run r = run("generate", "--model", truncated.toString(), "hi");
        assertOneLineError(r, "generate", st + ": ");
        assertTrue(r.err().contains("truncated"), r.err());

        Path pastEnd = modelDir(tmp.resolve("past-end"));
        Path st2 = pastEnd.resolve("model.safetensors");
        Files.write(st2, ByteBuffer.allocate(16).order(ByteOrder.LITTLE_ENDIAN).putLong(1000).array());
        assertOneLineError(export(pastEnd, tmp.resolve("o")), "export", st2 + ": bad safetensors header length 1000");
    }
}
