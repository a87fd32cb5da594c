package io.loopus.worker.stage;

import io.loopus.worker.loop.ExitPolicy;

/**
 * Tokens of one sequence for the encoder: a piece of a prompt, or one decode token.
 *
 * @param seq       the scheduler's id of the sequence (every stage keys its caches by it)
 * @param startPos  the position of the first token; a sequence's pieces arrive in order, without gaps
 * @param last      whether this piece ends what goes on to the loop (the last piece of a prompt, or a
 *                  decode token): earlier pieces of a prompt wait in the encoder, so a prompt enters
 *                  the loop, and leaves it, as one unit (DESIGN §1)
 * @param allLogits whether the decoder returns logits for every row (scoring) or the last only
 * @param exit      the sequence's exit rule in the loop
 */
public record EncodeChunk(long seq, int startPos, int[] tokens, boolean last, boolean allLogits, ExitPolicy exit) {}
