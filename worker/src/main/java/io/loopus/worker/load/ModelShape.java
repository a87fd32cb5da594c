package io.loopus.worker.load;

import io.loopus.worker.loop.Split;
import io.loopus.worker.model.LlamaConfig;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.stream.Stream;

/**
 * What a model will take, read from its headers only (no weight is read): its shape, its LoopUS
 * split and loop count (null and 0 for a base model), and the bytes of its weight files, which
 * loopus keeps in their dtype, so a device's share of them can be checked before anything loads.
 */
public record ModelShape(LlamaConfig config, Split split, int loops, long weightBytes) {

    public static ModelShape of(Path model) {
        if (!Files.exists(model)) throw new ModelFormatException(model, "no such file or directory");
        if (LdsCheckpoint.isCheckpoint(model)) {
            LdsCheckpoint.Header h = LdsCheckpoint.header(model);
            return new ModelShape(h.base(), h.loop().split(), h.loop().loops(), safetensorsBytes(model));
        }
        if (Files.isDirectory(model)) return new ModelShape(HfModelLoader.config(model), null, 0, safetensorsBytes(model));
        LlamaConfig c = Llama2cLoader.config(model);
        try {
            return new ModelShape(c, null, 0, Files.size(model));
        } catch (IOException e) {
            throw new ModelFormatException(model, "cannot read: " + e.getMessage(), e);
        }
    }

    private static long safetensorsBytes(Path dir) {
        try (Stream<Path> files = Files.list(dir)) {
            long sum = 0;
            for (Path p : files.filter(p -> p.getFileName().toString().endsWith(".safetensors")).toList()) sum += Files.size(p);
            return sum;
        } catch (IOException e) {
            throw new ModelFormatException(dir, "cannot list the model's files: " + e.getMessage(), e);
        }
    }
}
