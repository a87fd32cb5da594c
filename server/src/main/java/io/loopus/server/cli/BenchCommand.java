package io.loopus.server.cli;

import io.loopus.server.client.BenchReport;
import io.loopus.server.client.ClientJson;
import io.loopus.server.client.GrpcErrors;
import io.loopus.server.client.ServerAddress;
import io.loopus.server.client.ServerBench;
import io.loopus.worker.bench.ModelBench;
import io.loopus.worker.bench.RandomModel;
import io.loopus.worker.load.LdsCheckpoint;
import io.loopus.worker.load.LoadedModel;
import io.loopus.worker.load.ModelLoader;
import io.loopus.worker.model.LlamaConfig;
import io.loopus.worker.model.LlamaModel;
import io.loopus.worker.tensor.CpuBackend;
import io.loopus.worker.tokenizer.Tokenizer;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutionException;

/** Measures decode, batched decode and prefill speed of a model, and the memory bandwidth that bounds them. */
@Command(name = "bench", mixinStandardHelpOptions = true, sortOptions = false,
        description = {"Measure steady-state prefill, single-stream and batched decode speed (tok/s) and the"
                + " machine's memory read bandwidth; progress goes to stderr.",
                "With --random-model SPEC --save FILE, write a seeded random-weight llama2.c (version 0) checkpoint instead.",
                "With --server HOST:PORT, load-test a running server over Generate streams instead."})
public final class BenchCommand implements Callable<Integer> {
    static final class Source {
        @Option(names = "--model", paramLabel = "PATH", description = "a llama2.c .bin file or a Hugging Face model directory")
        Path model;

        @Option(names = "--random-model", paramLabel = "SPEC",
                description = "a random-weight model, e.g. dim=768,hidden=2048,layers=12,heads=12,kv-heads=12,vocab=32000,seq=1024")
        String randomModel;

        @Option(names = "--server", paramLabel = "HOST:PORT", description = "load-test a loopus server (options below)")
        String server;
    }

    @ArgGroup(exclusive = true, multiplicity = "1")
    Source source;

    @ArgGroup(exclusive = false, heading = "With --server:%n")
    ServerBenchOptions serverOptions;

    @Spec CommandSpec spec;

    @Option(names = "--tokenizer", paramLabel = "PATH",
            description = "encode an English passage as the prompt (default: the model's tokenizer when one is found, else seeded random ids;"
                    + " the speed does not depend on the ids)")
    Path tokenizer;

    @Option(names = "--save", paramLabel = "FILE", description = "with --random-model: write the model to FILE and exit")
    Path save;

    @Option(names = "--seed", defaultValue = "1",
            description = "seed of the random weights and prompt (default ${DEFAULT-VALUE}); with --server, the sampling seed (default: the server's)")
    long seed;

    @Option(names = "--seconds", defaultValue = "5", paramLabel = "S",
            description = "measuring time of each phase, after as much warm-up (default ${DEFAULT-VALUE})")
    double seconds;

    @Option(names = "--bandwidth-mib", defaultValue = "1024", paramLabel = "MIB",
            description = "buffer the bandwidth pass reads; far larger than the caches (default ${DEFAULT-VALUE})")
    int bandwidthMib;

    @Option(names = "--json", description = "print one JSON object instead of a table")
    boolean json;

    @Override public Integer call() throws InterruptedException {
        if (source.server != null) return serverBench();
        if (serverOptions != null) throw new IllegalArgumentException("--concurrency, --requests, --prompt(s), sampling and loop flags of bench need --server");
        if (!(seconds > 0)) throw new IllegalArgumentException("--seconds must be > 0, got " + seconds);
        if (bandwidthMib <= 0) throw new IllegalArgumentException("--bandwidth-mib must be > 0, got " + bandwidthMib);
        LlamaModel model;
        Tokenizer tok = null;
        String name;
        if (source.randomModel != null) {
            RandomModel.Spec spec = RandomModel.Spec.parse(source.randomModel);
            if (save != null) return save(spec);
            name = "random " + spec;
            System.err.println("bench: building random model " + spec + " (seed " + seed + ")...");
            model = new LlamaModel(spec.config(), RandomModel.build(spec, seed), CpuBackend.INSTANCE);
        } else {
            if (save != null) throw new IllegalArgumentException("--save needs --random-model");
            name = source.model.toString();
            if (LdsCheckpoint.isCheckpoint(source.model)) throw notPlainLlama(source.model);
            System.err.println("bench: loading " + name + "...");
            LoadedModel loaded = ModelLoader.loadWithOptionalTokenizer(source.model, tokenizer, CpuBackend.INSTANCE);
            if (!(loaded.model() instanceof LlamaModel llama)) throw notPlainLlama(source.model);
            model = llama;
            tok = loaded.tokenizer();
        }
        LlamaConfig c = model.config();
        if (tok == null && tokenizer != null) tok = ModelLoader.loadTokenizer(tokenizer, c.vocabSize(), c.bosId());
        int[] prompt = tok != null ? ModelBench.textPrompt(tok) : ModelBench.randomPrompt(c.vocabSize(), 256, seed);
        ModelBench.Result r = new ModelBench(model, prompt, seconds, (long) bandwidthMib << 20,
                line -> System.err.println("bench: " + line)).run();
        System.out.println(json ? Json.write(toJson(r)) : table(name, c, r));
        return 0;
    }

