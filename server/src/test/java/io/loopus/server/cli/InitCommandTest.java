package io.loopus.server.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.loopus.worker.generate.Generator;
import io.loopus.worker.generate.SamplingParams;
import io.loopus.worker.load.LdsCheckpoint;
import io.loopus.worker.load.LoadedModel;
import io.loopus.worker.load.ModelLoader;
import io.loopus.worker.loop.Split;
import io.loopus.worker.model.LlamaModel;
import io.loopus.worker.tensor.CpuBackend;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

import static io.loopus.server.cli.CliTest.run;
import static io.loopus.server.cli.ExportCommandTest.assertOneLineError;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** {@code loopus init}: a base model in, a LoopUS checkpoint out, which then runs like any model. */
class InitCommandTest {
    @TempDir Path tmp;

    private CliTest.Run init(Path model, Path out, String split, String... more) {
        String[] base = {"init", "--model", model.toString(), "--split", split, "--loops", "4", "--out", out.toString()};
        String[] args = new String[base.length + more.length];
        System.arraycopy(base, 0, args, 0, base.length);
        System.arraycopy(more, 0, args, base.length, more.length);
        return run(args);
    }

    @Test void initWritesACheckpointThatGeneratesAsTheInitialModelDoes() throws IOException {
        Path bin = CliTest.stories().resolve("stories260K.bin"), out = tmp.resolve("lds");
        CliTest.Run r = init(bin, out, "1:4");
        assertEquals(0, r.code(), r.err());
        assertTrue(r.err().startsWith("wrote " + out + " (loopus lds (llama) split 1:4 N=4, exit rule threshold tau 0.9"), r.err());
        assertEquals(1, r.err().lines().filter(l -> l.startsWith("wrote")).count());
        for (String f : new String[] {"config.json", "generation_config.json", "model.safetensors", "tokenizer.json"}) {
            assertTrue(Files.isRegularFile(out.resolve(f)), f);
        }

        CliTest.Run g = run("generate", "--model", out.toString(), "--max-new-tokens", "30", "--json", "Once upon a time");
        assertEquals(0, g.code(), g.err());
        JsonNode o = new ObjectMapper().readTree(g.out());
        assertEquals("[1,403,407,261,378]", o.path("prompt_ids").toString());
        assertTrue(o.path("ids").size() > 0 && !o.path("text").asText().isBlank(), g.out());

        // the same ids as the initial model (default seed 0, threshold 0.9 at N = 4) built in memory
        LoadedModel l2c = ModelLoader.load(bin, null, CpuBackend.INSTANCE);
        LlamaModel llama = (LlamaModel) l2c.model();
        Split split = new Split(1, 4, 5);
        var model = LdsCheckpoint.initial(llama.config(), llama.weights(), split, 4, 0).model(CpuBackend.INSTANCE);
        int[] ids = new Generator(model).generate(new int[] {1, 403, 407, 261, 378}, 30, SamplingParams.greedy(), null).ids();
        assertEquals(ids.length, o.path("ids").size());
        for (int i = 0; i < ids.length; i++) assertEquals(ids[i], o.path("ids").get(i).asInt(), "id " + i);

        CliTest.Run score = run("score", "--model", out.toString(), "--text", "Once upon a time there was a cat.");
        assertEquals(0, score.code(), score.err());
        assertOneLineError(run("export", "--model", out.toString(), "--format", "hf", "--out", tmp.resolve("hf").toString()),
                "export", out + ": is a LoopUS checkpoint");
        assertOneLineError(run("bench", "--model", out.toString(), "--seconds", "0.1"), "bench", out + ": is a LoopUS checkpoint");
        assertOneLineError(init(out, tmp.resolve("again"), "1:4"), "init", out + ": is already a LoopUS checkpoint");
    }

    @Test void otherExitRulesAndSeedsAreWrittenToTheConfig() throws IOException {
        Path out = tmp.resolve("cdf");
        CliTest.Run r = init(CliTest.stories().resolve("stories260K.bin"), out, "2:3", "--halting", "cdf", "--tau", "0.5",
                "--seed", "9");
        assertEquals(0, r.code(), r.err());
        JsonNode c = new ObjectMapper().readTree(out.resolve("config.json").toFile());
        assertEquals("cdf", c.path("halting_strategy").asText());
        assertEquals(0.5, c.path("q_threshold").asDouble());
        assertEquals("[2]", c.path("reasoning_layer_indices").toString());
        assertEquals(4, c.path("N").asInt());
    }

    @Test void badArgumentsAreOneLineErrors() throws IOException {
        Path bin = CliTest.stories().resolve("stories260K.bin");
        Path out = tmp.resolve("out");
        assertOneLineError(init(bin, out, "3:2"), "init", "--split must be e:d with 0 <= e < d");
        assertOneLineError(init(bin, out, "one"), "init", "--split must be e:d");
        assertOneLineError(init(bin, out, "1:9"), "init", "split 1:9 is not 0 <= e < d <= 5");
        assertOneLineError(init(bin, out, "1:4", "--halting", "fixed"), "init", "--halting fixed is a run-time choice");
        assertOneLineError(init(bin, out, "1:4", "--halting", "foo"), "init", "unknown exit policy \"foo\"");
        assertOneLineError(init(bin, out, "1:4", "--tau", "2"), "init", "--tau must be in [0, 1]");
        assertOneLineError(run("init", "--model", bin.toString(), "--split", "1:4", "--loops", "0", "--out", out.toString()),
                "init", "--loops must be >= 1");
        assertFalse(Files.exists(out), "nothing written after an error");
        Files.createDirectories(out);
        Files.writeString(out.resolve("keep.txt"), "mine");
        assertOneLineError(init(bin, out, "1:4"), "init", out + ": exists and is not empty");
        assertEquals("mine", Files.readString(out.resolve("keep.txt")));
    }
}
