package io.loopus.trainer.train;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.PropertyNamingStrategies;
import com.fasterxml.jackson.databind.node.ObjectNode;
import org.apache.pekko.Done;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.javadsl.Behaviors;

import java.io.BufferedWriter;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

/**
 * Records the run: one JSON line per update and per evaluation in {@code metrics.jsonl} (flushed
 * at once, so a killed run keeps what it measured), the listener's progress, and at the end the
 * HTML report.
 */
public final class Reporter {
    private Reporter() {}

    static final ObjectMapper SNAKE = new ObjectMapper().setPropertyNamingStrategy(PropertyNamingStrategies.SNAKE_CASE);

    public sealed interface Command {}

    public record Step(StepMetrics metrics) implements Command {}

    public record Eval(EvalResult result) implements Command {}

    public record Checkpointed(int step, Path dir) implements Command {}

    public record Info(String line) implements Command {}

    /** Writes the report, then answers. */
    public record Finish(ActorRef<Done> replyTo) implements Command {}

    /** @param writeReport turns the run directory's files into report.html */
    public static Behavior<Command> create(Path metricsFile, TrainingListener listener, int totalSteps, Runnable writeReport) {
        return Behaviors.setup(ctx -> {
            BufferedWriter out = Files.newBufferedWriter(metricsFile, StandardCharsets.UTF_8,
                    StandardOpenOption.CREATE, StandardOpenOption.APPEND);
            return Behaviors.receive(Command.class)
                    .onMessage(Step.class, s -> {
                        line(out, "step", SNAKE.valueToTree(s.metrics()));
                        listener.onStep(s.metrics(), totalSteps);
                        return Behaviors.same();
                    })
                    .onMessage(Eval.class, e -> {
                        ObjectNode r = SNAKE.valueToTree(e.result());
                        r.set("final", r.remove("last")); // the names metrics.jsonl readers expect
                        r.set("results", r.remove("rows"));
                        line(out, "eval", r);
                        listener.onEval(e.result());
                        return Behaviors.same();
                    })
                    .onMessage(Checkpointed.class, c -> {
                        listener.onCheckpoint(c.step(), c.dir());
                        return Behaviors.same();
                    })
                    .onMessage(Info.class, i -> {
                        listener.onInfo(i.line());
                        return Behaviors.same();
                    })
                    .onMessage(Finish.class, f -> {
                        out.close();
                        writeReport.run();
                        f.replyTo().tell(Done.getInstance());
                        return Behaviors.stopped();
                    })
                    .build();
        });
    }

    private static void line(BufferedWriter out, String type, ObjectNode fields) {
        ObjectNode o = SNAKE.createObjectNode().put("type", type);
        o.setAll(fields);
        try {
            out.write(SNAKE.writeValueAsString(o));
            out.newLine();
            out.flush();
        } catch (IOException e) {
            throw new UncheckedIOException("metrics.jsonl: cannot write: " + e.getMessage(), e);
        }
    }
}
