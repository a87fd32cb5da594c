package io.loopus.server.cli;

import io.loopus.worker.generate.GenerationResult;
import io.loopus.worker.generate.Generator;
import io.loopus.worker.generate.SamplingParams;
import io.loopus.worker.generate.StopStrings;
import io.loopus.worker.load.LoadedModel;
import io.loopus.worker.tokenizer.TextStream;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;

/** Streams a continuation of a prompt, or prints it as one JSON object. */
@Command(name = "generate", mixinStandardHelpOptions = true, description = "Continue a prompt.")
public final class GenerateCommand implements Callable<Integer> {
    @Mixin ModelOptions modelOptions;

    @Mixin LoopOptions loopOptions;

    @Option(names = "--trace", description = "show how each new token went through the loop (LoopUS models)")
    boolean trace;

    @Option(names = "--max-new-tokens", defaultValue = "256", description = "at most this many new tokens (default ${DEFAULT-VALUE})")
    int maxNewTokens;

    @Option(names = "--temperature", defaultValue = "0", description = "0 = greedy (default ${DEFAULT-VALUE})")
    float temperature;

    @Option(names = "--top-k", defaultValue = "0", description = "keep the k most likely tokens; 0 = all")
    int topK;

    @Option(names = "--top-p", defaultValue = "1", description = "nucleus sampling mass in (0, 1]")
    float topP;

    @Option(names = "--repetition-penalty", defaultValue = "1", description = "> 1 discourages repeats")
    float repetitionPenalty;

    @Option(names = "--seed", defaultValue = "42", description = "random seed (same seed, same output)")
    long seed;

    @Option(names = "--stop", paramLabel = "TEXT", description = "stop before this text (repeatable)")
    List<String> stop = new ArrayList<>();

    @Option(names = "--json", description = "print one JSON object instead of streaming text")
    boolean json;

    @Parameters(index = "0", paramLabel = "PROMPT", description = "the text to continue")
    String prompt;

    @Override public Integer call() {
        SamplingParams params = new SamplingParams(temperature, topK, topP, repetitionPenalty, seed);
        if (maxNewTokens <= 0) throw new IllegalArgumentException("--max-new-tokens must be > 0, got " + maxNewTokens);
        LoadedModel loaded = modelOptions.load();
        int[] promptIds = loaded.tokenizer().encode(prompt, true);
        Generator generator = new Generator(loopOptions.apply(loaded.model())).tracing(trace);
        PrintStream out = new PrintStream(System.out, true, StandardCharsets.UTF_8);
        TextStream stream = new TextStream(loaded.tokenizer());
        StopStrings stops = new StopStrings(stop);
        StringBuilder text = new StringBuilder();
        if (!json) {
            int prev = -1;
            for (int id : promptIds) {
                out.print(stream.push(prev, id));
                prev = id;
            }
            out.print(stream.flush());
        }
        GenerationResult r = generator.generate(promptIds, maxNewTokens, params, (prev, token) -> {
            emit(stops.push(stream.push(prev, token)), text, out);
            return !stops.stopped();
        });
        emit(stops.push(stream.flush()), text, out);
        emit(stops.flush(), text, out);
        if (json) {
            Map<String, Object> o = new LinkedHashMap<>();
            o.put("prompt_ids", r.promptIds());
            o.put("ids", r.ids());
            o.put("text", text.toString());
            o.put("finish_reason", r.finishReason());
            o.put("tokens_per_second", r.ids().length / r.seconds());
            if (r.trace() != null) o.put("trace", TraceTable.json(r.ids(), r.trace()));
            out.println(Json.write(o));
        } else {
            out.println();
            if (r.trace() != null) TraceTable.print(promptIds[promptIds.length - 1], r.ids(), r.trace(), loaded.tokenizer(), System.err);
            System.err.printf("%d tokens, %.1f tok/s (%s)%n", r.ids().length, r.ids().length / r.seconds(), r.finishReason());
        }
        return 0;
    }

    /** Streams a piece (text mode) and keeps it for the JSON result. */
    private void emit(String piece, StringBuilder text, PrintStream out) {
        text.append(piece);
        if (!json) out.print(piece);
    }
}
