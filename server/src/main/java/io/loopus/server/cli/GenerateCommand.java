package io.loopus.server.cli;

import io.loopus.worker.generate.GenerationResult;
import io.loopus.worker.generate.Generator;
import io.loopus.worker.generate.SamplingParams;
import io.loopus.worker.generate.StopStrings;
import io.loopus.worker.load.LoadedModel;
import io.loopus.worker.tokenizer.TextStream;
import io.loopus.server.client.RemoteGenerate;
import io.loopus.server.client.RequestOptions;
import io.loopus.server.client.ServerAddress;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;

/** Streams a continuation of a prompt, or prints it as one JSON object; runs the model here or asks a server. */
@Command(name = "generate", mixinStandardHelpOptions = true, description = "Continue a prompt.")
public final class GenerateCommand implements Callable<Integer> {
    /** Either a model to load here or a server to ask. */
    static final class Target {
        @ArgGroup(exclusive = false)
        ModelOptions model;

        @Option(names = "--server", paramLabel = "HOST:PORT", description = "ask a loopus server instead of loading a model")
        String server;
    }

    @ArgGroup(exclusive = true, multiplicity = "1")
    Target target;

    @Spec CommandSpec spec;

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

    @Override public Integer call() throws InterruptedException {
        SamplingParams params = new SamplingParams(temperature, topK, topP, repetitionPenalty, seed);
        if (maxNewTokens <= 0) throw new IllegalArgumentException("--max-new-tokens must be > 0, got " + maxNewTokens);
        if (target.server != null) return callServer();
        LoadedModel loaded = target.model.load();
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

    /** The same flags as a GenerateRequest; the server validates their values. */
    private int callServer() throws InterruptedException {
        ServerAddress address = ServerAddress.parse(target.server);
        for (String offlineOnly : new String[] {"--split", "--init-seed", "--kv-policy"}) {
            if (spec.commandLine().getParseResult().hasMatchedOption(offlineOnly)) {
                throw new IllegalArgumentException(offlineOnly + " applies to a model loaded here; the server's model "
                        + "has its own (drop it with --server)");
            }
        }
        RequestOptions options = new RequestOptions(maxNewTokens, temperature, topK, topP, repetitionPenalty, seed, stop,
                loopOptions.loops, loopOptions.minLoops, loopOptions.exit, loopOptions.tau, trace);
        return new RemoteGenerate(address, json, new PrintStream(System.out, true, StandardCharsets.UTF_8), System.err)
                .run(prompt, options.toRequest(prompt));
    }

    /** Streams a piece (text mode) and keeps it for the JSON result. */
    private void emit(String piece, StringBuilder text, PrintStream out) {
        text.append(piece);
        if (!json) out.print(piece);
    }
}
