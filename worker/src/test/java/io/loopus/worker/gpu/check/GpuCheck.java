package io.loopus.worker.gpu.check;

import io.loopus.worker.bench.ModelBench;
import io.loopus.worker.bench.RandomModel;
import io.loopus.worker.gpu.CudaBackend;
import io.loopus.worker.gpu.DeviceReport;
import io.loopus.worker.gpu.Devices;
import io.loopus.worker.gpu.GpuDevice;
import io.loopus.worker.gpu.ParityCheck;
import io.loopus.worker.gpu.ParityOps;
import io.loopus.worker.gpu.ParityStacks;
import io.loopus.worker.load.Llama2cLoader;
import io.loopus.worker.loop.ConfidenceHead;
import io.loopus.worker.loop.ExitPolicy;
import io.loopus.worker.loop.GateWeights;
import io.loopus.worker.loop.LoopusConfig;
import io.loopus.worker.loop.LoopusModel;
import io.loopus.worker.loop.LoopusWeights;
import io.loopus.worker.loop.Split;
import io.loopus.worker.model.LlamaConfig;
import io.loopus.worker.model.LlamaModel;
import io.loopus.worker.model.LlamaWeights;
import io.loopus.worker.tensor.Backend;
import io.loopus.worker.tensor.CpuBackend;

import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;

/**
 * The GPU check that scripts/gpu-check.sh runs on a machine with an NVIDIA GPU: the parity suite
 * (every kernel, whole models, the stages) with cuBLAS and with the loopus GEMM kernels, then
 * benchmarks (single-stream and batched decode of a 110M-shape random model and of stories260K,
 * and the three stages placed on one GPU), against the CPU on the same machine. Results go to
 * OUTDIR: result.json (everything), parity.txt, bench.txt and summary.txt.
 *
 * <p>Exit status: 0 every parity check passed; 1 a check failed or a section broke; 77 skipped
 * (no CUDA device: the reason is in result.json). {@code --self-test} runs every section with a
 * second CPU device standing in for the GPU, to test the check itself where there is no GPU; its
 * numbers say nothing about a GPU and are labelled so.
 *
 * <pre>GpuCheck OUTDIR [--stories PATH/stories260K.bin] [--seconds S] [--self-test]</pre>
 */
public final class GpuCheck {
    static final int SKIPPED = 77;
    static final String SPEC_110M = "dim=768,hidden=2048,layers=12,heads=12,kv-heads=12,vocab=32000,seq=1024";

    private final Path out;
    private final Path stories;
    private final double seconds;
    private final boolean selfTest;
    private final Map<String, Object> result = new LinkedHashMap<>();
    private final List<String> summary = new ArrayList<>();
    private final StringBuilder parityText = new StringBuilder(), benchText = new StringBuilder();
    private boolean failed;

    private GpuCheck(Path out, Path stories, double seconds, boolean selfTest) {
        this.out = out;
        this.stories = stories;
        this.seconds = seconds;
        this.selfTest = selfTest;
    }

    public static void main(String[] args) throws IOException {
        System.exit(run(args));
    }

    /** The check's exit status (see the class comment); 2 for bad arguments. */
    static int run(String... args) throws IOException {
        Path out = null, stories = null;
        double seconds = 2;
        boolean selfTest = false;
        for (int i = 0; i < args.length; i++) {
            switch (args[i]) {
                case "--stories" -> stories = Path.of(args[++i]);
                case "--seconds" -> seconds = Double.parseDouble(args[++i]);
                case "--self-test" -> selfTest = true;
                default -> {
                    if (out != null || args[i].startsWith("-")) return usage();
                    out = Path.of(args[i]);
                }
            }
        }
        if (out == null) return usage();
        Files.createDirectories(out);
        return new GpuCheck(out, stories, seconds, selfTest).run();
    }

    private static int usage() {
        System.err.println("usage: GpuCheck OUTDIR [--stories PATH/stories260K.bin] [--seconds S] [--self-test]");
        return 2;
    }

