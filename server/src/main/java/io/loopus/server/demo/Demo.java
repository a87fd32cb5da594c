package io.loopus.server.demo;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import io.loopus.server.client.ServerAddress;
import io.loopus.server.serve.LoopusServer;
import io.loopus.server.serve.ServeSettings;
import io.loopus.trainer.train.EvalResult;
import io.loopus.worker.hub.DemoAssets;
import io.loopus.worker.hub.DownloadProgress;
import io.loopus.worker.hub.HubFile;
import io.loopus.worker.load.LoadedModel;
import io.loopus.worker.load.ModelLoader;
import io.loopus.worker.loop.ExitPolicy;
import io.loopus.worker.loop.HaltingStrategy;
import io.loopus.worker.loop.LoopusModel;
import io.loopus.worker.loop.Split;
import io.loopus.worker.stage.StageStats;
import io.loopus.worker.tensor.CpuBackend;

import java.io.IOException;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Optional;

/**
 * {@code loopus demo}, step by step: get the default model and text, analyse the base model's layers,
 * convert it into a LoopUS model with a short run of the real trainer (cached), pick an exit threshold
 * under which exit depths vary, serve it in-process, send concurrent requests through a gRPC client,
 * and print generations with their per-token exit depths and a summary. Results go to {@code out},
 * progress and remarks to {@code err}.
 */
public final class Demo {
    public static final int DEFAULT_REQUESTS = 32;
    public static final int MAX_REQUESTS = 256; // the server's default queue limit
    static final int NEW_TOKENS = 48;
    static final int CALIBRATION_PROMPTS = 8;
    static final int PROMPT_WORDS = 12;
    static final int SHOWN = 4;
    static final int WIDTH = 100;
    private static final ObjectMapper JSON = new ObjectMapper();

    /**
     * @param out the folder of converted models instead of the user cache's {@code demo/} (null: the cache)
     */
    public record Options(int steps, int requests, boolean fresh, Path out) {
        public Options {
            if (steps < 1) throw new IllegalArgumentException("--steps must be >= 1, got " + steps);
            if (requests < 1 || requests > MAX_REQUESTS) {
                throw new IllegalArgumentException("--requests must be in [1, " + MAX_REQUESTS + "], got " + requests);
            }
            if (out != null && Files.exists(out) && !Files.isDirectory(out)) {
                throw new IllegalArgumentException("--out " + out + ": exists and is not a directory");
            }
        }
    }

    private final DemoAssets assets;
    private final Path cacheFolder;
    private final PrintStream out, err;
    private final ProgressSink.Factory progress;

    /** @param cacheFolder where converted models are kept without {@code --out} */
    public Demo(DemoAssets assets, Path cacheFolder, PrintStream out, PrintStream err, ProgressSink.Factory progress) {
        this.assets = assets;
        this.cacheFolder = cacheFolder;
        this.out = out;
        this.err = err;
        this.progress = progress;
    }

