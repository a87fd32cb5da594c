package io.loopus.worker.load;

import io.loopus.worker.model.LayerWeights;
import io.loopus.worker.model.LlamaConfig;
import io.loopus.worker.model.LlamaWeights;
import io.loopus.worker.model.RopeConvention;
import io.loopus.worker.tensor.F32Matrix;
import io.loopus.worker.tensor.Matrix;

import java.io.EOFException;
import java.io.IOException;
import java.nio.ByteOrder;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

/**
 * Reads llama2.c checkpoints: version 1 ("ak42" magic, 256-byte header, fp32) and the legacy
 * headerless version 0 (28-byte header, RoPE tables stored and ignored).
 */
public final class Llama2cLoader {
    static final int MAGIC = 0x616b3432;
    private static final int V1_HEADER = 256;
    private static final int V0_HEADER = 28;

    private Llama2cLoader() {}

    /** A loaded checkpoint: its shape and weights. */
    public record Checkpoint(LlamaConfig config, LlamaWeights weights, int version) {}

    /** A checked header: the model's shape, the export version, and where the weights start. */
    private record Header(LlamaConfig config, int version, int bytes) {}

    /** The model's shape from the header, after every header and size check; no weight is read. */
    public static LlamaConfig config(Path file) {
        return read(file, ch -> header(file, ch).config());
    }

    public static Checkpoint load(Path file) {
        return read(file, ch -> {
            Header h = header(file, ch);
            // The size matches the header: only now are the weights read, sequentially, tensor by tensor.
            Floats f = new Floats(ch.position(h.bytes()));
            LlamaConfig c = h.config();
            boolean shared = c.tiedEmbeddings();
            return new Checkpoint(c, h.version() == 1 ? readV1(f, c, shared) : readV0(f, c, shared), h.version());
        });
    }

    private interface Reading<T> {
        T from(FileChannel ch) throws IOException;
    }