    private Integer serverBench() throws InterruptedException {
        for (String offlineOnly : new String[] {"--tokenizer", "--save", "--seconds", "--bandwidth-mib"}) {
            if (spec.commandLine().getParseResult().hasMatchedOption(offlineOnly)) {
                throw new IllegalArgumentException(offlineOnly + " times a model loaded here; it does not apply with --server");
            }
        }
        ServerAddress address = ServerAddress.parse(source.server);
        ServerBenchOptions o = serverOptions != null ? serverOptions : new ServerBenchOptions();
        Long sampleSeed = spec.commandLine().getParseResult().hasMatchedOption("--seed") ? seed : null;
        ServerBench bench = new ServerBench(address, o.promptSet(), o.requestOptions(sampleSeed), o.concurrency, o.requests);
        System.err.printf("bench: %d requests, %d in flight, %d new tokens each, to %s...%n", o.requests, o.concurrency,
                o.maxNewTokens, address);
        BenchReport r;
        try {
            r = bench.run();
        } catch (ExecutionException e) {
            System.err.println("loopus bench: error: " + GrpcErrors.describe(e));
            return 2;
        }
        System.out.println(json ? ClientJson.write(r.toJson()) : r.table(address.toString()));
        return 0;
    }

    /** The benchmark times one pass through every layer per token; a looped model has no such pass. */
    private static IllegalArgumentException notPlainLlama(Path model) {
        return new IllegalArgumentException(model + ": is a LoopUS checkpoint (model_type \"lds\"); bench times plain "
                + "Llama models (a llama2.c .bin or a Hugging Face directory)");
    }

    private Integer save(RandomModel.Spec spec) {
        System.err.printf("bench: writing random model %s (seed %d, %.1f MB)...%n", spec, seed, spec.fileBytes() / 1e6);
        try {
            RandomModel.write(spec, seed, save);
        } catch (IOException e) {
            throw new UncheckedIOException(save + ": cannot write: " + e.getMessage(), e);
        }
        System.out.println("wrote " + save + " (" + spec.fileBytes() + " bytes, llama2.c version 0, shared classifier, " + spec + ")");
        return 0;
    }

    static Map<String, Object> toJson(ModelBench.Result r) {
        Map<String, Object> batched = new LinkedHashMap<>();
        r.decodeBatchedTokS().forEach((b, v) -> batched.put(String.valueOf(b), v));
        Map<String, Object> o = new LinkedHashMap<>();
        o.put("decode_single_tok_s", r.decodeSingleTokS());
        o.put("decode_batched_tok_s", batched);
        o.put("prefill_tok_s", r.prefillTokS());
        o.put("weight_bytes_per_token", r.weightBytesPerToken());
        o.put("weight_gb_s", r.weightGbS());
        o.put("read_bandwidth_gb_s", r.readBandwidthGbS());
        return o;
    }

    private static String table(String name, LlamaConfig c, ModelBench.Result r) {
        StringBuilder sb = new StringBuilder();
        sb.append(String.format("model             %s%n", name));
        sb.append(String.format("shape             dim %d, hidden %d, %d layers, %d heads, %d kv heads, vocab %d, context %d%n",
                c.dim(), c.hiddenDim(), c.layers(), c.heads(), c.kvHeads(), c.vocabSize(), c.contextLength()));
        sb.append(String.format("prefill           %12.1f tok/s   (%d tokens in one forward)%n", r.prefillTokS(), r.prefillTokens()));
        sb.append(String.format("decode, single    %12.1f tok/s   (prompt %d, positions %d..%d)%n",
                r.decodeSingleTokS(), r.promptTokens(), r.promptTokens(), r.contextEnd() - 1));
        r.decodeBatchedTokS().forEach((b, v) -> sb.append(String.format("decode, batch %-3d %12.1f tok/s   (%.2fx single)%n",
                b, v, v / r.decodeSingleTokS())));
        sb.append(String.format("weights per token %12.1f MB%n", r.weightBytesPerToken() / 1e6));
        sb.append(String.format("weight traffic    %12.1f GB/s    (single-stream decode; %.0f%% of read bandwidth)%n",
                r.weightGbS(), 100 * r.weightGbS() / r.readBandwidthGbS()));
        sb.append(String.format("read bandwidth    %12.1f GB/s    (Vector API streaming sum, all cores)", r.readBandwidthGbS()));
        return sb.toString();
    }
}