    private int run() throws IOException {
        long t0 = System.nanoTime();
        result.put("check", "loopus gpu-check");
        result.put("java", System.getProperty("java.vm.name") + " " + System.getProperty("java.version"));
        result.put("cpu_cores", Runtime.getRuntime().availableProcessors());
        DeviceReport devices = Devices.discover();
        result.put("cuda_devices", devices.gpus().stream().map(GpuDevice::describe).toList());
        int status;
        if (selfTest) {
            result.put("mode", "self-test: a second CPU device stands in for the GPU; no number here is a GPU's");
            say("SELF-TEST: a CPU device stands in for the GPU (tests the check itself, measures no GPU)");
            try (CpuBackend standIn = CpuBackend.device(1, Math.max(1, Runtime.getRuntime().availableProcessors() / 2))) {
                status = sections(standIn, standIn, "loopus kernels");
            }
        } else if (!devices.hasGpu()) {
            result.put("status", "skipped");
            result.put("reason", "no CUDA device: " + devices.unavailable());
            say("SKIPPED: no CUDA device: " + devices.unavailable());
            status = SKIPPED;
        } else {
            result.put("cublas", Devices.cublasProblem() == null ? "available" : "unavailable: " + Devices.cublasProblem());
            long[] mem = Devices.memory(0);
            result.put("cuda0_free_bytes", mem[0]);
            say("device: " + devices.gpus().get(0).describe() + String.format(", %.1f GiB free", mem[0] / (double) (1L << 30)));
            try (CudaBackend auto = CudaBackend.open(0); CudaBackend kernels = CudaBackend.open(0, CudaBackend.Products.KERNELS)) {
                result.put("products", auto.products());
                say("products: " + auto.products() + " (and the loopus GEMM kernels, forced, as a second pass)");
                status = sections(auto, kernels, auto.products());
            }
        }
        if (!result.containsKey("status")) result.put("status", failed ? "failed" : "passed");
        result.put("elapsed_s", (System.nanoTime() - t0) / 1e9);
        say("status: " + result.get("status"));
        Files.writeString(out.resolve("result.json"), JsonText.of(result));
        Files.writeString(out.resolve("parity.txt"), parityText.toString());
        Files.writeString(out.resolve("bench.txt"), benchText.toString());
        Files.writeString(out.resolve("summary.txt"), String.join("\n", summary) + "\n");
        return status == SKIPPED ? SKIPPED : failed ? 1 : 0;
    }

    /** Parity with the device's own products and with the kernel GEMM, then the benchmarks. */
    private int sections(Backend device, Backend kernelDevice, String products) {
        List<Map<String, Object>> parity = new ArrayList<>();
        result.put("parity", parity);
        section("parity: ops [" + products + "]", () -> record(parity, ops(device, products)));
        if (kernelDevice != device) section("parity: ops [loopus kernels]", () -> record(parity, ops(kernelDevice, "loopus kernels")));
        section("parity: random models and stages [" + products + "]", () -> record(parity, stacks(device, products).random()));
        if (kernelDevice != device) {
            section("parity: random models and stages [loopus kernels]", () -> record(parity, stacks(kernelDevice, "loopus kernels").random()));
        }
        LlamaWeights storiesWeights = null;
        LlamaConfig storiesConfig = null;
        if (stories != null) {
            Llama2cLoader.Checkpoint ckpt = Llama2cLoader.load(stories);
            storiesConfig = ckpt.config();
            storiesWeights = ckpt.weights();
            LlamaConfig c = storiesConfig;
            LlamaWeights w = storiesWeights;
            section("parity: stories260K [" + products + "]", () -> record(parity, stacks(device, products).real("stories260K", c, w, new Split(1, 4, 5))));
        } else {
            say("stories260K: not given (--stories), its parity and bench are skipped");
        }
        long passed = parity.stream().filter(p -> Boolean.TRUE.equals(p.get("passed"))).count();
        say(String.format("parity: %d of %d checks passed", passed, parity.size()));
        if (passed != parity.size()) failed = true;

        Map<String, Object> bench = new LinkedHashMap<>();
        result.put("bench", bench);
        RandomModel.Spec spec = RandomModel.Spec.parse(SPEC_110M);
        LlamaWeights w110 = RandomModel.build(spec, 1);
        section("bench: 110M-shape random model", () -> bench.put("random_110M", decode(spec.config(), w110, device, kernelDevice, products)));
        if (storiesWeights != null) {
            LlamaConfig c = storiesConfig;
            LlamaWeights w = storiesWeights;
            section("bench: stories260K", () -> bench.put("stories260K", decode(c, w, device, kernelDevice, products)));
        }
        section("bench: stages on one device", () -> {
            Map<String, Object> stages = new LinkedHashMap<>();
            stages.put("placement", "encoder, loop and decoder blocks all on " + device.name() + ", driven in turn (no actors)");
            stages.put("random_110M_split_2:10_N4", stages(spec.config(), w110, new Split(2, 10, 12), device));
            if (stories != null) {
                Llama2cLoader.Checkpoint ckpt = Llama2cLoader.load(stories);
                stages.put("stories260K_split_1:4_N4", stages(ckpt.config(), ckpt.weights(), new Split(1, 4, 5), device));
            }
            bench.put("stages_one_device", stages);
        });
        return failed ? 1 : 0;
    }

    private static List<ParityCheck> ops(Backend b, String products) {
        return b instanceof CudaBackend c ? new ParityOps(c).run() : new ParityOps(b, products).run();
    }

    private static ParityStacks stacks(Backend b, String products) {
        return b instanceof CudaBackend c ? new ParityStacks(c) : new ParityStacks(b, products);
    }

