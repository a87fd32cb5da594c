package io.loopus.trainer.grad;

import io.loopus.worker.loop.ConfidenceHead;

import java.util.Arrays;

/**
 * The confidence head's logit (DESIGN §1) for each sequence: {@code weight . LayerNorm(u) + bias}
 * on u = r - h at the sequence's last valid row. The sigmoid is left to the loss
 * ({@link BceWithLogits}). The {@link Tape} keeps the gathered u rows and their normalisation.
 */
public final class HeadGrad {
    /** u and normed are sequences x H; mean and invStd one per sequence. */
    public record Tape(float[] u, float[] normed, float[] mean, float[] invStd) {}

    private final int hidden;
    private final int capacity;
    private final LayerNorm norm;
    private final Linear proj;
    private final float[] dNormed, du; // backward scratch

    public HeadGrad(int hidden, int maxSequences) {
        this.hidden = hidden;
        this.capacity = maxSequences;
        this.norm = new LayerNorm(hidden, ConfidenceHead.NORM_EPS);
        this.proj = new Linear(hidden, 1);
        this.dNormed = new float[maxSequences * hidden];
        this.du = new float[maxSequences * hidden];
    }

    public Tape newTape() {
        return new Tape(new float[capacity * hidden], new float[capacity * hidden], new float[capacity], new float[capacity]);
    }

    /** logits[b] for each sequence b of the shape, from the rows of r and h (rows x H). */
    public void forward(HeadParams p, float[] r, float[] h, BatchShape shape, Tape tape, float[] logits) {
        int n = shape.sequences();
        for (int b = 0; b < n; b++) {
            int row = shape.lastRow(b) * hidden;
            for (int c = 0; c < hidden; c++) tape.u()[b * hidden + c] = r[row + c] - h[row + c];
        }
        norm.forward(tape.u(), n, p.normWeight(), p.normBias(), tape.normed(), tape.mean(), tape.invStd());
        proj.forward(tape.normed(), n, p.weight(), p.bias(), logits);
    }

    /** From dLogits (one per sequence): the head's gradients, and dr += du, dh -= du at each last row. */
    public void backward(HeadParams p, BatchShape shape, Tape tape, float[] dLogits, float[] dr, float[] dh,
                         HeadParams grads) {
        int n = shape.sequences();
        Arrays.fill(dNormed, 0, n * hidden, 0f);
        proj.backward(tape.normed(), dLogits, n, p.weight(), dNormed, grads.weight(), grads.bias());
        Arrays.fill(du, 0, n * hidden, 0f);
        norm.backward(tape.u(), tape.mean(), tape.invStd(), dNormed, n, p.normWeight(), du, grads.normWeight(),
                grads.normBias());
        for (int b = 0; b < n; b++) {
            int row = shape.lastRow(b) * hidden;
            for (int c = 0; c < hidden; c++) {
                dr[row + c] += du[b * hidden + c];
                dh[row + c] -= du[b * hidden + c];
            }
        }
    }
}
