package io.loopus.server.cli;

import io.loopus.trainer.data.StoryReader;
import io.loopus.trainer.eval.HeldOutText;
import io.loopus.trainer.eval.Perplexity;
import io.loopus.worker.load.LdsCheckpoint;
import io.loopus.worker.load.LoadedModel;
import io.loopus.worker.load.ModelLoader;
import io.loopus.worker.loop.ExitPolicy;
import io.loopus.worker.loop.HaltingStrategy;
import io.loopus.worker.loop.KvPolicy;
import io.loopus.worker.loop.LoopusModel;
import io.loopus.worker.model.CausalModel;
import io.loopus.worker.tensor.CpuBackend;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;

/** Held-out perplexity of a LoopUS checkpoint at several loop counts, beside its base model's. */
@Command(name = "eval", mixinStandardHelpOptions = true, sortOptions = false,
        description = {"Perplexity over a text of stories (DESIGN §8 protocol) of a LoopUS checkpoint at each --loops"
                + " count under one exit policy, and of its base model; a plain model reports only base_ppl.",
                "Under an adaptive exit each story is fed token by token with its cache, so every position"
                        + " leaves the loop at its own depth; loops_mean is the mean depth per token."})
public final class EvalCommand implements Callable<Integer> {
    @Mixin ModelOptions modelOptions;

    @Option(names = "--data", required = true, paramLabel = "TEXT", description = "stories separated by <|endoftext|> lines")
    Path data;

    @Option(names = "--loops", defaultValue = "1,2,4,8", split = ",", paramLabel = "N,...",
            description = "loop counts (max loops) to evaluate (default ${DEFAULT-VALUE})")
    int[] loops;

    @Option(names = "--exit", defaultValue = "fixed", description = "fixed, threshold, cdf or convergence (default ${DEFAULT-VALUE})")
    String exit;

    @Option(names = "--tau", description = "threshold for threshold and cdf (default: the checkpoint's q_threshold)")
    Double tau;

    @Option(names = "--min-loops", description = "no exit before this many loops (default: the checkpoint's min_loops)")
    Integer minLoops;

    @Option(names = "--kv-policy", defaultValue = "per-depth", description = "per-depth or shared (default ${DEFAULT-VALUE})")
    String kvPolicy;

    @Option(names = "--base", paramLabel = "PATH",
            description = "the base model to compare with (default: the checkpoint's base_model_name_or_path, when it is a local path)")
    Path base;

    @Option(names = "--json", description = "print {\"base_ppl\": x, \"results\": [...]}")
    boolean json;

    @Override public Integer call() {
        HaltingStrategy strategy = HaltingStrategy.parse(exit);
        KvPolicy kv = KvPolicy.parse(kvPolicy);
        for (int n : loops) if (n < 1) throw new IllegalArgumentException("--loops must be >= 1, got " + n);
        StoryReader.checkReadable(data); // before the model loads
        LoadedModel loaded = modelOptions.load();
        CausalModel model = loaded.model();
        HeldOutText text = HeldOutText.load(data, loaded.tokenizer(), model.config().contextLength());
        System.err.printf("eval: %d stories, %d predicted tokens from %s%n", text.stories().size(), text.predictedTokens(), data);

        Double basePpl = null;
        List<Map<String, Object>> results = new ArrayList<>();
        if (model instanceof LoopusModel looped) {
            CausalModel baseModel = baseModel(loaded);
            if (baseModel != null) basePpl = run("base", baseModel, text).ppl();
            ExitPolicy own = looped.exitPolicy();
            double t = tau != null ? tau : own.tau();
            looped.setKvPolicy(kv);
            for (int n : loops) {
                looped.setExitPolicy(new ExitPolicy(strategy, n, Math.min(minLoops != null ? minLoops : own.minLoops(), n), t, own.qEvalInterval(), own.epsilon()));
                Perplexity.Result r = run("loops " + n + " " + strategy.key(), looped, text);
                Map<String, Object> o = new LinkedHashMap<>();
                o.put("loops", n);
                o.put("exit", strategy.key());
                o.put("tau", strategy == HaltingStrategy.THRESHOLD || strategy == HaltingStrategy.CDF ? t : null);
                o.put("ppl", r.ppl());
                o.put("loops_mean", r.loopsMean());
                results.add(o);
            }
        } else {
            basePpl = run("model", model, text).ppl();
        }
        if (json) {
            Map<String, Object> o = new LinkedHashMap<>();
            o.put("base_ppl", basePpl);
            o.put("results", results);
            System.out.println(Json.write(o));
        } else {
            System.out.printf("base       ppl %s%n", basePpl == null ? "(no base model found; give --base)" : String.format("%.4f", basePpl));
            for (Map<String, Object> r : results) {
                System.out.printf("loops %-3d  %-11s ppl %.4f  loops_mean %.3f%n", r.get("loops"), r.get("exit"), r.get("ppl"), r.get("loops_mean"));
            }
        }
        return 0;
    }

    private static Perplexity.Result run(String label, CausalModel model, HeldOutText text) {
        ProgressLine progress = ProgressLine.onStderr("eval " + label, "stories", text.stories().size());
        Perplexity.Result r = Perplexity.of(model, text, progress::update);
        progress.finish(text.stories().size());
        return r;
    }

    /** --base, else the checkpoint's base_model_name_or_path when that is a local file or folder; else null. */
    private CausalModel baseModel(LoadedModel loaded) {
        Path path = base;
        if (path == null) {
            String origin = LdsCheckpoint.header(loaded.modelPath()).origin().baseModelNameOrPath();
            if (origin.isEmpty() || !Files.exists(Path.of(origin))) {
                System.err.println("eval: the checkpoint's base model \"" + origin + "\" is not a local path; give --base to compare");
                return null;
            }
            path = Path.of(origin);
        }
        return ModelLoader.loadWithOptionalTokenizer(path, null, CpuBackend.INSTANCE).model();
    }
}
