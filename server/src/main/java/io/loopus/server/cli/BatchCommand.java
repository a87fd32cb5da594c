package io.loopus.server.cli;

import io.loopus.server.client.BatchInput;
import io.loopus.server.client.BatchRunner;
import io.loopus.server.client.Clients;
import io.loopus.server.client.GrpcErrors;
import io.loopus.server.client.ResultFile;
import io.loopus.server.client.ServerAddress;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutionException;

/** Runs a JSONL file of prompts through a server's BatchGenerate stream, resumably. */
@Command(name = "batch", mixinStandardHelpOptions = true, sortOptions = false,
        description = {"Send every prompt of a JSONL file (one {\"id\", \"prompt\", ...} per line) over one BatchGenerate"
                + " stream and append one result line per id to --output. Rerunning with the same --output skips ids"
                + " already there, so an interrupted run continues. Progress and the summary go to stderr.",
                "Exit code: 0 when every request was answered; 1 when the stream failed or requests met transient"
                        + " errors (rerun to continue); 2 for bad arguments."})
public final class BatchCommand implements Callable<Integer> {
    @Option(names = "--server", required = true, paramLabel = "HOST:PORT", description = "the loopus server")
    String server;

    @Option(names = "--input", required = true, paramLabel = "FILE",
            description = "prompts, one JSON object per line: id, prompt, and optionally max_new_tokens, temperature, top_k,"
                    + " top_p, repetition_penalty, seed, stop, loops, min_loops, exit, tau, trace")
    Path input;

    @Option(names = "--output", required = true, paramLabel = "FILE", description = "results, one JSON object per line (appended)")
    Path output;

    @Option(names = "--concurrency", defaultValue = "8", paramLabel = "C",
            description = "requests outstanding on the stream at once (default ${DEFAULT-VALUE})")
    int concurrency;

    @Option(names = "--max-new-tokens", defaultValue = "128", paramLabel = "N",
            description = "for lines without max_new_tokens (default ${DEFAULT-VALUE})")
    int maxNewTokens;

    @Override public Integer call() throws InterruptedException {
        if (concurrency <= 0) throw new IllegalArgumentException("--concurrency must be > 0, got " + concurrency);
        if (maxNewTokens <= 0) throw new IllegalArgumentException("--max-new-tokens must be > 0, got " + maxNewTokens);
        ServerAddress address = ServerAddress.parse(server);
        BatchInput in = BatchInput.read(input, maxNewTokens, System.err);
        BatchRunner.Counts counts = new BatchRunner.Counts();
        int code = 0, skipped = 0, todo = 0;
        try (ResultFile out = ResultFile.open(output, System.err)) {
            List<BatchInput.Entry> entries = in.entries().stream().filter(e -> !out.isFinished(e.id())).toList();
            skipped = in.entries().size() - entries.size();
            todo = entries.size();
            if (!entries.isEmpty()) {
                try (Clients clients = Clients.connect(address)) {
                    new BatchRunner(clients, out, System.err).run(entries, concurrency, counts);
                } catch (ExecutionException e) {
                    System.err.println("loopus batch: error: the stream to " + address + " failed: " + GrpcErrors.describe(e)
                            + "; the results written are kept in " + output + ": rerun the same command to continue");
                    code = 1;
                }
            }
        }
        int unanswered = todo - counts.answered();
        if (code == 0 && unanswered > 0) {
            System.err.println("loopus batch: error: the server ended the stream with " + unanswered
                    + " requests unanswered; rerun the same command to send them again");
            code = 1;
        }
        if (code == 0 && counts.retryable > 0) code = 1; // those ids are not in the output: a rerun sends them again
        System.err.printf("batch: %d done, %d skipped (already in %s), %d failed, %d malformed%s%n", counts.done, skipped,
                output, counts.failed + counts.retryable, in.malformed(),
                unanswered > 0 ? ", " + unanswered + " unanswered" : "");
        return code;
    }
}