    private static <T> T read(Path file, Reading<T> reading) {
        if (!Files.isRegularFile(file)) throw new ModelFormatException(file, "no such file");
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
            return reading.from(ch);
        } catch (EOFException e) {
            throw new ModelFormatException(file, "truncated while reading (did the file change?)", e);
        } catch (IOException e) {
            throw new ModelFormatException(file, "cannot read: " + e.getMessage(), e);
        }
    }

    private static Header header(Path file, FileChannel ch) throws IOException {
        long size = ch.size();
        if (size < V0_HEADER) throw new ModelFormatException(file, "truncated: " + size + " bytes is shorter than any llama2.c header");
        ByteBuffer buf = ByteBuffer.allocate((int) Math.min(size, V1_HEADER)).order(ByteOrder.LITTLE_ENDIAN);
        while (buf.hasRemaining() && ch.read(buf, buf.position()) >= 0) { /* fills the header */ }
        if (buf.hasRemaining()) throw new ModelFormatException(file, "truncated while reading the header");
        int first = buf.getInt(0);
        int version;
        int headerBytes;
        int[] h = new int[7];
        boolean shared;
        if (first == MAGIC) {
            version = buf.getInt(4);
            if (version != 1) {
                throw new ModelFormatException(file, "llama2.c export version " + version
                        + " is not supported (only fp32 version 1 and the legacy version 0)");
            }
            if (size < V1_HEADER) throw new ModelFormatException(file, "truncated: header needs 256 bytes, file has " + size);
            for (int i = 0; i < 7; i++) h[i] = buf.getInt(8 + 4 * i);
            shared = buf.get(36) != 0;
            headerBytes = V1_HEADER;
        } else {
            version = 0;
            for (int i = 0; i < 7; i++) h[i] = buf.getInt(4 * i);
            shared = h[5] > 0;
            h[5] = Math.abs(h[5]);
            headerBytes = V0_HEADER;
        }
        int dim = h[0], hidden = h[1], layers = h[2], heads = h[3], kvHeads = h[4], vocab = h[5], seqLen = h[6];
        if (dim <= 0 || hidden <= 0 || layers <= 0 || heads <= 0 || kvHeads <= 0 || vocab <= 0 || seqLen <= 0
                || dim % heads != 0 || heads % kvHeads != 0 || dim > 1 << 16 || hidden > 1 << 18 || layers > 1024
                || vocab > 1 << 22 || seqLen > 1 << 22) {
            throw new ModelFormatException(file, (first == MAGIC ? "" : "no llama2.c magic and ")
                    + "the header does not describe a model (dim=" + dim + " hidden_dim=" + hidden + " n_layers="
                    + layers + " n_heads=" + heads + " n_kv_heads=" + kvHeads + " vocab_size=" + vocab
                    + " seq_len=" + seqLen + ")");
        }
        int headDim = dim / heads;
        int kvDim = kvHeads * headDim;
        long perLayer = 2L * dim + (long) dim * dim * 2 + 2L * kvDim * dim + 3L * hidden * dim;
        long floats = perLayer * layers + dim + (long) vocab * dim + (shared ? 0 : (long) vocab * dim)
                + (version == 0 ? (long) seqLen * headDim : 0);
        long expected = headerBytes + 4 * floats;
        if (size != expected) {
            throw new ModelFormatException(file, "size mismatch: the header (version " + version + ", dim=" + dim
                    + ", n_layers=" + layers + ", vocab_size=" + vocab + ", shared_classifier=" + shared
                    + ") needs " + expected + " bytes but the file has " + size
                    + (size < expected ? " (truncated?)" : ""));
        }
        long largest = Math.max((long) vocab * dim, Math.max((long) dim * dim, (long) hidden * dim));
        if (largest > Integer.MAX_VALUE - 8) {
            throw new ModelFormatException(file, "a tensor of " + largest + " values is larger than a Java array can hold");
        }
        LlamaConfig config = new LlamaConfig("llama", dim, hidden, layers, heads, kvHeads, headDim, vocab, seqLen,
                1e-5f, 10000.0, null, RopeConvention.INTERLEAVED, false, false, shared, 1, new int[] {2, 1});
        return new Header(config, version, headerBytes);
    }

    private static LlamaWeights readV1(Floats f, LlamaConfig c, boolean shared) throws IOException {
        int L = c.layers(), dim = c.dim(), kv = c.kvDim(), hid = c.hiddenDim();
        float[][] attnNorm = vectors(f, L, dim), ffnNorm = vectors(f, L, dim);
        float[] finalNorm = vector(f, dim);
        Matrix emb = matrix(f, c.vocabSize(), dim);
        Matrix[] wq = matrices(f, L, dim, dim), wk = matrices(f, L, kv, dim), wv = matrices(f, L, kv, dim);
        Matrix[] wo = matrices(f, L, dim, dim), w1 = matrices(f, L, hid, dim), w2 = matrices(f, L, dim, hid);
        Matrix[] w3 = matrices(f, L, hid, dim);
        Matrix head = shared ? emb : matrix(f, c.vocabSize(), dim);
        return assemble(attnNorm, wq, wk, wv, wo, ffnNorm, w1, w2, w3, emb, finalNorm, head);
    }

    private static LlamaWeights readV0(Floats f, LlamaConfig c, boolean shared) throws IOException {
        int L = c.layers(), dim = c.dim(), kv = c.kvDim(), hid = c.hiddenDim();
        Matrix emb = matrix(f, c.vocabSize(), dim);
        float[][] attnNorm = vectors(f, L, dim);
        Matrix[] wq = matrices(f, L, dim, dim), wk = matrices(f, L, kv, dim), wv = matrices(f, L, kv, dim);
        Matrix[] wo = matrices(f, L, dim, dim);
        float[][] ffnNorm = vectors(f, L, dim);
        Matrix[] w1 = matrices(f, L, hid, dim), w2 = matrices(f, L, dim, hid), w3 = matrices(f, L, hid, dim);
        float[] finalNorm = vector(f, dim);
        f.skip((long) c.contextLength() * c.headDim()); // freq_cis_real and _imag: recomputed instead
        Matrix head = shared ? emb : matrix(f, c.vocabSize(), dim);
        return assemble(attnNorm, wq, wk, wv, wo, ffnNorm, w1, w2, w3, emb, finalNorm, head);
    }

    private static LlamaWeights assemble(float[][] attnNorm, Matrix[] wq, Matrix[] wk, Matrix[] wv, Matrix[] wo,
                                         float[][] ffnNorm, Matrix[] w1, Matrix[] w2, Matrix[] w3, Matrix emb,
                                         float[] finalNorm, Matrix head) {
        LayerWeights[] layers = new LayerWeights[wq.length];
        for (int l = 0; l < layers.length; l++) {
            layers[l] = new LayerWeights(attnNorm[l], wq[l], wk[l], wv[l], wo[l], null, null, null, null, null,
                    ffnNorm[l], w1[l], w2[l], w3[l]);
        }
        return new LlamaWeights(emb, layers, finalNorm, head);
    }

    private static float[] vector(Floats f, int n) throws IOException {
        return f.read(n);
    }

    private static float[][] vectors(Floats f, int count, int n) throws IOException {
        float[][] v = new float[count][];
        for (int i = 0; i < count; i++) v[i] = vector(f, n);
        return v;
    }

    private static Matrix matrix(Floats f, int rows, int cols) throws IOException {
        return new F32Matrix(rows, cols, vector(f, Math.multiplyExact(rows, cols)));
    }

    private static Matrix[] matrices(Floats f, int count, int rows, int cols) throws IOException {
        Matrix[] m = new Matrix[count];
        for (int i = 0; i < count; i++) m[i] = matrix(f, rows, cols);
        return m;
    }

    /** Little-endian floats read in order from a channel through one 1 MiB buffer. */
    private static final class Floats {
        private final FileChannel ch;
        private final ByteBuffer buf = ByteBuffer.allocateDirect(1 << 20).order(ByteOrder.LITTLE_ENDIAN);

        Floats(FileChannel ch) {
            this.ch = ch;
            buf.limit(0);
        }

        float[] read(int n) throws IOException {
            float[] out = new float[n];
            for (int done = 0; done < n; ) {
                if (buf.remaining() < Float.BYTES) refill();
                int k = Math.min(n - done, buf.remaining() / Float.BYTES);
                buf.asFloatBuffer().get(out, done, k);
                buf.position(buf.position() + k * Float.BYTES);
                done += k;
            }
            return out;
        }

        void skip(long n) throws IOException {
            long bytes = n * Float.BYTES;
            if (bytes <= buf.remaining()) {
                buf.position(buf.position() + (int) bytes);
            } else {
                ch.position(ch.position() + bytes - buf.remaining());
                buf.limit(0);
            }
        }

        private void refill() throws IOException {
            buf.compact();
            while (buf.position() < Float.BYTES) {
                if (ch.read(buf) < 0) throw new EOFException();
            }
            buf.flip();
        }
    }
}
