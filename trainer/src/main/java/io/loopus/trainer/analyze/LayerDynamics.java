package io.loopus.trainer.analyze;

/**
 * Per-layer means over calibration text; entry {@code l} describes the update layer {@code l}
 * makes, from h_l (its input; h_0 is the embedding) to h_{l+1}.
 *
 * @param tokens             positions that entered the means of cosine and relative update norm
 * @param predicted          positions with a next token (every position but each sequence's last)
 * @param cosine             mean over tokens of cos(h_l, h_{l+1})
 * @param relativeUpdateNorm mean over tokens of ||h_{l+1} - h_l|| / ||h_l||
 * @param logitLensAccuracy  fraction of predicted positions where argmax(head(norm(h_{l+1}))) is the next token
 */
public record LayerDynamics(long tokens, long predicted, double[] cosine, double[] relativeUpdateNorm,
                            double[] logitLensAccuracy) {

    public int layers() { return cosine.length; }
}
