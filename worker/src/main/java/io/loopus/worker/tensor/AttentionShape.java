package io.loopus.worker.tensor;

/**
 * Head geometry of an attention layer.
 *
 * @param channelOrder the order in which q·k sums a head's channels: RoPE pair by pair
 *                     ((0,1),(2,3),… interleaved; (0,h),(1,h+1),… rotate-half), so that a model and
 *                     its conversion to the other RoPE convention score bit-identically
 */
public record AttentionShape(int heads, int kvHeads, int headDim, int[] channelOrder) {
    public AttentionShape {
        if (channelOrder.length != headDim) throw new IllegalArgumentException("channel order must cover the head");
    }
}
