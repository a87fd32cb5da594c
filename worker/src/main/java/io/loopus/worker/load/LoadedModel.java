package io.loopus.worker.load;

import io.loopus.worker.model.CausalModel;
import io.loopus.worker.tokenizer.Tokenizer;

import java.nio.file.Path;

/**
 * A model ready to run (a plain {@link io.loopus.worker.model.LlamaModel} or a
 * {@link io.loopus.worker.loop.LoopusModel}), with the tokenizer that belongs to it and where both came from.
 *
 * @param format what was loaded, for logs: {@code llama2.c v1}, {@code huggingface llama},
 *               {@code loopus lds (llama) split 1:4 N=4}
 */
public record LoadedModel(CausalModel model, Tokenizer tokenizer, Path modelPath, Path tokenizerPath, String format) {}
