package io.loopus.worker.load;

import io.loopus.worker.model.LlamaModel;
import io.loopus.worker.model.LlamaWeights;
import io.loopus.worker.tensor.CpuBackend;
import io.loopus.worker.tensor.DType;
import io.loopus.worker.tensor.F32Matrix;
import io.loopus.worker.tokenizer.Llama2cTokenizer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Random;
import java.util.Set;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The export on self-made llama2.c files (no shared data needed). */
class HfExportSyntheticTest {
    static final int VOCAB = 300;

    @TempDir Path tmp;

    /** <unk>, <s>, </s> as llama2.c writes them, 256 byte pieces, then ordinary pieces scored -(id - 259). */
    static List<String> pieces(boolean withSpace) {
        List<String> p = new ArrayList<>(List.of("<unk>", "\n<s>\n", "\n</s>\n"));
        for (int b = 0; b < 256; b++) p.add(String.format("<0x%02X>", b));
        Set<String> extra = new LinkedHashSet<>(List.of(" t", "he", " a", "th", " the", "an", "and", " and", "ab", "bc",
                "abc", "ca", "cab", "日本", "é ", "ne", " n", "aa", "aaa", "ee", " é", "ha", "hat", " hat", "na", "nan"));
        for (String ch : List.of(" ", "a", "b", "c", "d", "e", "h", "n", "t", "é", "日", "本")) extra.add(ch);
        if (!withSpace) extra.removeIf(s -> s.contains(" "));
        for (char c = 'f'; extra.size() < VOCAB - p.size(); c++) extra.add(String.valueOf(c));
        p.addAll(extra);
        return p;
    }

    static Path writeTokenizer(Path file, List<String> pieces) throws IOException {
        float[] scores = new float[pieces.size()];
        for (int i = 259; i < scores.length; i++) scores[i] = -(i - 259);
        Llama2cFiles.writeTokenizer(file, pieces, scores);
        return file;
    }

    LoadedModel llama2c(boolean shared, boolean withSpace) throws IOException {
        Path bin = tmp.resolve("model.bin");
        Llama2cFiles.writeCheckpoint(bin, 32, 40, 2, 4, 2, VOCAB, 64, shared, 5);
        Path tok = writeTokenizer(tmp.resolve("tokenizer.bin"), pieces(withSpace));
        return ModelLoader.load(bin, tok, CpuBackend.INSTANCE);
    }

    @Test void anUntiedModelExportsToTheSameLogits() throws IOException {
        LoadedModel l2c = llama2c(false, true);
        Path out = tmp.resolve("out");
        HfExporter.export(l2c, out);
        LoadedModel hf = ModelLoader.load(out, null, CpuBackend.INSTANCE);
        assertFalse(HfConfig.readJson(out.resolve("config.json")).path("tie_word_embeddings").asBoolean(true));
        try (SafetensorsFile st = SafetensorsFile.open(out.resolve("model.safetensors"))) {
            assertArrayEquals(new long[] {VOCAB, 32}, st.entries().get("lm_head.weight").shape());
        }
        int[] ids = {1, 270, 5, 299, 3, 40, 260, 260, 2, 100, 280, 17};
        float[][] a = Llama2cFiles.logits(l2c.model(), ids), b = Llama2cFiles.logits(hf.model(), ids);
        assertTrue(Llama2cFiles.maxAbsDiff(a, b) <= 1e-5, "max |diff| " + Llama2cFiles.maxAbsDiff(a, b));
    }

    /** The in-memory entry writes what the loaded-model one does, and refuses a tied config whose head would be lost. */
    @Test void weightsInMemoryExportLikeTheLoadedModel() throws IOException {
        LoadedModel l2c = llama2c(true, true);
        LlamaModel m = (LlamaModel) l2c.model();
        Path a = tmp.resolve("a"), b = tmp.resolve("b");
        HfExporter.export(l2c, a);
        HfExporter.export(m.config(), m.weights(), l2c.tokenizer(), l2c.tokenizerPath(), b);
        for (String f : List.of("config.json", "generation_config.json", "model.safetensors", "tokenizer.json", "tokenizer_config.json")) {
            assertArrayEquals(Files.readAllBytes(a.resolve(f)), Files.readAllBytes(b.resolve(f)), f);
        }
        LlamaWeights w = m.weights();
        LlamaWeights ownHead = new LlamaWeights(w.embedding(), w.layers(), w.finalNorm(),
                new F32Matrix(VOCAB, 32, ((F32Matrix) w.embedding()).data().clone()));
        Path c = tmp.resolve("c");
        assertThrows(IllegalArgumentException.class,
                () -> HfExporter.export(m.config(), ownHead, l2c.tokenizer(), l2c.tokenizerPath(), c));
        assertFalse(Files.exists(c));
    }

    @Test void theTokenizerJsonEncodesRandomTextLikeTheTokenizerBin() throws IOException {
        LoadedModel l2c = llama2c(true, true);
        Path out = tmp.resolve("out");
        HfExporter.export(l2c, out);
        LoadedModel hf = ModelLoader.load(out, null, CpuBackend.INSTANCE);
        String[] alphabet = {"a", "b", "c", "d", "e", "h", "n", "t", " ", " ", "é", "日", "本", "\n", "x", "Z", "🙂", "\t"};
        Random r = new Random(99);
        Llama2cTokenizer tok = (Llama2cTokenizer) l2c.tokenizer();
        int merged = 0;
        for (int i = 0; i < 3000; i++) {
            StringBuilder sb = new StringBuilder();
            for (int k = r.nextInt(25); k > 0; k--) sb.append(alphabet[r.nextInt(alphabet.length)]);
            String text = sb.toString();
            int[] want = l2c.tokenizer().encode(text, true);
            assertArrayEquals(want, hf.tokenizer().encode(text, true), "\"" + text + "\"");
            assertEquals(text, hf.tokenizer().decode(want), "round trip"); // the dummy prefix is dropped after BOS
            for (int id : want) {
                String piece = new String(tok.piece(id).getBytes(StandardCharsets.ISO_8859_1), StandardCharsets.UTF_8);
                if (id >= 259 && piece.codePointCount(0, piece.length()) > 1) merged++;
            }
        }
        assertTrue(merged > 1000, "the samples should exercise merges; they made " + merged + " merged pieces");
    }

