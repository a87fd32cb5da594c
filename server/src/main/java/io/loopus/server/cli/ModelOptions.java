package io.loopus.server.cli;

import io.loopus.worker.load.LoadedModel;
import io.loopus.worker.load.ModelLoader;
import io.loopus.worker.tensor.CpuBackend;
import picocli.CommandLine.Option;

import java.nio.file.Path;

/** {@code --model} and {@code --tokenizer}, shared by every command that runs a model. */
public final class ModelOptions {
    @Option(names = "--model", required = true, paramLabel = "PATH",
            description = "a llama2.c .bin file or a Hugging Face model directory")
    Path model;

    @Option(names = "--tokenizer", paramLabel = "PATH",
            description = "tokenizer.bin or tokenizer.json (default: from the model's folder)")
    Path tokenizer;

    public LoadedModel load() {
        return ModelLoader.load(model, tokenizer, CpuBackend.INSTANCE);
    }
}
