package io.loopus.server.cli;

import io.loopus.worker.bench.LoopBench;
import io.loopus.worker.bench.ModelBench;
import io.loopus.worker.load.LoadedModel;
import io.loopus.worker.load.ModelLoader;
import io.loopus.worker.loop.LoopusModel;
import io.loopus.worker.model.CausalModel;
import io.loopus.worker.tensor.CpuBackend;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;

/** Decode speed and KV memory of a looped model at several fixed loop counts, under both KV policies. */
@Command(name = "bench-loops", mixinStandardHelpOptions = true, sortOptions = false,
        description = "Measure decode tok/s (one stream and --streams together) and KV bytes per token of a LoopUS"
                + " model (a checkpoint, or a base model with --split) at fixed loop counts; progress goes to stderr.")
public final class LoopBenchCommand implements Callable<Integer> {
    @Mixin ModelOptions modelOptions;

    @Option(names = "--split", paramLabel = "E:D", description = "loop a base model with the initial gate and head")
    String split;

    @Option(names = "--loop-counts", defaultValue = "1,2,4,8", split = ",", paramLabel = "N,...",
            description = "fixed loop counts to measure (default ${DEFAULT-VALUE})")
    int[] loopCounts;

    @Option(names = "--streams", defaultValue = "32", description = "streams decoded together (default ${DEFAULT-VALUE})")
    int streams;

    @Option(names = "--decode-tokens", defaultValue = "128", description = "tokens decoded per round (default ${DEFAULT-VALUE})")
    int decodeTokens;

    @Option(names = "--seconds", defaultValue = "3", description = "measuring time per cell (default ${DEFAULT-VALUE})")
    double seconds;

    @Option(names = "--json", description = "print one JSON array instead of a table")
    boolean json;

    @Override public Integer call() {
        if (streams < 1 || decodeTokens < 1 || !(seconds > 0)) {
            throw new IllegalArgumentException("--streams, --decode-tokens and --seconds must be > 0");
        }
        for (int n : loopCounts) if (n < 1) throw new IllegalArgumentException("--loop-counts must be >= 1, got " + n);
        LoadedModel loaded = ModelLoader.load(modelOptions.model, modelOptions.tokenizer, CpuBackend.INSTANCE);
        LoopOptions recast = new LoopOptions();
        recast.split = split;
        recast.kvPolicy = "per-depth";
        CausalModel m = recast.apply(loaded.model());
        if (!(m instanceof LoopusModel looped)) {
            throw new IllegalArgumentException("bench-loops needs a LoopUS checkpoint or --split E:D");
        }
        LoopBench bench = new LoopBench(looped, ModelBench.textPrompt(loaded.tokenizer()), streams, decodeTokens, seconds,
                line -> System.err.println("bench-loops: " + line));
        List<LoopBench.Row> rows = bench.run(loopCounts);
        if (json) {
            List<Map<String, Object>> out = new ArrayList<>();
            for (LoopBench.Row r : rows) {
                Map<String, Object> o = new LinkedHashMap<>();
                o.put("loops", r.loops());
                o.put("kv_policy", r.policy().key());
                o.put("decode_single_tok_s", r.singleTokS());
                o.put("decode_" + streams + "_streams_tok_s", r.batchedTokS());
                o.put("kv_bytes_per_token", r.kvBytesPerToken());
                out.add(o);
            }
            System.out.println(Json.write(out));
        } else {
            System.out.printf("%5s  %-9s  %14s  %16s  %14s%n", "loops", "kv", "single tok/s", streams + " streams tok/s", "KV bytes/token");
            for (LoopBench.Row r : rows) {
                System.out.printf("%5d  %-9s  %14.1f  %16.1f  %14d%n", r.loops(), r.policy().key(), r.singleTokS(),
                        r.batchedTokS(), r.kvBytesPerToken());
            }
        }
        return 0;
    }
}