    /** @return the exit code: 0, or 1 when a request failed */
    public int run(Options o) throws InterruptedException {
        long start = System.nanoTime();
        out.println("loopus demo: a pretrained model becomes a looped (LoopUS) model, is served, and each token leaves"
                + " the loop at its own depth");

        DemoAssets.Resolved in = resolve();
        out.printf(Locale.ROOT, "[1/6] inputs: %s, %s, %s, %s%n", in.model().getFileName(), in.tokenizer().getFileName(),
                in.train().getFileName(), in.valid().getFileName());
        out.println(in.origin() == DemoAssets.Origin.SHARED
                ? "      from the shared data folder " + in.model().getParent().getParent().getParent()
                : "      from the Hugging Face hub (" + DemoAssets.MODEL.repo() + ", " + DemoAssets.STORIES.repo()
                        + "), kept as " + in.model() + " and " + in.train().getParent());
        LoadedModel base = ModelLoader.load(in.model(), in.tokenizer(), CpuBackend.INSTANCE);

        long convertStart = System.nanoTime();
        DemoRecipe recipe = DemoRecipe.withSteps(o.steps());
        String key = CacheKey.of(List.of(in.model(), in.tokenizer(), in.train(), in.valid()), recipe.canonical());
        ConversionCache cache = new ConversionCache(o.out() != null ? o.out() : cacheFolder);
        Optional<ConversionCache.Finished> hit = o.fresh() ? Optional.empty() : cache.find(key);
        ConversionCache.Finished entry;
        if (hit.isPresent()) {
            entry = hit.get();
            JsonNode m = entry.marker();
            out.println("[2/6] analyze (kept with the converted model below):");
            for (JsonNode line : m.path("analysis")) out.println("      " + line.asText());
            out.printf(Locale.ROOT, "[3/6] convert: reusing the converted model in %s%n", entry.dir());
            out.printf(Locale.ROOT, "      %s; converted in %.0f s on %s%n", m.path("recipe_summary").asText(),
                    m.path("convert_seconds").asDouble(), m.path("created").asText());
            out.println("      (its key hashes the model, tokenizer, texts and recipe; --fresh converts again)");
        } else {
            out.printf(Locale.ROOT, "[2/6] analyze: the base model's layer dynamics over %d tokens of %s%n", recipe.analysisTokens(),
                    in.train().getFileName());
            entry = cache.build(key, o.fresh(), dir -> convert(in, base, recipe, dir));
            out.println("      kept in " + entry.dir() + " (the next run reuses it; --fresh converts again)");
        }
        out.println("      " + evalLine(entry.marker().path("eval")));
        double convertSeconds = (System.nanoTime() - convertStart) / 1e9;

        long calibrateStart = System.nanoTime();
        LoadedModel converted = ModelLoader.load(entry.dir().resolve("run").resolve("model"), null, CpuBackend.INSTANCE);
        if (!(converted.model() instanceof LoopusModel looped)) {
            throw new IllegalArgumentException(entry.dir() + ": does not hold a LoopUS model; run again with --fresh");
        }
        List<String> openings = DemoTexts.openings(in.valid(), o.requests() + CALIBRATION_PROMPTS, PROMPT_WORDS);
        if (openings.isEmpty()) throw new IllegalArgumentException("data file " + in.valid() + ": no story openings to prompt with");
        // the last openings choose tau, the others are the requests' prompts (reused in turn when there are few)
        int calibrationCount = Math.min(CALIBRATION_PROMPTS, openings.size());
        List<String> calibration = openings.subList(openings.size() - calibrationCount, openings.size());
        List<String> pool = openings.size() > calibrationCount ? openings.subList(0, openings.size() - calibrationCount) : openings;
        List<String> prompts = new ArrayList<>();
        for (int i = 0; i < o.requests(); i++) prompts.add(pool.get(i % pool.size()));
        ExitPolicy exit = chooseExit(looped, converted, calibration);
        double calibrateSeconds = (System.nanoTime() - calibrateStart) / 1e9;

        long serveStart = System.nanoTime();
        LoadRun.Result run = serve(converted, looped, exit, prompts);
        double serveSeconds = (System.nanoTime() - serveStart) / 1e9;

        List<String> failures = printGenerations(run, converted, exit.maxLoops());
        out.println();
        out.println("summary");
        for (String l : DemoSummary.table(DemoSummary.of(run))) out.println(l);
        double total = (System.nanoTime() - start) / 1e9;
        out.printf(Locale.ROOT, "  %-12s %.1f s: %s %.1f s, calibrate %.1f s, serve and requests %.1f s%n", "took", total,
                hit.isPresent() ? "inputs and cached model" : "inputs, analyze and convert",
                convertSeconds + (convertStart - start) / 1e9, calibrateSeconds, serveSeconds);
        for (String f : failures) err.println("loopus demo: " + f);
        return failures.isEmpty() ? 0 : 1;
    }

    /** Step 4: tau from q traced offline on the calibration prompts; sets and returns the threshold rule. */
    private ExitPolicy chooseExit(LoopusModel looped, LoadedModel converted, List<String> calibration) {
        ExitPolicy own = looped.exitPolicy();
        List<float[]> traces = ExitProbe.trace(looped, converted.tokenizer(), calibration, NEW_TOKENS);
        TauChoice.Choice tau = TauChoice.choose(traces, own);
        ExitPolicy exit = new ExitPolicy(HaltingStrategy.THRESHOLD, own.maxLoops(), 1, tau.tau(), own.qEvalInterval(), own.epsilon());
        looped.setExitPolicy(exit);
        printTau(tau, traces, own, calibration.size());
        return exit;
    }

