package io.loopus.worker.bench;

import io.loopus.worker.io.AtomicFiles;
import io.loopus.worker.io.LittleEndianOutput;
import io.loopus.worker.model.LayerWeights;
import io.loopus.worker.model.LlamaConfig;
import io.loopus.worker.model.LlamaWeights;
import io.loopus.worker.model.RopeConvention;
import io.loopus.worker.tensor.F32Matrix;
import io.loopus.worker.tensor.Matrix;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.SplittableRandom;

/**
 * A seeded random-weight Llama model of any shape, for timing: weights are N(0, 1) * 0.02 and
 * RMSNorm weights 1, so activations stay finite. It can be built in memory or streamed to a
 * llama2.c legacy (version 0) checkpoint that llama2.c's {@code run.c} and {@code Llama2cLoader}
 * read; both give the same values for the same seed, since every tensor of every layer draws
 * from its own generator seeded by (seed, tensor, layer).
 */
public final class RandomModel {
    public static final float SCALE = 0.02f;
    private static final double ROPE_THETA = 10000.0;

    /** Model shape, parsed from {@code dim=768,hidden=2048,layers=12,heads=12,kv-heads=12,vocab=32000,seq=1024}. */
    public record Spec(int dim, int hidden, int layers, int heads, int kvHeads, int vocab, int seq) {
        public Spec {
            if (dim <= 0 || hidden <= 0 || layers <= 0 || heads <= 0 || kvHeads <= 0 || vocab <= 0 || seq <= 0) {
                throw new IllegalArgumentException("random model: every size must be positive: dim=" + dim + ",hidden=" + hidden
                        + ",layers=" + layers + ",heads=" + heads + ",kv-heads=" + kvHeads + ",vocab=" + vocab + ",seq=" + seq);
            }
            if (dim % heads != 0) throw new IllegalArgumentException("random model: dim " + dim + " is not a multiple of heads " + heads);
            if (heads % kvHeads != 0) {
                throw new IllegalArgumentException("random model: heads " + heads + " is not a multiple of kv-heads " + kvHeads);
            }
            if ((dim / heads) % 2 != 0) throw new IllegalArgumentException("random model: head size " + dim / heads + " must be even");
        }

        /** Parses {@code key=value} pairs separated by commas; kv-heads defaults to heads. */
        public static Spec parse(String text) {
            Map<String, Integer> v = new LinkedHashMap<>();
            for (String part : text.split(",")) {
                String p = part.trim();
                if (p.isEmpty()) continue;
                int eq = p.indexOf('=');
                if (eq < 0) throw new IllegalArgumentException("random model: '" + p + "' is not key=value");
                String key = p.substring(0, eq).trim();
                if (!key.matches("dim|hidden|layers|heads|kv-heads|vocab|seq")) {
                    throw new IllegalArgumentException("random model: unknown key '" + key
                            + "' (known: dim, hidden, layers, heads, kv-heads, vocab, seq)");
                }
                try {
                    v.put(key, Integer.parseInt(p.substring(eq + 1).trim()));
                } catch (NumberFormatException e) {
                    throw new IllegalArgumentException("random model: " + key + " must be an integer, got '"
                            + p.substring(eq + 1).trim() + "'");
                }
            }
            for (String key : new String[] {"dim", "hidden", "layers", "heads", "vocab", "seq"}) {
                if (!v.containsKey(key)) throw new IllegalArgumentException("random model: missing " + key + "= in '" + text + "'");
            }
            return new Spec(v.get("dim"), v.get("hidden"), v.get("layers"), v.get("heads"),
                    v.getOrDefault("kv-heads", v.get("heads")), v.get("vocab"), v.get("seq"));
        }

        public int headDim() { return dim / heads; }

        public int kvDim() { return kvHeads * headDim(); }

        public LlamaConfig config() {
            return new LlamaConfig("llama", dim, hidden, layers, heads, kvHeads, headDim(), vocab, seq, 1e-5f,
                    ROPE_THETA, null, RopeConvention.INTERLEAVED, false, false, true, 1, new int[] {2, 1});
        }

        /** Size of the version-0 checkpoint: header, weights (shared classifier), RoPE tables. */
        public long fileBytes() {
            long perLayer = 2L * dim + 2L * dim * dim + 2L * kvDim() * dim + 3L * hidden * dim;
            return 28 + 4 * ((long) vocab * dim + layers * perLayer + dim + (long) seq * headDim());
        }

        @Override public String toString() {
            return "dim=" + dim + ",hidden=" + hidden + ",layers=" + layers + ",heads=" + heads + ",kv-heads=" + kvHeads
                    + ",vocab=" + vocab + ",seq=" + seq;
        }
    }

    /** The random tensors, in llama2.c version-0 file order. */
    private enum Tensor { EMBEDDING, WQ, WK, WV, WO, W1, W2, W3 }

    private RandomModel() {}

