package io.loopus.trainer.grad;

import io.loopus.worker.load.HfExporter;
import io.loopus.worker.load.Llama2cLoader;
import io.loopus.worker.load.LoadedModel;
import io.loopus.worker.load.ModelLoader;
import io.loopus.worker.loop.Split;
import io.loopus.worker.model.LlamaModel;
import io.loopus.worker.tensor.CpuBackend;
import io.loopus.worker.tensor.F32Matrix;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The control run's model built from stories260K and trainable params, in memory and exported to Hugging Face. */
class PlainModelTest {
    static final Split SPLIT = new Split(1, 4, 5);

    @TempDir Path tmp;

    /** Untouched params give back the base model, bit for bit: every layer is in its place. */
    @Test void untrainedParamsAreTheBaseModel() {
        Llama2cLoader.Checkpoint m = Stories.model();
        PlainModel plain = PlainModel.of(m.config(), m.weights(), Stories.params(m, SPLIT), SPLIT);
        int[] ids = Stories.tokenizer().encode("Lily and Ben went to the park to play.", true);
        assertArrayEquals(Stories.logits(m.config(), m.weights(), ids), Stories.logits(plain.config(), plain.weights(), ids));
        assertSame(m.weights().layers()[0], plain.weights().layers()[0], "the frozen encoder is shared");
        assertSame(m.weights().embedding(), plain.weights().embedding());
    }

    /** Trained params (here: perturbed) survive the export: the loaded directory computes the in-memory model's logits. */
    @Test void exportsAndLoadsBackWithTheSameLogits() {
        Llama2cLoader.Checkpoint m = Stories.model();
        TrainableParams p = Stories.params(m, SPLIT);
        Random r = new Random(5);
        for (float[] x : p.tensors().values()) for (int i = 0; i < x.length; i++) x[i] += (float) (0.02 * r.nextGaussian());
        PlainModel plain = PlainModel.of(m.config(), m.weights(), p, SPLIT);
        float before = p.decoder()[0].w2()[0];
        p.decoder()[0].w2()[0] += 1; // a snapshot: training on does not change it
        assertEquals(before, ((F32Matrix) plain.weights().layers()[4].w2()).data()[0]);
        assertNotSame(p.lmHead(), ((F32Matrix) plain.weights().lmHead()).data());

        Path out = tmp.resolve("control");
        HfExporter.export(plain.config(), plain.weights(), Stories.tokenizer(), Stories.tokenizerPath(), out);
        LoadedModel loaded = ModelLoader.load(out, null, CpuBackend.INSTANCE);
        assertTrue(loaded.format().startsWith("huggingface"), loaded.format());
        assertFalse(loaded.model().config().tiedEmbeddings());
        LlamaModel back = (LlamaModel) loaded.model();

        int[] ids = loaded.tokenizer().encode("Once upon a time, there was a little girl named Lily. She loved to play.", true);
        float[] expected = Stories.logits(plain.config(), plain.weights(), ids);
        float[] actual = Stories.logits(back.config(), back.weights(), ids);
        float[] base = Stories.logits(m.config(), m.weights(), ids);
        double maxDiff = 0, moved = 0;
        for (int i = 0; i < expected.length; i++) {
            maxDiff = Math.max(maxDiff, Math.abs(expected[i] - actual[i]));
            moved = Math.max(moved, Math.abs(expected[i] - base[i]));
        }
        assertTrue(maxDiff <= 1e-5, "max |diff| " + maxDiff);
        assertTrue(moved > 0.1, "the perturbation reaches the logits: max |change| " + moved);
    }

    @Test void paramsOfAnotherSplitAreRefused() {
        Llama2cLoader.Checkpoint m = Stories.model();
        TrainableParams p = Stories.params(m, SPLIT);
        assertThrows(IllegalArgumentException.class, () -> PlainModel.of(m.config(), m.weights(), p, new Split(2, 4, 5)));
    }
}
