package io.loopus.worker.load;

import io.loopus.worker.tensor.CpuBackend;
import io.loopus.worker.tensor.DType;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Which tokenizer goes with a model, that it is loaded before the weights, and loading without one. */
class ModelLoaderTest {
    static final int VOCAB = HfExportSyntheticTest.VOCAB;

    @TempDir Path tmp;

    private Path model() throws IOException {
        Path bin = tmp.resolve("model.bin");
        Llama2cFiles.writeCheckpoint(bin, 32, 40, 2, 4, 2, VOCAB, 64, true, 5);
        return bin;
    }

    /** A tokenizer.bin that matches the model. */
    private Path tokenizer(String name) throws IOException {
        return HfExportSyntheticTest.writeTokenizer(tmp.resolve(name), HfExportSyntheticTest.pieces(true));
    }

    private Path tokenizerFound(Path model) {
        return ModelLoader.load(model, null, CpuBackend.INSTANCE).tokenizerPath();
    }

    @Test void besideALlama2cModelTokenizerBinComesFirstThenTokVocabThenTheOnlyTokBin() throws IOException {
        Path bin = model();
        Path only = tokenizer("tok7.bin");
        assertEquals(only, tokenizerFound(bin)); // the only tok*.bin
        Path matching = tokenizer("tok" + VOCAB + ".bin");
        assertEquals(matching, tokenizerFound(bin)); // tok<vocab_size>.bin among several
        Path standard = tokenizer("tokenizer.bin");
        assertEquals(standard, tokenizerFound(bin));
    }

    @Test void severalTokBinsNoneNamedForTheVocabularyAreAnError() throws IOException {
        Path bin = model();
        tokenizer("tok7.bin");
        tokenizer("tok512.bin");
        ModelFormatException e = assertThrows(ModelFormatException.class, () -> ModelLoader.load(bin, null, CpuBackend.INSTANCE));
        assertEquals(bin, e.file());
        assertTrue(e.getMessage().contains("no tokenizer") && e.getMessage().contains("tok512.bin, tok7.bin"), e.getMessage());
    }

    @Test void theTokenizerIsLoadedBeforeTheWeights() throws IOException {
        TinyHf.Spec spec = TinyHf.Spec.llama(true);
        Path dir = TinyHf.write(tmp.resolve("hf"), spec, TinyHf.randomWeights(spec, 1), DType.F32);
        Files.writeString(dir.resolve("model.safetensors"), "not weights");
        Files.writeString(dir.resolve("tokenizer.json"), "{\"model\": ");
        // both are broken: the tokenizer is reported
        HfBrokenInputTest.assertRefused(dir, dir.resolve("tokenizer.json"), "not valid JSON");
        Files.delete(dir.resolve("tokenizer.json"));
        HfBrokenInputTest.assertRefused(dir, dir, "no tokenizer");
    }

    @Test void aModelLoadsWithoutATokenizerWhenNoneIsRequired() throws IOException {
        Path bin = model();
        LoadedModel m = ModelLoader.loadWithOptionalTokenizer(bin, null, CpuBackend.INSTANCE);
        assertNull(m.tokenizer());
        assertNull(m.tokenizerPath());
        assertEquals(VOCAB, m.model().config().vocabSize());
        assertEquals("llama2.c v1", m.format());
        Path tok = tokenizer("tokenizer.bin");
        LoadedModel with = ModelLoader.loadWithOptionalTokenizer(bin, null, CpuBackend.INSTANCE);
        assertEquals(tok, with.tokenizerPath());
        assertNotNull(with.tokenizer());
        // a tokenizer given but broken is still an error
        Path broken = Files.writeString(tmp.resolve("broken.bin"), "xx");
        assertThrows(ModelFormatException.class, () -> ModelLoader.loadWithOptionalTokenizer(bin, broken, CpuBackend.INSTANCE));

        TinyHf.Spec spec = TinyHf.Spec.llama(false);
        Path dir = TinyHf.write(tmp.resolve("hf"), spec, TinyHf.randomWeights(spec, 1), DType.F32);
        Files.delete(dir.resolve("tokenizer.json"));
        LoadedModel hf = ModelLoader.loadWithOptionalTokenizer(dir, null, CpuBackend.INSTANCE);
        assertNull(hf.tokenizer());
        assertEquals(List.of(spec.dim(), spec.vocab()), List.of(hf.model().config().dim(), hf.model().config().vocabSize()));
    }
}
