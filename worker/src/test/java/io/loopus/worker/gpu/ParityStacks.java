package io.loopus.worker.gpu;

import io.loopus.worker.generate.Sampler;
import io.loopus.worker.loop.ExitPolicy;
import io.loopus.worker.loop.HaltingStrategy;
import io.loopus.worker.loop.LoopusCache;
import io.loopus.worker.loop.LoopusModel;
import io.loopus.worker.loop.Split;
import io.loopus.worker.model.Batch;
import io.loopus.worker.model.CausalModel;
import io.loopus.worker.model.LlamaConfig;
import io.loopus.worker.model.LlamaModel;
import io.loopus.worker.model.LlamaWeights;
import io.loopus.worker.model.RopeConvention;
import io.loopus.worker.model.SequenceCache;
import io.loopus.worker.stage.DecoderBlock;
import io.loopus.worker.stage.EncodeChunk;
import io.loopus.worker.stage.EncoderBlock;
import io.loopus.worker.stage.Hidden;
import io.loopus.worker.stage.LoopBlock;
import io.loopus.worker.stage.Logits;
import io.loopus.worker.stage.Looped;
import io.loopus.worker.stage.StagePlan;
import io.loopus.worker.tensor.Backend;
import io.loopus.worker.tensor.CpuBackend;
import io.loopus.worker.tensor.DType;
import io.loopus.worker.tensor.Tensor;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Function;

/**
 * Whole models and stages on a CUDA device against the CPU backend: prompts of several sequences
 * in one step (logits for every row), then greedy decode steps of all of them together (the CPU's
 * tokens fed to both, so a near-tie never sends the two down different paths).
 */
public final class ParityStacks {
    private static final int DECODE_STEPS = 6;
    private final Backend gpu;
    private final String products;
    private final boolean cublas;
    private final List<ParityCheck> checks = new ArrayList<>();

    public ParityStacks(CudaBackend gpu) {
        this(gpu, gpu.products());
    }

    /**
     * @param device   the backend under test (any backend: the harness itself is tested with a CPU device)
     * @param products how it multiplies ("cuBLAS" selects the F16/BF16 bounds of rounded activations)
     */
    public ParityStacks(Backend device, String products) {
        this.gpu = device;
        this.products = products;
        this.cublas = products.equals("cuBLAS");
    }

    /** Random models: F32 in both RoPE pairings, Qwen-style extras, F16 and BF16 weights; a LoopUS model and its stages. */
    public List<ParityCheck> random() {
        model("llama F32 interleaved", ParityModels.config(3, RopeConvention.INTERLEAVED, false), DType.F32);
        model("llama F32 rotate-half", ParityModels.config(3, RopeConvention.HALF, false), DType.F32);
        model("qwen3-style F32 (q/k/v bias, q/k norm)", ParityModels.config(2, RopeConvention.HALF, true), DType.F32);
        model("llama F16", ParityModels.config(3, RopeConvention.HALF, false), DType.F16);
        model("llama BF16", ParityModels.config(3, RopeConvention.HALF, false), DType.BF16);
        LlamaConfig c = ParityModels.config(5, RopeConvention.INTERLEAVED, false);
        LlamaWeights w = ParityModels.weights(c, DType.F32, 7);
        looped("random", c, w, new Split(1, 4, 5));
        return checks;
    }

    /** A real model (stories260K): the base, a LoopUS model over it (split 1:4, N = 4) and its stages. */
    public List<ParityCheck> real(String name, LlamaConfig c, LlamaWeights w, Split split) {
        compare(name + " base model", b -> new LlamaModel(c, w, b), ParityBounds.F32, prompts(c));
        looped(name, c, w, split);
        return checks;
    }

    private void model(String name, LlamaConfig c, DType dtype) {
        LlamaWeights w = ParityModels.weights(c, dtype, 3);
        compare(tag(name), b -> new LlamaModel(c, w, b), ParityBounds.stack(dtype, cublas), prompts(c));
    }

