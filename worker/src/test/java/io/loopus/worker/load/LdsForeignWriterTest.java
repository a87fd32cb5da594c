package io.loopus.worker.load;

import io.loopus.worker.loop.ExitPolicy;
import io.loopus.worker.loop.HaltingStrategy;
import io.loopus.worker.loop.LoopusConfig;
import io.loopus.worker.loop.LoopusModel;
import io.loopus.worker.loop.Split;
import io.loopus.worker.tensor.CpuBackend;
import io.loopus.worker.tensor.DType;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.io.IOException;
import java.nio.file.Path;
import java.util.List;

import static io.loopus.worker.load.LdsAssertions.assertSameConfig;
import static io.loopus.worker.load.LdsAssertions.assertSameLogits;
import static io.loopus.worker.load.LdsAssertions.assertSameWeights;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;

/** Checkpoints laid out by hand as the reference writes them (see {@link ForeignLds}), read by loopus. */
class LdsForeignWriterTest {
    static final int[] IDS = {1, 5, 9, 3, 28, 14, 14, 7, 0, 39, 22, 2, 11};
    static final CpuBackend CPU = CpuBackend.INSTANCE;
    @TempDir Path tmp;

    @Test void loadsToExactlyTheValuesItHolds() throws IOException {
        ForeignLds f = new ForeignLds(new Split(1, 3, 4));
        LdsCheckpoint.Loaded got = LdsCheckpoint.read(f.write(tmp.resolve("foreign"))), want = f.expected();
        assertSameConfig(want.base(), got.base());
        assertEquals(want.loop(), got.loop());
        assertSameWeights(want.weights(), got.weights(), null, null); // BF16 layers stay BF16, the F16 gate becomes F32
        assertEquals(DType.BF16, got.weights().base().layers()[3].w2().dtype());
        assertEquals("someone/tiny-llama", got.origin().baseModelNameOrPath());
        // its base config says tied, yet the head is its own tensor, as in the reference
        assertFalse(got.base().tiedEmbeddings());
        assertFalse(got.origin().baseConfigDict().path("tie_word_embeddings").asBoolean(true));
    }

    @Test void givesTheLogitsOfTheSameModelBuiltInMemory() throws IOException {
        ForeignLds f = new ForeignLds(new Split(1, 3, 4));
        LoadedModel loaded = ModelLoader.load(f.write(tmp.resolve("foreign")), null, CPU);
        assertEquals("loopus lds (llama) split 1:3 N=3", loaded.format());
        LoopusModel disk = assertInstanceOf(LoopusModel.class, loaded.model()), memory = f.expected().model(CPU);
        assertEquals(HaltingStrategy.CDF, disk.exitPolicy().strategy());
        for (ExitPolicy p : List.of(disk.exitPolicy(), ExitPolicy.fixed(3), ExitPolicy.fixed(7))) {
            disk.setExitPolicy(p);
            memory.setExitPolicy(p);
            assertSameLogits(memory, disk, IDS, p.strategy() + " " + p.maxLoops());
        }
    }

    /** The reference allows an empty encoder or decoder; so does loopus' split. */
    @ParameterizedTest @ValueSource(strings = {"0:2", "2:4", "0:4"})
    void anEmptyEncoderOrDecoderIsAccepted(String split) throws IOException {
        ForeignLds f = new ForeignLds(Split.parse(split, 4));
        LdsCheckpoint.Loaded got = LdsCheckpoint.read(f.write(tmp.resolve("foreign"))), want = f.expected();
        assertEquals(want.loop(), got.loop());
        assertSameWeights(want.weights(), got.weights(), null, null);
        assertSameLogits(want.model(CPU), got.model(CPU), IDS, split);
    }

    /** Configs saved before the reference had these keys load with its defaults. */
    @Test void keysTheReferenceAddedLaterTakeItsDefaults() throws IOException {
        ForeignLds f = new ForeignLds(new Split(1, 3, 4));
        for (String key : List.of("q_eval_interval", "halting_strategy", "convergence_epsilon")) f.config.remove(key);
        LdsCheckpoint.Loaded got = LdsCheckpoint.read(f.write(tmp.resolve("old")));
        assertEquals(new LoopusConfig(new Split(1, 3, 4), 3, 0.625, 1, HaltingStrategy.THRESHOLD, 1e-2), got.loop());
    }

    @Test void writtenBackByLoopusItReadsTheSame() throws IOException {
        ForeignLds f = new ForeignLds(new Split(1, 3, 4));
        LdsCheckpoint.Loaded got = LdsCheckpoint.read(f.write(tmp.resolve("foreign")));
        Path again = tmp.resolve("again");
        LdsCheckpoint.write(got, null, null, again);
        LdsCheckpoint.Loaded back = LdsCheckpoint.read(again);
        assertSameConfig(got.base(), back.base());
        assertEquals(got.loop(), back.loop());
        assertEquals(got.origin().baseConfigDict(), back.origin().baseConfigDict());
        assertSameWeights(got.weights(), back.weights(), null, null);
    }
}