    private void record(List<Map<String, Object>> parity, List<ParityCheck> checks) {
        for (ParityCheck c : checks) {
            Map<String, Object> o = new LinkedHashMap<>();
            o.put("name", c.name());
            o.put("error", c.error());
            o.put("bound", c.bound());
            o.put("passed", c.passed());
            parity.add(o);
            parityText.append(c).append('\n');
            if (!c.passed()) say("  " + c);
        }
    }

    /** Prefill, single-stream and batched decode on the device (both product paths) and on the CPU. */
    private Map<String, Object> decode(LlamaConfig c, LlamaWeights w, Backend device, Backend kernelDevice, String products) {
        Map<String, Object> o = new LinkedHashMap<>();
        o.put(device.name() + " [" + products + "]", bench(c, w, device, device.name() + " [" + products + "]"));
        if (kernelDevice != device) {
            o.put(kernelDevice.name() + " [loopus kernels]", bench(c, w, kernelDevice, kernelDevice.name() + " [loopus kernels]"));
        }
        o.put("cpu (all cores)", bench(c, w, CpuBackend.INSTANCE, "cpu"));
        return o;
    }

    private Map<String, Object> bench(LlamaConfig c, LlamaWeights w, Backend b, String label) {
        LlamaModel model = new LlamaModel(c, w, b);
        ModelBench.Result r = new ModelBench(model, ModelBench.randomPrompt(c.vocabSize(), 256, 7), seconds, 64L << 20,
                line -> {}).run();
        Map<String, Object> o = new LinkedHashMap<>();
        o.put("prefill_tok_s", r.prefillTokS());
        o.put("decode_single_tok_s", r.decodeSingleTokS());
        Map<String, Object> batched = new LinkedHashMap<>();
        StringBuilder batchedText = new StringBuilder();
        r.decodeBatchedTokS().forEach((k, v) -> {
            batched.put(String.valueOf(k), v);
            batchedText.append(String.format(" %d:%.1f", k, v));
        });
        o.put("decode_batched_tok_s", batched);
        o.put("weight_bytes_per_token", r.weightBytesPerToken());
        o.put("weight_gb_s_single", r.weightGbS());
        String line = String.format("%-22s %-24s prefill %9.1f tok/s  single %8.1f tok/s  batched (streams:tok/s)%s",
                c.dim() + "x" + c.layers() + " vocab " + c.vocabSize(), label, r.prefillTokS(), r.decodeSingleTokS(), batchedText);
        benchText.append(line).append('\n');
        say("  " + line);
        return o;
    }

    private Map<String, Object> stages(LlamaConfig c, LlamaWeights w, Split split, Backend device) {
        Random random = new Random(3);
        LoopusModel m = new LoopusModel(c, new LoopusWeights(w, GateWeights.initial(c.dim(), random),
                ConfidenceHead.initial(c.dim(), random)), LoopusConfig.defaults(split, 4), CpuBackend.INSTANCE);
        m.setExitPolicy(ExitPolicy.fixed(4));
        Map<String, Object> o = new LinkedHashMap<>();
        for (int streams : new int[] {1, 32}) {
            double onDevice = StageBench.tokensPerSecond(m, device, device, device, streams, seconds);
            double cpu = StageBench.tokensPerSecond(m, CpuBackend.INSTANCE, CpuBackend.INSTANCE, CpuBackend.INSTANCE, streams, seconds);
            o.put(streams + " streams: " + device.name() + " tok/s", onDevice);
            o.put(streams + " streams: cpu tok/s", cpu);
            String line = String.format("stages %-36s %2d streams: %s %8.1f tok/s, cpu %8.1f tok/s", c.dim() + "x" + c.layers()
                    + " split " + split.encoderEnd() + ":" + split.decoderStart() + " N=4", streams, device.name(), onDevice, cpu);
            benchText.append(line).append('\n');
            say("  " + line);
        }
        return o;
    }

    /** Runs one section; a failure is recorded with its stack trace and the check goes on. */
    private void section(String name, Runnable body) {
        say(name + "...");
        long t0 = System.nanoTime();
        try {
            body.run();
        } catch (RuntimeException | Error e) {
            failed = true;
            StringWriter trace = new StringWriter();
            e.printStackTrace(new PrintWriter(trace));
            @SuppressWarnings("unchecked")
            List<Object> errors = (List<Object>) result.computeIfAbsent("errors", k -> new ArrayList<>());
            errors.add(Map.of("section", name, "error", trace.toString()));
            say("  FAILED: " + e);
        }
        say(String.format("  (%.1f s)", (System.nanoTime() - t0) / 1e9));
    }

    private void say(String line) {
        System.out.println(line);
        System.out.flush();
        summary.add(line);
    }
}
