package io.loopus.server.cli;

import io.loopus.trainer.analyze.Analysis;
import io.loopus.trainer.analyze.DecompositionAnalysis;
import io.loopus.trainer.analyze.DynamicsReport;
import io.loopus.trainer.analyze.LayerDynamics;
import io.loopus.worker.load.LoadedModel;
import io.loopus.worker.loop.Split;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.Callable;

/** Block decomposition of a base model (DESIGN §1): layer dynamics over calibration text and the split they suggest. */
@Command(name = "analyze", mixinStandardHelpOptions = true, sortOptions = false,
        description = {"Run a base model over calibration text layer by layer, measure how much each layer changes the"
                + " hidden state (cosine, relative update norm, logit-lens accuracy), and choose the reasoning block.",
                "Writes DIR/dynamics.json and DIR/dynamics.svg; prints the curves and the --split flag for init."})
public final class AnalyzeCommand implements Callable<Integer> {
    @Mixin ModelOptions modelOptions;

    @Option(names = "--data", required = true, paramLabel = "FILE",
            description = "calibration text: stories separated by lines <|endoftext|>, each encoded with BOS and cut to the context")
    Path data;

    @Option(names = "--tokens", defaultValue = "4096", paramLabel = "N",
            description = "tokens of calibration text to run, over all stories (default ${DEFAULT-VALUE})")
    long tokens;

    @Option(names = "--out", required = true, paramLabel = "DIR", description = "folder for dynamics.json and dynamics.svg (created)")
    Path out;

    @Override public Integer call() {
        if (tokens < 1) throw new IllegalArgumentException("--tokens must be >= 1, got " + tokens);
        if (Files.exists(out) && !Files.isDirectory(out)) {
            throw new IllegalArgumentException("--out " + out + ": exists and is not a directory");
        }
        DecompositionAnalysis.checkData(data); // before the model loads
        LoadedModel loaded = modelOptions.load();
        ProgressLine progress = ProgressLine.onStderr("analyze", "tokens", tokens);
        Analysis a = DecompositionAnalysis.run(loaded.model(), modelOptions.model.toString(), loaded.tokenizer(), data, tokens,
                progress::update);
        progress.finish(a.dynamics().tokens());
        DynamicsReport.write(a, out);
        System.out.print(summary(a));
        System.err.println("wrote " + out.resolve(DynamicsReport.JSON) + " and " + out.resolve(DynamicsReport.SVG));
        return 0;
    }

    static String summary(Analysis a) {
        LayerDynamics d = a.dynamics();
        Split s = a.choice().split();
        StringBuilder sb = new StringBuilder();
        sb.append(String.format("%d tokens of %d stories, %d predicted positions, %.1f s%n", d.tokens(), a.stories(),
                d.predicted(), a.seconds()));
        sb.append(String.format("%5s  %10s  %10s  %10s%n", "layer", "cosine", "rel-update", "lens-acc"));
        for (int l = 0; l < d.layers(); l++) {
            sb.append(String.format("%5d  %10.4f  %10.4f  %10.4f%s%n", l, d.cosine()[l], d.relativeUpdateNorm()[l],
                    d.logitLensAccuracy()[l], l >= s.encoderEnd() && l < s.decoderStart() ? "  reasoning" : ""));
        }
        sb.append(String.format("split %s: encoder [0, %d), reasoning block [%d, %d), decoder [%d, %d)%n", s, s.encoderEnd(),
                s.encoderEnd(), s.decoderStart(), s.decoderStart(), s.layers()));
        sb.append("rule: ").append(a.choice().rule()).append(System.lineSeparator());
        sb.append("flags: ").append(a.choice().flags()).append(System.lineSeparator());
        return sb.toString();
    }
}
