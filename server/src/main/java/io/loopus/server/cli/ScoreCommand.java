package io.loopus.server.cli;

import io.loopus.worker.generate.Generator;
import io.loopus.worker.load.LoadedModel;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.Callable;

/** Mean next-token NLL and perplexity of a text (DESIGN §8 protocol). */
@Command(name = "score", mixinStandardHelpOptions = true, description = "Perplexity of a text.")
public final class ScoreCommand implements Callable<Integer> {
    @Mixin ModelOptions modelOptions;

    @Mixin LoopOptions loopOptions;

    @Option(names = "--text", required = true, description = "the text, encoded as one sequence with BOS")
    String text;

    @Option(names = "--json", description = "print tokens, nll, ppl and last_logits as JSON")
    boolean json;

    @Override public Integer call() {
        LoadedModel loaded = modelOptions.load();
        int[] ids = loaded.tokenizer().encode(text, true);
        Generator.Score s = new Generator(loopOptions.apply(loaded.model())).score(ids);
        if (json) {
            Map<String, Object> o = new LinkedHashMap<>();
            o.put("tokens", s.tokens());
            o.put("nll", s.nll());
            o.put("ppl", s.ppl());
            o.put("last_logits", s.lastLogits());
            if (!Double.isNaN(s.loops())) o.put("loops_mean", s.loops());
            System.out.println(Json.write(o));
        } else {
            System.out.printf("tokens %d  nll %.6f  ppl %.4f%s%n", s.tokens(), s.nll(), s.ppl(),
                    Double.isNaN(s.loops()) ? "" : String.format("  loops %.2f", s.loops()));
        }
        return 0;
    }
}
