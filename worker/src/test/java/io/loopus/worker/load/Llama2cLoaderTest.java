package io.loopus.worker.load;

import io.loopus.worker.TestData;
import io.loopus.worker.tensor.CpuBackend;
import io.loopus.worker.tokenizer.Llama2cTokenizer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Broken llama2.c inputs are refused with a message naming the file and the problem. */
class Llama2cLoaderTest {
    @TempDir Path tmp;

    private ModelFormatException refused(Path file) {
        ModelFormatException e = assertThrows(ModelFormatException.class, () -> Llama2cLoader.load(file));
        assertTrue(e.getMessage().startsWith(file.toString()), e.getMessage());
        return e;
    }

    @Test
    void readsBothVersionsWithTheSameConfig() {
        var v1 = Llama2cLoader.load(TestData.model());
        var v0 = Llama2cLoader.load(TestData.modelV0());
        assertEquals(1, v1.version());
        assertEquals(0, v0.version());
        assertEquals(64, v1.config().dim());
        assertEquals(4, v1.config().kvHeads());
        assertEquals(v1.config().dim(), v0.config().dim());
        assertEquals(v1.config().vocabSize(), v0.config().vocabSize());
        assertEquals(v1.weights().layers()[4].w2().get(3, 7), v0.weights().layers()[4].w2().get(3, 7));
    }

    @Test
    void truncatedFile() throws IOException {
        byte[] all = Files.readAllBytes(TestData.model());
        Path f = tmp.resolve("truncated.bin");
        Files.write(f, Arrays.copyOf(all, all.length - 100));
        assertTrue(refused(f).getMessage().contains("size mismatch"));
        Files.write(f, Arrays.copyOf(all, 10));
        assertTrue(refused(f).getMessage().contains("truncated"));
    }

    @Test
    void wrongMagicIsReadAsGarbageHeader() throws IOException {
        Path f = tmp.resolve("garbage.bin");
        byte[] junk = new byte[4096];
        new java.util.Random(3).nextBytes(junk);
        Files.write(f, junk);
        assertTrue(refused(f).getMessage().contains("no llama2.c magic"));
    }

    @Test
    void unsupportedVersion() throws IOException {
        byte[] all = Files.readAllBytes(TestData.model());
        ByteBuffer.wrap(all).order(ByteOrder.LITTLE_ENDIAN).putInt(4, 2);
        Path f = tmp.resolve("v2.bin");
        Files.write(f, all);
        assertTrue(refused(f).getMessage().contains("version 2"));
    }

    @Test
    void headerThatDisagreesWithTheSize() throws IOException {
        byte[] all = Files.readAllBytes(TestData.model());
        ByteBuffer.wrap(all).order(ByteOrder.LITTLE_ENDIAN).putInt(8 + 4 * 2, 6); // n_layers 5 -> 6
        Path f = tmp.resolve("layers.bin");
        Files.write(f, all);
        assertTrue(refused(f).getMessage().contains("needs"));
    }

    /** A version-1 header for the given shape (shared classifier), followed by nothing. */
    private static byte[] v1Header(int dim, int hidden, int layers, int heads, int vocab, int seq) {
        ByteBuffer b = ByteBuffer.allocate(256).order(ByteOrder.LITTLE_ENDIAN);
        b.putInt(Llama2cLoader.MAGIC).putInt(1);
        for (int v : new int[] {dim, hidden, layers, heads, heads, vocab, seq}) b.putInt(v);
        b.put((byte) 1);
        return b.array();
    }

    /** A sparse file: the size is there, the disk blocks are not. */
    private Path sparse(String name, byte[] header, long size) throws IOException {
        Path f = tmp.resolve(name);
        try (java.io.RandomAccessFile raf = new java.io.RandomAccessFile(f.toFile(), "rw")) {
            raf.write(header);
            raf.setLength(size);
        }
        return f;
    }

    @Test
    void filesOver2GiBAreCheckedBeforeAnythingIsRead() throws IOException {
        // a 7B shape in a 3 GiB file: the size check names the problem (a whole-file map could not)
        Path f = sparse("big.bin", v1Header(4096, 11008, 32, 32, 32000, 2048), 3L << 30);
        String m = refused(f).getMessage();
        assertTrue(m.contains("size mismatch") && m.contains("but the file has " + (3L << 30) + " (truncated?)"), m);
    }

    @Test
    void aTensorLargerThanAJavaArrayIsRefusedByName() throws IOException {
        int dim = 1024, hidden = 8, vocab = 1 << 22; // embedding of 2^32 floats, in a 16 GiB sparse file
        long floats = (2L * dim + 2L * dim * dim + 2L * dim * dim + 3L * hidden * dim) + dim + (long) vocab * dim;
        Path f = sparse("huge.bin", v1Header(dim, hidden, 1, 8, vocab, 16), 256 + 4 * floats);
        String m = refused(f).getMessage();
        assertTrue(m.contains("larger than a Java array"), m);
    }

    @Test
    void missingFile() {
        assertTrue(refused(tmp.resolve("nope.bin")).getMessage().contains("no such file"));
    }

    @Test
    void tokenizerThatDoesNotMatchTheModel() throws IOException {
        Path shared = TestData.tokenizer(); // outside the lambda: a missing ../shared skips rather than fails
        ModelFormatException e = assertThrows(ModelFormatException.class, () -> Llama2cTokenizer.load(shared, 600));
        assertTrue(e.getMessage().contains("truncated at token 512 of 600"), e.getMessage());
        byte[] tok = Files.readAllBytes(TestData.tokenizer());
        Path f = tmp.resolve("tok.bin");
        Files.write(f, Arrays.copyOf(tok, tok.length - 3));
        e = assertThrows(ModelFormatException.class, () -> Llama2cTokenizer.load(f, 512));
        assertTrue(e.getMessage().startsWith(f.toString()) && e.getMessage().contains("token 511"), e.getMessage());
    }

    @Test
    void modelWithoutTokenizerBesideIt() throws IOException {
        Path f = tmp.resolve("model.bin");
        Files.copy(TestData.model(), f);
        ModelFormatException e = assertThrows(ModelFormatException.class,
                () -> ModelLoader.load(f, null, CpuBackend.INSTANCE));
        assertTrue(e.getMessage().contains("no tokenizer"), e.getMessage());
    }
}