    /** Steps 5 and 6: the server in-process on a free loopback port, the requests through a gRPC client, the server closed. */
    private LoadRun.Result serve(LoadedModel converted, LoopusModel looped, ExitPolicy exit, List<String> prompts)
            throws InterruptedException {
        Config config = ConfigFactory.parseString("loopus.server { host = \"127.0.0.1\", port = 0 }")
                .withFallback(ConfigFactory.load());
        ServeSettings settings = ServeSettings.from(config);
        LoopusServer server = LoopusServer.start(new LoadedModel(looped, converted.tokenizer(), converted.modelPath(),
                converted.tokenizerPath(), converted.format()), settings, config);
        try {
            out.printf(Locale.ROOT, "[5/6] serve: a LoopusServer on %s:%d (gRPC), threshold exits at tau %.3f, %s batching%n",
                    server.host(), server.port(), exit.tau(), settings.batching());
            out.println("      " + stages(server.stageStats(), looped.split(), exit.maxLoops()));
            out.printf(Locale.ROOT, "[6/6] requests: %d concurrent Generate streams through a gRPC client (held-out story openings,"
                    + " up to %d new tokens, temperature %.1f, per-token trace on)%n", prompts.size(), NEW_TOKENS, LoadRun.TEMPERATURE);
            ProgressSink line = progress.start("requests", "done", prompts.size());
            LoadRun.Result run = LoadRun.run(new ServerAddress("127.0.0.1", server.port()), prompts, NEW_TOKENS,
                    d -> line.update(d, ""));
            line.finish(prompts.size());
            return run;
        } finally {
            server.close();
        }
    }

    /** The first few generations with their depths; returns the failed requests, one line each. */
    private List<String> printGenerations(LoadRun.Result run, LoadedModel converted, int loops) {
        out.println();
        out.println("generations: under each new token, the loop passes it took before leaving (its exit depth, 1.." + loops
                + "); the prompt has no marks");
        int shown = 0;
        List<String> failures = new ArrayList<>();
        for (int i = 0; i < run.requests().size(); i++) {
            LoadRun.Sent s = run.requests().get(i);
            if (!s.ok()) {
                failures.add("request " + (i + 1) + ": " + s.error());
                continue;
            }
            if (shown++ >= SHOWN) continue;
            out.println();
            DepthText.Lines text = DepthText.render(converted.tokenizer(), s.prompt(), s.result().ids(), s.result().trace());
            List<DepthText.Lines> rows = DepthText.wrap(text, WIDTH - 6);
            for (int r = 0; r < rows.size(); r++) {
                out.println((r == 0 ? String.format(Locale.ROOT, "  [%d] ", i + 1) : "      ") + rows.get(r).text());
                out.println("      " + rows.get(r).depths());
            }
        }
        return failures;
    }

    /** Analysis and conversion into {@code dir}; returns the marker's contents. */
    private ObjectNode convert(DemoAssets.Resolved in, LoadedModel base, DemoRecipe recipe, Path dir) throws IOException {
        long start = System.nanoTime();
        DemoAnalysis.Result a = DemoAnalysis.run(base, in.train(), recipe.analysisTokens(), dir.resolve("analysis"), progress);
        for (String line : a.lines()) out.println("      " + line);
        out.printf(Locale.ROOT, "[3/6] convert: %s%n", recipe.describe());
        Path data = Files.createDirectories(dir.resolve("data"));
        Path train = data.resolve("train.txt"), eval = data.resolve("eval.txt");
        int trainStories = DemoTexts.writeSlice(in.train(), recipe.trainChars(), train);
        int evalStories = DemoTexts.writeFirst(in.valid(), recipe.evalStories(), eval);
        out.printf(Locale.ROOT, "      trained on the first %d stories of %s (%d KB), evaluated on the first %d of %s%n", trainStories,
                in.train().getFileName(), Files.size(train) / 1024, evalStories, in.valid().getFileName());
        DemoConversion.Result c = DemoConversion.run(in.model(), in.tokenizer(), train, eval, a.split(), recipe,
                dir.resolve("run"), progress, err);
        out.printf(Locale.ROOT, "      %d updates in %.0f s%n", c.updates(), c.seconds());
        ObjectNode m = JSON.createObjectNode();
        m.put("created", Instant.now().truncatedTo(ChronoUnit.SECONDS).toString());
        m.put("recipe", recipe.canonical());
        m.put("recipe_summary", recipe.describe());
        m.put("split", a.split().toString());
        m.put("updates", c.updates());
        m.put("convert_seconds", (System.nanoTime() - start) / 1e9);
        ArrayNode lines = m.putArray("analysis");
        a.lines().forEach(lines::add);
        m.set("eval", evalJson(c.eval()));
        ObjectNode inputs = m.putObject("inputs");
        inputs.put("model", in.model().toString()).put("tokenizer", in.tokenizer().toString())
                .put("train", in.train().toString()).put("valid", in.valid().toString()).put("origin", in.origin().toString());
        return m;
    }

    DemoAssets.Resolved resolve() {
        try {
            return assets.resolve(this::downloadBar);
        } catch (IOException e) {
            String why = String.valueOf(e.getMessage()).replaceAll("\\s*\\R\\s*", " ");
            throw new UncheckedIOException("cannot download the demo's model and text (no shared data folder was found): " + why
                    + "; set LOOPUS_SHARED to a folder with models/stories260K and data/tinystories, or HF_ENDPOINT to a"
                    + " reachable hub", e);
        }
    }