    @Test void longTextsAreEncodedWholeLikeTheTokenizerBin() throws IOException {
        LoadedModel l2c = llama2c(true, true);
        Path out = tmp.resolve("out");
        HfExporter.export(l2c, out);
        LoadedModel hf = ModelLoader.load(out, null, CpuBackend.INSTANCE);
        String[] words = {"the", "an", "and", "hat", "cab", "é", "日本", "nan", "bad", "tea"};
        Random r = new Random(5);
        StringBuilder sb = new StringBuilder();
        while (sb.length() < 4000) sb.append(words[r.nextInt(words.length)]).append(r.nextInt(8) == 0 ? "\n" : " ");
        String text = sb.toString();
        int[] want = l2c.tokenizer().encode(text, true);
        assertTrue(want.length > 600, "the text should be long: " + want.length + " tokens");
        assertArrayEquals(want, hf.tokenizer().encode(text, true)); // not cut at DJL's default of 512
        assertEquals(text, hf.tokenizer().decode(want));
    }

    @Test void idsInAModelsPaddedVocabularyDecodeToNothing() throws IOException {
        LoadedModel l2c = llama2c(true, true);
        Path out = tmp.resolve("out");
        HfExporter.export(l2c, out);
        HfTokenizer hf = HfTokenizer.load(out.resolve("tokenizer.json"), 1);
        assertEquals(VOCAB, hf.vocabSize());
        for (int id : new int[] {VOCAB, VOCAB + 1, 1 << 20}) {
            assertArrayEquals(new byte[0], hf.pieceBytes(5, id), "id " + id);
            assertArrayEquals(new byte[0], hf.pieceBytes(1, id), "id " + id + " after BOS");
        }
        int[] ids = l2c.tokenizer().encode("the hat", true);
        ids = java.util.Arrays.copyOf(ids, ids.length + 1);
        ids[ids.length - 1] = VOCAB + 3;
        assertEquals("the hat", hf.decode(ids));
        assertThrows(IllegalArgumentException.class, () -> hf.pieceBytes(5, -1));
    }

    @Test void refusesANonEmptyOutputAndLeavesNothingBehind() throws IOException {
        LoadedModel l2c = llama2c(true, true);
        Path out = Files.createDirectories(tmp.resolve("taken"));
        Files.writeString(out.resolve("keep.txt"), "mine");
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> HfExporter.export(l2c, out));
        assertTrue(e.getMessage().startsWith(out + ": exists and is not empty"), e.getMessage());
        assertEquals("mine", Files.readString(out.resolve("keep.txt")));
        assertNoTempLeft();
        Path empty = Files.createDirectories(tmp.resolve("empty"));
        HfExporter.export(l2c, empty); // an empty directory is fine
        assertTrue(Files.isRegularFile(empty.resolve("model.safetensors")));
        Path file = Files.writeString(tmp.resolve("a-file"), "x");
        assertThrows(IllegalArgumentException.class, () -> HfExporter.export(l2c, file));
    }

    @Test void aTokenizerWithoutASpacePieceIsRefusedAndNoDirectoryAppears() throws IOException {
        LoadedModel l2c = llama2c(true, false);
        Path out = tmp.resolve("nested/out");
        ModelFormatException e = assertThrows(ModelFormatException.class, () -> HfExporter.export(l2c, out));
        assertEquals(tmp.resolve("tokenizer.bin"), e.file());
        assertTrue(e.getMessage().contains("no \" \" piece"), e.getMessage());
        assertFalse(Files.exists(out));
        assertNoTempLeft();
    }

    @Test void modelsThatAreNotPlainLlamaAreRefused() throws IOException {
        TinyHf.Spec s = new TinyHf.Spec("qwen2", 16, 40, 2, 4, 2, 4, 40, true, 1e6, 1e-6);
        Path dir = TinyHf.write(tmp.resolve("qwen2"), s, TinyHf.randomWeights(s, 1), DType.F32);
        LoadedModel qwen = ModelLoader.load(dir, null, CpuBackend.INSTANCE);
        ModelFormatException e = assertThrows(ModelFormatException.class, () -> HfExporter.export(qwen, tmp.resolve("o")));
        assertEquals(dir, e.file());
        assertTrue(e.getMessage().contains("plain Llama"), e.getMessage());
    }

    private void assertNoTempLeft() throws IOException {
        try (Stream<Path> s = Files.walk(tmp)) {
            List<Path> left = s.filter(p -> p.getFileName().toString().contains(".export-")
                    || p.getFileName().toString().endsWith(".tmp")).toList();
            assertTrue(left.isEmpty(), "left behind: " + left);
        }
    }

    @Test void bytePiecesOutOfPlaceAreRefused() throws IOException {
        List<String> p = pieces(true);
        p.set(3 + 65, "A"); // where <0x41> belongs
        Path tok = writeTokenizer(tmp.resolve("odd.bin"), p);
        Llama2cTokenizer t = Llama2cTokenizer.load(tok, VOCAB);
        ModelFormatException e = assertThrows(ModelFormatException.class, () -> HfTokenizerJson.fromLlama2c(t, tok));
        assertTrue(e.getMessage().contains("token 68") && e.getMessage().contains("<0x41>"), e.getMessage());
    }
}
