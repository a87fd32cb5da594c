package io.loopus.worker.load;

import io.loopus.worker.model.Batch;
import io.loopus.worker.model.CausalModel;
import io.loopus.worker.model.PagedKvCache;
import io.loopus.worker.model.SequenceCache;
import io.loopus.worker.tensor.Tensor;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Random;

/** Writes small llama2.c checkpoints and tokenizer.bin files for tests, and runs models. */
final class Llama2cFiles {
    private Llama2cFiles() {}

    /** A version-1 checkpoint with random weights; the classifier is stored only when not shared. */
    static void writeCheckpoint(Path file, int dim, int hidden, int layers, int heads, int kvHeads, int vocab,
                                int seqLen, boolean shared, long seed) throws IOException {
        int kvDim = kvHeads * (dim / heads);
        long floats = layers * (2L * dim + 2L * dim * dim + 2L * kvDim * dim + 3L * hidden * dim) + dim
                + (long) vocab * dim * (shared ? 1 : 2);
        ByteBuffer b = ByteBuffer.allocate(256 + 4 * (int) floats).order(ByteOrder.LITTLE_ENDIAN);
        b.putInt(0x616b3432).putInt(1);
        for (int v : new int[] {dim, hidden, layers, heads, kvHeads, vocab, seqLen}) b.putInt(v);
        b.put((byte) (shared ? 1 : 0));
        b.position(256);
        Random r = new Random(seed);
        for (int i = 0; i < 2 * layers * dim + dim; i++) b.putFloat(1f + 0.2f * (float) r.nextGaussian()); // norms
        while (b.hasRemaining()) b.putFloat(0.3f * (float) r.nextGaussian());
        Files.write(file, b.array());
    }

    /** A tokenizer.bin: max_token_length, then (score, length, bytes) per piece. */
    static void writeTokenizer(Path file, List<String> pieces, float[] scores) throws IOException {
        int max = 0, bytes = 4;
        for (String p : pieces) {
            int n = p.getBytes(StandardCharsets.UTF_8).length;
            max = Math.max(max, n);
            bytes += 8 + n;
        }
        ByteBuffer b = ByteBuffer.allocate(bytes).order(ByteOrder.LITTLE_ENDIAN).putInt(max);
        for (int i = 0; i < pieces.size(); i++) {
            byte[] p = pieces.get(i).getBytes(StandardCharsets.UTF_8);
            b.putFloat(scores[i]).putInt(p.length).put(p);
        }
        Files.write(file, b.array());
    }

    /** The logits of every position of one sequence, in one forward pass. */
    static float[][] logits(CausalModel m, int[] ids) {
        SequenceCache cache = m.newCache(ids.length + PagedKvCache.DEFAULT_BLOCK_SIZE);
        int seq = cache.newSequence();
        Batch batch = new Batch();
        batch.addChunk(seq, ids, 0, ids.length, 0, true);
        Tensor t = m.forward(batch, cache);
        float[][] out = new float[ids.length][m.config().vocabSize()];
        for (int i = 0; i < ids.length; i++) m.backend().read(t, i, out[i]);
        return out;
    }

    static double maxAbsDiff(float[][] a, float[][] b) {
        double max = 0;
        for (int i = 0; i < a.length; i++) {
            for (int j = 0; j < a[i].length; j++) max = Math.max(max, Math.abs(a[i][j] - b[i][j]));
        }
        return max;
    }
}