    private String tag(String name) { return name + " [" + products + "]"; }

    private void looped(String name, LlamaConfig c, LlamaWeights w, Split split) {
        double tau = medianQ(c, w, split);
        ExitPolicy exit = new ExitPolicy(HaltingStrategy.THRESHOLD, 4, 1, tau, 1, 1e-2);
        compare(tag(name + " LoopUS, threshold exits at tau " + String.format("%.3f", tau)),
                b -> ParityModels.looped(c, w, split, exit, b), ParityBounds.F32, prompts(c));
        stages(name, c, w, split, exit);
    }

    private static List<int[]> prompts(LlamaConfig c) {
        int v = c.vocabSize();
        return List.of(new int[] {1, 5 % v, 77 % v, 300 % v, 12, 9, 41}, new int[] {1, 200 % v, 3},
                new int[] {1, 17, 18, 19, 20, 21, 22, 23, 24, 25, 26, 27, 28, 29, 30, 31, 32, 33, 34, 35});
    }

    /** tau at the median q of a CPU run, so exits spread over depths (and the KV fill-forward runs). */
    private static double medianQ(LlamaConfig c, LlamaWeights w, Split split) {
        LoopusModel probe = ParityModels.looped(c, w, split, new ExitPolicy(HaltingStrategy.THRESHOLD, 4, 1, 1.0, 1, 1e-2),
                CpuBackend.INSTANCE);
        LoopusCache cache = probe.newCache(256);
        Batch batch = new Batch();
        List<Float> qs = new ArrayList<>();
        for (int[] p : prompts(c)) {
            int seq = cache.newSequence();
            batch.clear();
            batch.addChunk(seq, p, 0, p.length, 0, false);
            probe.forward(batch, cache);
            for (float q : probe.trace(0).q()) if (!Float.isNaN(q)) qs.add(q);
        }
        qs.sort(null);
        return qs.get(qs.size() / 2);
    }

    /**
     * Runs the same steps on the CPU and on the GPU; error: the largest over every step's logits.
     * For a LoopUS model the exit depths must also agree.
     */
    private void compare(String name, Function<Backend, CausalModel> make, double bound, List<int[]> prompts) {
        Run cpu = new Run(make.apply(CpuBackend.INSTANCE)), gpuRun = new Run(make.apply(gpu));
        double error = Math.max(0, ParityCheck.error(gpuRun.prefill(prompts), cpu.prefill(prompts)));
        int[] next = cpu.greedy();
        int mismatched = 0;
        for (int step = 0; step < DECODE_STEPS; step++) {
            float[] want = cpu.decode(next), got = gpuRun.decode(next);
            error = Math.max(error, ParityCheck.error(got, want));
            mismatched += cpu.depthsDiffer(gpuRun);
            next = cpu.greedy();
        }
        if (!Double.isFinite(error)) error = Double.NaN;
        checks.add(new ParityCheck(name + ": logits over " + (DECODE_STEPS + 1) + " steps", error, bound));
        if (cpu.model instanceof LoopusModel) checks.add(new ParityCheck(name + ": exit depths that differ", mismatched, 0));
    }

    /** One backend's side of a comparison. */
    private static final class Run {
        final CausalModel model;
        final SequenceCache cache;
        final Batch batch = new Batch();
        final List<Integer> seqs = new ArrayList<>();
        final List<Integer> length = new ArrayList<>();
        float[] logits;
        int[] depths = new int[0];

        Run(CausalModel model) {
            this.model = model;
            this.cache = model.newCache(1024);
        }

        float[] prefill(List<int[]> prompts) {
            batch.clear();
            for (int[] p : prompts) {
                int seq = cache.newSequence();
                seqs.add(seq);
                length.add(p.length);
                batch.addChunk(seq, p, 0, p.length, 0, false);
            }
            return step();
        }

