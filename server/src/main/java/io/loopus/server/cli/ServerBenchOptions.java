package io.loopus.server.cli;

import io.loopus.server.client.PromptSet;
import io.loopus.server.client.RequestOptions;
import picocli.CommandLine.Option;

import java.nio.file.Path;
import java.util.List;

/** The flags of {@code bench --server}: load shape, prompts, and what each request asks for. */
final class ServerBenchOptions {
    @Option(names = "--concurrency", paramLabel = "C", description = "requests in flight at once (default 8)")
    int concurrency = 8;

    @Option(names = "--requests", paramLabel = "R", description = "requests to send in all (default 64)")
    int requests = 64;

    @Option(names = "--max-new-tokens", paramLabel = "N", description = "new tokens per request (default 64)")
    int maxNewTokens = 64;

    @Option(names = "--prompt", paramLabel = "TEXT", description = "send this prompt every time (default: 16 story openings, cycled)")
    String prompt;

    @Option(names = "--prompts", paramLabel = "FILE", description = "cycle through these prompts, one per line")
    Path prompts;

    @Option(names = "--temperature", paramLabel = "T", description = "sampling temperature (default: the server's, greedy)")
    Float temperature;

    @Option(names = "--top-k", paramLabel = "K", description = "top-k cut (default: none)")
    Integer topK;

    @Option(names = "--top-p", paramLabel = "P", description = "top-p cut (default: none)")
    Float topP;

    @Option(names = "--repetition-penalty", paramLabel = "R", description = "repetition penalty (default: none)")
    Float repetitionPenalty;

    @Option(names = "--loops", paramLabel = "N", description = "at most N loops (default: the server model's)")
    Integer loops;

    @Option(names = "--min-loops", paramLabel = "M", description = "no exit before M loops")
    Integer minLoops;

    @Option(names = "--exit", paramLabel = "POLICY", description = "fixed, threshold, cdf or convergence")
    String exit;

    @Option(names = "--tau", paramLabel = "X", description = "threshold for threshold and cdf exits")
    Double tau;

    @Option(names = "--trace", description = "ask for per-token exit depths and report their histogram")
    boolean trace;

    PromptSet promptSet() {
        if (prompt != null && prompts != null) throw new IllegalArgumentException("give --prompt or --prompts, not both");
        if (prompt != null) return new PromptSet(List.of(prompt));
        return prompts != null ? PromptSet.fromFile(prompts) : PromptSet.DEFAULT;
    }

    RequestOptions requestOptions(Long seed) {
        if (maxNewTokens <= 0) throw new IllegalArgumentException("--max-new-tokens must be > 0, got " + maxNewTokens);
        return new RequestOptions(maxNewTokens, temperature, topK, topP, repetitionPenalty, seed, List.of(),
                loops, minLoops, exit, tau, trace);
    }
}
