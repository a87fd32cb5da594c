package io.loopus.worker.load;

import io.loopus.worker.model.LlamaModel;
import io.loopus.worker.tensor.Backend;
import io.loopus.worker.tokenizer.Llama2cTokenizer;
import io.loopus.worker.tokenizer.Tokenizer;

import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Resolves {@code --model} and {@code --tokenizer} (DESIGN §8): a llama2.c {@code .bin} file or a
 * Hugging Face model directory; the tokenizer from the flag, else the model directory, else a
 * {@code tokenizer.bin} beside a {@code .bin} file.
 */
public final class ModelLoader {
    private ModelLoader() {}

    public static LoadedModel load(Path model, Path tokenizer, Backend backend) {
        if (!Files.exists(model)) throw new ModelFormatException(model, "no such file or directory");
        if (Files.isDirectory(model)) return HfModelLoader.load(model, tokenizer, backend);
        Llama2cLoader.Checkpoint ckpt = Llama2cLoader.load(model);
        Path tokPath = tokenizer != null ? tokenizer : llama2cTokenizerBeside(model);
        Tokenizer tok = loadTokenizer(tokPath, ckpt.config().vocabSize());
        return new LoadedModel(new LlamaModel(ckpt.config(), ckpt.weights(), backend), tok, model, tokPath,
                "llama2.c v" + ckpt.version());
    }

    /** A tokenizer.bin (llama2.c) or tokenizer.json (Hugging Face) file. */
    public static Tokenizer loadTokenizer(Path path, int vocabSize) {
        if (!Files.isRegularFile(path)) throw new ModelFormatException(path, "tokenizer file not found");
        Tokenizer tok = path.getFileName().toString().endsWith(".json")
                ? HfTokenizer.load(path, 1)
                : Llama2cTokenizer.load(path, vocabSize);
        if (tok.vocabSize() > vocabSize) {
            throw new ModelFormatException(path, "tokenizer has " + tok.vocabSize() + " tokens but the model only "
                    + vocabSize);
        }
        return tok;
    }

    private static Path llama2cTokenizerBeside(Path model) {
        Path dir = model.toAbsolutePath().getParent();
        Path standard = dir.resolve("tokenizer.bin");
        if (Files.isRegularFile(standard)) return standard;
        try (var files = Files.list(dir)) {
            return files.filter(p -> p.getFileName().toString().matches("tok\\d+\\.bin")).sorted().findFirst()
                    .orElseThrow(() -> new ModelFormatException(model,
                            "no tokenizer given (--tokenizer) and no tokenizer.bin beside the model"));
        } catch (java.io.IOException e) {
            throw new ModelFormatException(model, "cannot list the model's folder: " + e.getMessage(), e);
        }
    }
}