    private static SplittableRandom random(long seed, Tensor t, int layer) {
        return new SplittableRandom(seed * 0x9E3779B97F4A7C15L + t.ordinal() * 1_000_003L + layer);
    }

    private static float sample(SplittableRandom r) {
        return (float) r.nextGaussian() * SCALE;
    }

    private static F32Matrix matrix(long seed, Tensor t, int layer, int rows, int cols) {
        SplittableRandom r = random(seed, t, layer);
        float[] data = new float[Math.multiplyExact(rows, cols)];
        for (int i = 0; i < data.length; i++) data[i] = sample(r);
        return new F32Matrix(rows, cols, data);
    }

    private static float[] ones(int n) {
        float[] v = new float[n];
        java.util.Arrays.fill(v, 1f);
        return v;
    }

    /** Builds the model in memory, with the same weights {@link #write} stores for this seed. */
    public static LlamaWeights build(Spec s, long seed) {
        int dim = s.dim(), kv = s.kvDim(), hid = s.hidden();
        Matrix emb = matrix(seed, Tensor.EMBEDDING, 0, s.vocab(), dim);
        LayerWeights[] layers = new LayerWeights[s.layers()];
        for (int l = 0; l < layers.length; l++) {
            layers[l] = new LayerWeights(ones(dim), matrix(seed, Tensor.WQ, l, dim, dim), matrix(seed, Tensor.WK, l, kv, dim),
                    matrix(seed, Tensor.WV, l, kv, dim), matrix(seed, Tensor.WO, l, dim, dim), null, null, null, null, null,
                    ones(dim), matrix(seed, Tensor.W1, l, hid, dim), matrix(seed, Tensor.W2, l, dim, hid),
                    matrix(seed, Tensor.W3, l, hid, dim));
        }
        return new LlamaWeights(emb, layers, ones(dim), emb);
    }

    /**
     * Streams the model to {@code file} as a llama2.c version-0 checkpoint (shared classifier),
     * through a temporary file beside it that is renamed into place when complete.
     */
    public static void write(Spec s, long seed, Path file) throws IOException {
        AtomicFiles.writeFile(file, tmp -> {
            try (FileChannel ch = FileChannel.open(tmp, StandardOpenOption.WRITE, StandardOpenOption.CREATE_NEW);
                 LittleEndianOutput out = new LittleEndianOutput(ch)) {
                for (int h : new int[] {s.dim(), s.hidden(), s.layers(), s.heads(), s.kvHeads(), s.vocab(), s.seq()}) {
                    out.putInt(h);
                }
                int dim = s.dim(), kv = s.kvDim(), hid = s.hidden(), L = s.layers();
                gaussian(out, seed, Tensor.EMBEDDING, 0, (long) s.vocab() * dim);
                for (int l = 0; l < L; l++) constant(out, 1f, dim); // attention RMSNorm
                for (int l = 0; l < L; l++) gaussian(out, seed, Tensor.WQ, l, (long) dim * dim);
                for (int l = 0; l < L; l++) gaussian(out, seed, Tensor.WK, l, (long) kv * dim);
                for (int l = 0; l < L; l++) gaussian(out, seed, Tensor.WV, l, (long) kv * dim);
                for (int l = 0; l < L; l++) gaussian(out, seed, Tensor.WO, l, (long) dim * dim);
                for (int l = 0; l < L; l++) constant(out, 1f, dim); // FFN RMSNorm
                for (int l = 0; l < L; l++) gaussian(out, seed, Tensor.W1, l, (long) hid * dim);
                for (int l = 0; l < L; l++) gaussian(out, seed, Tensor.W2, l, (long) dim * hid);
                for (int l = 0; l < L; l++) gaussian(out, seed, Tensor.W3, l, (long) hid * dim);
                constant(out, 1f, dim); // final RMSNorm
                int half = s.headDim() / 2;
                for (int cos = 1; cos >= 0; cos--) { // freq_cis_real, then freq_cis_imag
                    for (int p = 0; p < s.seq(); p++) {
                        for (int i = 0; i < half; i++) {
                            double angle = p * Math.pow(ROPE_THETA, -(2.0 * i) / s.headDim());
                            out.putFloat((float) (cos == 1 ? Math.cos(angle) : Math.sin(angle)));
                        }
                    }
                }
            }
            if (Files.size(tmp) != s.fileBytes()) {
                throw new IllegalStateException("wrote " + Files.size(tmp) + " bytes, expected " + s.fileBytes());
            }
        });
    }

    private static void gaussian(LittleEndianOutput out, long seed, Tensor t, int layer, long count) throws IOException {
        SplittableRandom r = random(seed, t, layer);
        for (long i = 0; i < count; i++) out.putFloat(sample(r));
    }

    private static void constant(LittleEndianOutput out, float v, long count) throws IOException {
        for (long i = 0; i < count; i++) out.putFloat(v);
    }
}
