package io.loopus.worker.load;

import io.loopus.worker.model.LlamaModel;
import io.loopus.worker.tokenizer.Tokenizer;

import java.nio.file.Path;

/** A model ready to run, with the tokenizer that belongs to it and where both came from. */
public record LoadedModel(LlamaModel model, Tokenizer tokenizer, Path modelPath, Path tokenizerPath, String format) {}
