package io.loopus.server.demo;

import io.loopus.worker.generate.GenerationResult;
import io.loopus.worker.generate.Generator;
import io.loopus.worker.generate.SamplingParams;
import io.loopus.worker.loop.ExitPolicy;
import io.loopus.worker.loop.LoopusModel;
import io.loopus.worker.loop.TokenTrace;
import io.loopus.worker.tokenizer.Tokenizer;

import java.util.ArrayList;
import java.util.List;

/**
 * Generates offline (greedy, every token at the full depth N, tracing on) and returns each new
 * token's q after every loop step: what {@link TauChoice} replays the threshold rule over.
 */
public final class ExitProbe {
    private ExitProbe() {}

    public static List<float[]> trace(LoopusModel model, Tokenizer tokenizer, List<String> prompts, int newTokens) {
        ExitPolicy saved = model.exitPolicy();
        model.setExitPolicy(ExitPolicy.fixed(saved.maxLoops()));
        try {
            List<int[]> ids = prompts.stream().map(p -> tokenizer.encode(p, true)).toList();
            List<float[]> out = new ArrayList<>();
            for (GenerationResult r : new Generator(model).tracing(true).generateAll(ids, newTokens,
                    List.of(SamplingParams.greedy()), null)) {
                for (TokenTrace t : r.trace()) out.add(t.q());
            }
            return out;
        } finally {
            model.setExitPolicy(saved);
        }
    }
}