    /** A progress line in KiB for one download, started when its size is known. */
    private DownloadProgress downloadBar(HubFile file) {
        String name = file.repo() + "/" + file.path();
        err.println("downloading " + name + " from the Hugging Face hub...");
        ProgressSink[] line = {null};
        boolean[] finished = {false};
        return (done, total) -> { // the last chunk and the end both report done == total: finish once
            if (total <= 0 || finished[0]) return;
            if (line[0] == null) line[0] = progress.start("download", "KiB", (total + 1023) / 1024);
            if (done >= total) {
                finished[0] = true;
                line[0].finish((done + 1023) / 1024);
            } else {
                line[0].update(done / 1024, "");
            }
        };
    }

    private void printTau(TauChoice.Choice c, List<float[]> traces, ExitPolicy own, int prompts) {
        out.printf(Locale.ROOT, "[4/6] exit threshold: tau %.3f (a token leaves the loop once q > tau), the %.0f%% quantile of %d q"
                + " values traced offline at N = %d over %d new tokens of %d held-out openings%n", c.tau(), 100 * c.quantile(),
                c.qValues(), own.maxLoops(), c.tokens(), prompts);
        out.printf(Locale.ROOT, "      replayed on those tokens it sends %s of them out after 1..%d passes (mean %.2f);%n",
                shares(c.depthCounts()), own.maxLoops(), c.meanDepth());
        String ownSpread = own.strategy() == HaltingStrategy.THRESHOLD
                ? String.format(Locale.ROOT, " (replayed: %s)", shares(TauChoice.replay(traces, own, own.tau()))) : "";
        out.printf(Locale.ROOT, "      chosen for this demo so that depths vary, not tuned for quality; the checkpoint's own rule is"
                + " %s at tau %.2f%s%n", own.strategy().key(), own.tau(), ownSpread);
        if (!c.varies()) {
            err.println("loopus demo: warning: every traced token gets the same depth at every tau: this model's confidence"
                    + " head does not tell tokens apart yet");
        }
    }

    static String shares(long[] counts) {
        long n = 0;
        for (long c : counts) n += c;
        StringBuilder sb = new StringBuilder();
        for (long c : counts) sb.append(sb.isEmpty() ? "" : " / ").append(Math.round(100.0 * c / Math.max(1, n))).append('%');
        return sb.toString();
    }

    private static String stages(List<StageStats> stats, Split s, int loops) {
        String[] what = {String.format("layers [0, %d)", s.encoderEnd()),
                String.format("layers [%d, %d) up to %d times", s.encoderEnd(), s.decoderStart(), loops),
                String.format("layers [%d, %d) and the head", s.decoderStart(), s.layers())};
        StringBuilder sb = new StringBuilder("stages: ");
        for (int i = 0; i < stats.size(); i++) {
            if (i > 0) sb.append("; ");
            sb.append(stats.get(i).name()).append(' ').append(i < what.length ? what[i] : "").append(" on ").append(stats.get(i).device());
        }
        return sb.toString();
    }

    static ObjectNode evalJson(EvalResult e) {
        ObjectNode o = JSON.createObjectNode();
        if (e == null) return o;
        o.put("stories", e.stories());
        if (e.basePpl() != null) o.put("base_ppl", e.basePpl());
        ArrayNode rows = o.putArray("rows");
        for (EvalResult.Row r : e.rows()) {
            ObjectNode row = rows.addObject().put("exit", r.exit()).put("loops", r.loops()).put("ppl", r.ppl())
                    .put("loops_mean", r.loopsMean());
            if (r.tau() != null) row.put("tau", r.tau());
        }
        return o;
    }

    static String evalLine(JsonNode e) {
        if (!e.has("rows")) return "no held-out evaluation was recorded";
        StringBuilder sb = new StringBuilder(String.format(Locale.ROOT, "held-out perplexity (%d stories): base model %s; looped at",
                e.path("stories").asInt(), e.has("base_ppl") ? String.format(Locale.ROOT, "%.2f", e.path("base_ppl").asDouble()) : "-"));
        boolean first = true;
        for (JsonNode r : e.path("rows")) {
            if (!r.path("exit").asText().equals("fixed")) continue;
            sb.append(first ? " depth " : ", ").append(r.path("loops").asInt()).append(": ")
                    .append(String.format(Locale.ROOT, "%.2f", r.path("ppl").asDouble()));
            first = false;
        }
        return sb.toString();
    }
}
