package io.loopus.server.cli;

import io.loopus.server.demo.Demo;
import io.loopus.server.demo.DemoRecipe;
import io.loopus.server.demo.ProgressSink;
import io.loopus.worker.hub.DemoAssets;
import io.loopus.worker.hub.HubConfig;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.nio.file.Path;
import java.util.concurrent.Callable;

/** The first thing to run: convert, serve and load-test the default small model, end to end. */
@Command(name = "demo", mixinStandardHelpOptions = true, sortOptions = false,
        description = {"Get stories260K and TinyStories text (from $LOOPUS_SHARED or ../shared, else the Hugging Face hub,"
                + " into the cache), analyse the model's layers, convert it into a looped LoopUS model with a short run"
                + " of convert (cached), serve it in-process, send concurrent requests through a gRPC client, and print"
                + " generations with each token's exit depth and a summary.",
                "Converted models are kept in $LOOPUS_CACHE/demo (default ~/.cache/loopus/demo), one folder per model,"
                        + " text and recipe; later runs reuse them."})
public final class DemoCommand implements Callable<Integer> {
    @Option(names = "--steps", paramLabel = "N", description = "updates of the conversion (default " + DemoRecipe.DEFAULT_STEPS + ")")
    Integer steps;

    @Option(names = "--requests", paramLabel = "N", description = "concurrent requests to send (default " + Demo.DEFAULT_REQUESTS + ")")
    Integer requests;

    @Option(names = "--fresh", description = "convert again even when a converted model is cached (and replace it)")
    boolean fresh;

    @Option(names = "--out", paramLabel = "DIR", description = "keep converted models in DIR instead of the cache")
    Path out;

    @Override public Integer call() throws InterruptedException {
        Demo.Options options = new Demo.Options(steps == null ? DemoRecipe.DEFAULT_STEPS : steps,
                requests == null ? Demo.DEFAULT_REQUESTS : requests, fresh, out);
        Path cache = HubConfig.fromEnvironment().cacheRoot().resolve("demo");
        ProgressSink.Factory progress = (label, unit, total) -> {
            ProgressLine line = ProgressLine.onStderr(label, unit, total);
            return new ProgressSink() {
                @Override public void update(long done, String detail) { line.update(done, detail); }

                @Override public void finish(long done) { line.finish(done); }
            };
        };
        return new Demo(DemoAssets.fromEnvironment(), cache, System.out, System.err, progress).run(options);
    }
}
