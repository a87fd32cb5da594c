package io.loopus.worker.model;

/** How RoPE pairs the channels of a head. */
public enum RopeConvention {
    /** Pairs (0,1),(2,3),… as llama2.c and Meta's original code rotate them. */
    INTERLEAVED,
    /** Pairs (i, i + headDim/2) as Hugging Face's rotate_half does. */
    HALF
}
