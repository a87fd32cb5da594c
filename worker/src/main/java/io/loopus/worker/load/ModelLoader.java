package io.loopus.worker.load;

import io.loopus.worker.model.LlamaConfig;
import io.loopus.worker.model.LlamaModel;
import io.loopus.worker.model.LlamaWeights;
import io.loopus.worker.tensor.Backend;
import io.loopus.worker.tokenizer.Llama2cTokenizer;
import io.loopus.worker.tokenizer.Tokenizer;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;

/**
 * Resolves {@code --model} and {@code --tokenizer} (DESIGN §8): a llama2.c {@code .bin} file, a
 * Hugging Face model directory or a LoopUS checkpoint directory; the tokenizer from the flag, else the model directory, else one
 * beside a {@code .bin} file. The model's shape is read first, then the tokenizer is loaded, and
 * only then the weights, so that a missing or broken tokenizer fails fast.
 */
public final class ModelLoader {
    private ModelLoader() {}

    /** The model and its tokenizer; no tokenizer given or found is an error. */
    public static LoadedModel load(Path model, Path tokenizer, Backend backend) {
        return load(model, tokenizer, backend, true);
    }

    /**
     * The model, with its tokenizer when one is given or found; otherwise the result's tokenizer
     * and tokenizer path are null (for work that needs no text, such as timing).
     */
    public static LoadedModel loadWithOptionalTokenizer(Path model, Path tokenizer, Backend backend) {
        return load(model, tokenizer, backend, false);
    }

    private static LoadedModel load(Path model, Path tokenizer, Backend backend, boolean tokenizerRequired) {
        if (!Files.exists(model)) throw new ModelFormatException(model, "no such file or directory");
        if (LdsCheckpoint.isCheckpoint(model)) return loadLoopus(model, tokenizer, backend, tokenizerRequired);
        boolean hf = Files.isDirectory(model);
        LlamaConfig config = hf ? HfModelLoader.config(model) : Llama2cLoader.config(model);
        Path tokPath = tokenizer != null ? tokenizer : hf ? tokenizerIn(model) : tokenizerBeside(model, config.vocabSize());
        if (tokPath == null && tokenizerRequired) {
            throw new ModelFormatException(model, hf
                    ? "no tokenizer given (--tokenizer) and no tokenizer.json in the model directory"
                    : "no tokenizer given (--tokenizer) and no tokenizer.bin beside the model" + severalBeside(model));
        }
        Tokenizer tok = tokPath == null ? null : loadTokenizer(tokPath, config.vocabSize(), config.bosId());
        LlamaWeights weights;
        String format;
        if (hf) {
            weights = HfModelLoader.weights(model, config);
            format = "huggingface " + config.architecture();
        } else {
            Llama2cLoader.Checkpoint ckpt = Llama2cLoader.load(model);
            config = ckpt.config();
            weights = ckpt.weights();
            format = "llama2.c v" + ckpt.version();
        }
        return new LoadedModel(new LlamaModel(config, weights, backend), tok, model, tokPath, format);
    }

    /** A LoopUS checkpoint directory: its config, then its tokenizer (as for a Hugging Face directory), then its weights. */
    private static LoadedModel loadLoopus(Path dir, Path tokenizer, Backend backend, boolean tokenizerRequired) {
        LdsCheckpoint.Header header = LdsCheckpoint.header(dir);
        Path tokPath = tokenizer != null ? tokenizer : tokenizerIn(dir);
        if (tokPath == null && tokenizerRequired) {
            throw new ModelFormatException(dir, "no tokenizer given (--tokenizer) and no tokenizer.json in the checkpoint directory");
        }
        LlamaConfig base = header.base();
        Tokenizer tok = tokPath == null ? null : loadTokenizer(tokPath, base.vocabSize(), base.bosId());
        LdsCheckpoint.Loaded checkpoint = LdsCheckpoint.read(dir, header);
        return new LoadedModel(checkpoint.model(backend), tok, dir, tokPath, checkpoint.describe());
    }

    /**
     * A tokenizer.bin (llama2.c) or tokenizer.json (Hugging Face) file for a model of
     * {@code vocabSize} tokens whose BOS id is {@code bosId} (negative: none).
     */
    public static Tokenizer loadTokenizer(Path path, int vocabSize, int bosId) {
        if (!Files.isRegularFile(path)) throw new ModelFormatException(path, "tokenizer file not found");
        Tokenizer tok = path.getFileName().toString().endsWith(".json")
                ? HfTokenizer.load(path, bosId)
                : Llama2cTokenizer.load(path, vocabSize);
        if (tok.vocabSize() > vocabSize) {
            throw new ModelFormatException(path, "tokenizer has " + tok.vocabSize() + " tokens but the model only "
                    + vocabSize);
        }
        return tok;
    }

    /** tokenizer.json, else tokenizer.bin, in a model directory; null if neither. */
    private static Path tokenizerIn(Path dir) {
        for (String name : new String[] {"tokenizer.json", "tokenizer.bin"}) {
            Path p = dir.resolve(name);
            if (Files.isRegularFile(p)) return p;
        }
        return null;
    }

    /** tokenizer.bin beside a llama2.c model, else tok{vocab}.bin, else the only tok*.bin; null if none of these. */
    private static Path tokenizerBeside(Path model, int vocabSize) {
        Path dir = model.toAbsolutePath().getParent();
        for (String name : new String[] {"tokenizer.bin", "tok" + vocabSize + ".bin"}) {
            Path p = dir.resolve(name);
            if (Files.isRegularFile(p)) return p;
        }
        List<Path> candidates = tokBinsBeside(model);
        return candidates.size() == 1 ? candidates.get(0) : null;
    }

    private static List<Path> tokBinsBeside(Path model) {
        try (Stream<Path> files = Files.list(model.toAbsolutePath().getParent())) {
            return files.filter(p -> p.getFileName().toString().startsWith("tok")
                    && p.getFileName().toString().endsWith(".bin") && Files.isRegularFile(p)).sorted().toList();
        } catch (IOException e) {
            throw new ModelFormatException(model, "cannot list the model's folder: " + e.getMessage(), e);
        }
    }

    private static String severalBeside(Path model) {
        List<Path> candidates = tokBinsBeside(model);
        if (candidates.size() < 2) return "";
        return " (" + candidates.size() + " tok*.bin files there: "
                + String.join(", ", candidates.stream().map(p -> p.getFileName().toString()).toList())
                + "; choose one with --tokenizer)";
    }
}
