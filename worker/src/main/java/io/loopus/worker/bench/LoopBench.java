package io.loopus.worker.bench;

import io.loopus.worker.generate.Sampler;
import io.loopus.worker.loop.ExitPolicy;
import io.loopus.worker.loop.KvPolicy;
import io.loopus.worker.loop.LoopusCache;
import io.loopus.worker.loop.LoopusModel;
import io.loopus.worker.model.Batch;
import io.loopus.worker.tensor.Tensor;

import java.util.ArrayList;
import java.util.List;
import java.util.function.Consumer;

/**
 * Decode speed of a LoopUS model at fixed loop counts, under each KV policy: one stream, and many
 * streams decoded together. A round prefills the prompt(s), then times {@code decodeTokens} greedy
 * steps; rounds repeat until the time is up, after one untimed warm-up round.
 */
public final class LoopBench {
    /** One (loops, policy) cell. */
    public record Row(int loops, KvPolicy policy, double singleTokS, double batchedTokS, long kvBytesPerToken) {}

    private final LoopusModel model;
    private final int[] prompt;
    private final int streams;
    private final int decodeTokens;
    private final double seconds;
    private final Consumer<String> progress;
    private final Batch batch = new Batch();
    private final float[] row;

    public LoopBench(LoopusModel model, int[] prompt, int streams, int decodeTokens, double seconds, Consumer<String> progress) {
        if (prompt.length + decodeTokens > model.config().contextLength()) {
            throw new IllegalArgumentException("prompt (" + prompt.length + ") + " + decodeTokens
                    + " decode tokens exceed the context of " + model.config().contextLength());
        }
        this.model = model;
        this.prompt = prompt;
        this.streams = streams;
        this.decodeTokens = decodeTokens;
        this.seconds = seconds;
        this.progress = progress;
        this.row = new float[model.config().vocabSize()];
    }

    public List<Row> run(int[] loopCounts) {
        List<Row> rows = new ArrayList<>();
        ExitPolicy saved = model.exitPolicy();
        KvPolicy savedKv = model.kvPolicy();
        try {
            for (int n : loopCounts) {
                for (KvPolicy kv : KvPolicy.values()) {
                    model.setExitPolicy(ExitPolicy.fixed(n));
                    model.setKvPolicy(kv);
                    progress.accept("N=" + n + " " + kv.key() + ": single stream...");
                    double single = rate(1);
                    progress.accept(String.format("  %.1f tok/s; %d streams...", single, streams));
                    double batched = rate(streams);
                    progress.accept(String.format("  %.1f tok/s", batched));
                    long bytes = model.newCache(1).bytesPerToken();
                    rows.add(new Row(n, kv, single, batched, bytes));
                }
            }
        } finally {
            model.setExitPolicy(saved);
            model.setKvPolicy(savedKv);
        }
        return rows;
    }

    /** Decode tokens per second of {@code count} streams together. */
    private double rate(int count) {
        LoopusCache cache = model.newCache(count * (prompt.length + decodeTokens + 16));
        round(cache, count); // warm-up
        long tokens = 0, nanos = 0;
        while (nanos < seconds * 1e9) {
            nanos += round(cache, count);
            tokens += (long) count * decodeTokens;
        }
        return tokens / (nanos / 1e9);
    }

    /** Prefills, then returns the nanoseconds of decodeTokens greedy steps over every stream. */
    private long round(LoopusCache cache, int count) {
        int[] seqs = new int[count], next = new int[count];
        batch.clear();
        for (int s = 0; s < count; s++) {
            seqs[s] = cache.newSequence();
            batch.addChunk(seqs[s], prompt, 0, prompt.length, 0, false);
        }
        argmaxAll(model.forward(batch, cache), next, count);
        long t0 = System.nanoTime();
        for (int step = 0; step < decodeTokens; step++) {
            batch.clear();
            for (int s = 0; s < count; s++) batch.add(seqs[s], next[s], prompt.length + step, true);
            argmaxAll(model.forward(batch, cache), next, count);
        }
        long elapsed = System.nanoTime() - t0;
        for (int s : seqs) cache.free(s);
        return elapsed;
    }

    private void argmaxAll(Tensor logits, int[] next, int count) {
        for (int s = 0; s < count; s++) {
            model.backend().read(logits, s, row);
            next[s] = Sampler.argmax(row, row.length);
        }
    }
}