        float[] decode(int[] tokens) {
            batch.clear();
            for (int i = 0; i < seqs.size(); i++) {
                batch.add(seqs.get(i), tokens[i], length.get(i), true);
                length.set(i, length.get(i) + 1);
            }
            return step();
        }

        private float[] step() {
            Tensor out = model.forward(batch, cache);
            int rows = batch.logitRows(), vocab = model.config().vocabSize();
            logits = new float[rows * vocab];
            model.backend().readRows(out, 0, rows, logits, 0);
            depths = new int[rows];
            if (model instanceof LoopusModel l) for (int r = 0; r < rows; r++) depths[r] = l.exitDepth(r);
            return logits;
        }

        int[] greedy() {
            int vocab = model.config().vocabSize();
            int[] next = new int[seqs.size()];
            float[] row = new float[vocab];
            for (int i = 0; i < next.length; i++) {
                System.arraycopy(logits, i * vocab, row, 0, vocab);
                next[i] = Sampler.argmax(row, vocab);
            }
            return next;
        }

        int depthsDiffer(Run other) {
            int d = 0;
            for (int i = 0; i < depths.length; i++) if (depths[i] != other.depths[i]) d++;
            return d;
        }
    }

    /**
     * The three stage blocks of a LoopUS model, all on the GPU (stage placement on one device),
     * against all three on the CPU: prompts of three sequences, then decode tokens.
     */
    private void stages(String name, LlamaConfig c, LlamaWeights w, Split split, ExitPolicy exit) {
        StagePlan plan = StagePlan.of(ParityModels.looped(c, w, split, exit, CpuBackend.INSTANCE));
        Staged cpu = new Staged(plan, CpuBackend.INSTANCE), onGpu = new Staged(plan, gpu);
        List<int[]> prompts = prompts(c);
        double error = 0;
        int mismatched = 0;
        List<EncodeChunk> chunks = new ArrayList<>();
        for (int s = 0; s < prompts.size(); s++) chunks.add(new EncodeChunk(s, 0, prompts.get(s), true, false, exit));
        int[] length = new int[prompts.size()];
        for (int step = 0; step <= DECODE_STEPS; step++) {
            Map<Long, Logits> want = cpu.run(chunks), got = onGpu.run(chunks);
            chunks = new ArrayList<>();
            for (int s = 0; s < prompts.size(); s++) {
                Logits a = want.get((long) s), b = got.get((long) s);
                error = Math.max(error, ParityCheck.error(b.values(), a.values()));
                if (a.depth() != b.depth()) mismatched++;
                length[s] = step == 0 ? prompts.get(s).length : length[s] + 1;
                int token = Sampler.argmax(a.values(), c.vocabSize());
                chunks.add(new EncodeChunk(s, length[s], new int[] {token}, true, false, exit));
            }
        }
        checks.add(new ParityCheck(tag(name + " stages encoder/loop/decoder on " + gpu.name()) + ": logits", error, ParityBounds.F32));
        checks.add(new ParityCheck(tag(name + " stages") + ": exit depths that differ", mismatched, 0));
    }

    /** Encoder, loop and decoder blocks of one backend, driven step by step. */
    private static final class Staged {
        final EncoderBlock encoder;
        final LoopBlock loop;
        final DecoderBlock decoder;

        Staged(StagePlan plan, Backend b) {
            encoder = plan.encoder(b, 1024);
            loop = plan.loop(b, 1024, false);
            decoder = plan.decoder(b, 1024);
        }

        /** Encodes the chunks, loops them until all have left, decodes them: logits by sequence. */
        Map<Long, Logits> run(List<EncodeChunk> chunks) {
            for (Hidden h : encoder.encode(chunks)) loop.add(h);
            Map<Long, Logits> out = new HashMap<>();
            while (!loop.isEmpty()) {
                List<Looped> left = loop.pass();
                if (!left.isEmpty()) for (Logits l : decoder.decode(left)) out.put(l.seq(), l);
            }
            return out;
        }
    }
}
