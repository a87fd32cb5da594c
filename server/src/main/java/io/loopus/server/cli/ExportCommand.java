package io.loopus.server.cli;

import io.loopus.worker.load.HfExporter;
import io.loopus.worker.load.LdsCheckpoint;
import io.loopus.worker.load.LoadedModel;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

import java.nio.file.Path;
import java.util.concurrent.Callable;

/** Writes a model in another format; today a Hugging Face Llama directory. */
@Command(name = "export", mixinStandardHelpOptions = true,
        description = "Write a model (e.g. a llama2.c .bin) as a Hugging Face Llama directory.")
public final class ExportCommand implements Callable<Integer> {
    @Mixin ModelOptions modelOptions;

    @Option(names = "--format", required = true, paramLabel = "FORMAT", description = "output format: hf")
    String format;

    @Option(names = "--out", required = true, paramLabel = "DIR",
            description = "the directory to create (must not exist, or be empty)")
    Path out;

    @Override public Integer call() {
        if (!format.equals("hf")) {
            throw new IllegalArgumentException("--format " + format + " is not supported (supported: hf)");
        }
        HfExporter.checkTarget(out.toAbsolutePath().normalize()); // before a long load
        if (LdsCheckpoint.isCheckpoint(modelOptions.model)) {
            throw new IllegalArgumentException(modelOptions.model + ": is a LoopUS checkpoint (model_type \"lds\"); "
                    + "export --format hf writes plain Llama models, and a looped reasoning block has no Hugging Face Llama equivalent");
        }
        LoadedModel loaded = modelOptions.load();
        HfExporter.export(loaded, out);
        System.err.println("wrote " + out.toAbsolutePath().normalize() + " (from " + loaded.format() + ")");
        return 0;
    }
}
