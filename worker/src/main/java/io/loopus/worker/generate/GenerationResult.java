package io.loopus.worker.generate;

import io.loopus.worker.loop.TokenTrace;

import java.util.List;

/**
 * What one generation produced.
 *
 * @param promptIds    the encoded prompt (with BOS)
 * @param ids          the new tokens, stop token excluded
 * @param finishReason "stop" (a stop token), or "length" (max_new_tokens or the context)
 * @param seconds      wall time of the whole generation, prefill included
 * @param trace        per new token, how it went through the loop; null unless traced
 */
public record GenerationResult(int[] promptIds, int[] ids, String finishReason, double seconds, List<TokenTrace> trace) {}
