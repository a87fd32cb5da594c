package io.loopus.server.demo;

import io.loopus.trainer.analyze.Analysis;
import io.loopus.trainer.analyze.DecompositionAnalysis;
import io.loopus.trainer.analyze.DynamicsReport;
import io.loopus.trainer.analyze.LayerDynamics;
import io.loopus.worker.load.LoadedModel;
import io.loopus.worker.loop.Split;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * The decomposition analysis of the base model (what {@code analyze} runs): the split it chooses and
 * a few lines on the per-layer dynamics it was chosen from.
 */
public final class DemoAnalysis {
    public record Result(Split split, List<String> lines) {}

    private DemoAnalysis() {}

    /** Analyses {@code tokens} tokens of {@code data}, writes dynamics.json and dynamics.svg into {@code dir}. */
    public static Result run(LoadedModel base, Path data, long tokens, Path dir, ProgressSink.Factory progress) {
        ProgressSink line = progress.start("analyze", "tokens", tokens);
        Analysis a = DecompositionAnalysis.run(DecompositionAnalysis.baseModel(base.model()), base.modelPath().toString(),
                base.tokenizer(), data, tokens, done -> line.update(done, ""));
        line.finish(a.dynamics().tokens());
        DynamicsReport.write(a, dir);
        return new Result(a.choice().split(), lines(a));
    }

    static List<String> lines(Analysis a) {
        LayerDynamics d = a.dynamics();
        Split s = a.choice().split();
        List<String> out = new ArrayList<>();
        out.add(String.format(Locale.ROOT, "how much each layer changes the hidden state, over %d tokens of %d stories:",
                d.tokens(), a.stories()));
        out.add(String.format(Locale.ROOT, "%7s %12s %8s %10s", "layer", "rel-update", "cosine", "lens-acc"));
        for (int l = 0; l < d.layers(); l++) {
            String role = l < s.encoderEnd() ? "encoder" : l < s.decoderStart() ? "reasoning block (looped)" : "decoder";
            out.add(String.format(Locale.ROOT, "%7d %12.3f %8.3f %10.3f   %s", l, d.relativeUpdateNorm()[l], d.cosine()[l],
                    d.logitLensAccuracy()[l], role));
        }
        out.add(String.format(Locale.ROOT, "split %s: the longest inner run of layers with a relative update at most %.1f x the"
                + " median%s", s, io.loopus.trainer.analyze.SplitRule.MEDIAN_FACTOR, a.choice().fallback() ? " (none: the middle third)" : ""));
        return out;
    }
}
