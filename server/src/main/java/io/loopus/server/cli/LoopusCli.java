package io.loopus.server.cli;

import io.loopus.worker.load.ModelFormatException;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/** The {@code loopus} command line. */
@Command(name = "loopus", mixinStandardHelpOptions = true, version = "loopus 0.1.0",
        description = "Looped depth up-scaling: convert, run and serve looped LLMs.",
        subcommands = {GenerateCommand.class, ScoreCommand.class, InitCommand.class, AnalyzeCommand.class, ConvertCommand.class, EvalCommand.class,
                ExportCommand.class, BenchCommand.class, LoopBenchCommand.class, ServeCommand.class, BatchCommand.class, DemoCommand.class,
                DevicesCommand.class})
public final class LoopusCli {
    public static void main(String[] args) {
        System.exit(run(args));
    }

    /** Runs the CLI and returns its exit code; user errors print one clear line, never a stack trace. */
    public static int run(String... args) {
        CommandLine cli = new CommandLine(new LoopusCli());
        cli.setExecutionExceptionHandler((ex, cmd, parsed) -> {
            if (ex instanceof com.typesafe.config.ConfigException) {
                cmd.getErr().println("loopus " + cmd.getCommandName() + ": error: configuration: " + ex.getMessage());
                return 2;
            }
            if (ex instanceof ModelFormatException || ex instanceof IllegalArgumentException
                    || ex instanceof java.io.UncheckedIOException) {
                cmd.getErr().println("loopus " + cmd.getCommandName() + ": error: " + ex.getMessage());
                return 2;
            }

            throw ex;
        });
        try {
            return cli.execute(args);
        } catch (OutOfMemoryError e) {
            System.err.println("loopus: error: out of memory (" + e.getMessage()
                    + "); give the JVM more heap, e.g. LOOPUS_JAVA_OPTS=-Xmx16g");
            return 3;
        }
    }
}
