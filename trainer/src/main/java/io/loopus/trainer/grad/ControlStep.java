package io.loopus.trainer.grad;

import io.loopus.worker.model.LlamaConfig;
import io.loopus.worker.model.RopeTable;

import java.util.Arrays;

/**
 * One step of the control run (issue 4): plain fine-tuning of the same trainable set, without
 * loop, gate or confidence head, so that LoopUS gains can be told apart from fine-tuning.
 * <pre>
 * logits = D(R(h))      R = the reasoning layers applied once, D = the decoder layers, final norm, LM head
 * L      = CE(logits, y)
 * </pre>
 * R then D is the base model's own layer order, so this is next-token cross-entropy of the base
 * model from the frozen encoder's output h. The backward accumulates dL/dθ into the reasoning
 * and decoder layers, the final norm and the LM head; the gate and head gradients are not touched.
 *
 * <p>Memory is one pass: a tape per layer, sized once. Not thread-safe: one forward/backward pair at a time.
 */
public final class ControlStep {
    private final int dim, vocab, capacity, reasoningLayers;
    private final LayerGrad layer;
    private final RmsNorm finalNorm;
    private final Linear lmHead;
    private final CrossEntropy ce;
    private final LayerGrad.Tape[] tapes; // reasoning layers, then decoder layers
    // forward state
    private final float[] x, normed, finalInvRms, logits, lse, accuracy;
    // backward scratch
    private final float[] dLogits, dNormed, dA, dB;
    private BatchShape shape;
    private int[] labels;
    private double tokenAccuracy;

    /**
     * @param sequences the most sequences in a batch
     * @param length    the longest sequence (rows per sequence)
     */
    public ControlStep(LlamaConfig config, int reasoningLayers, int decoderLayers, int sequences, int length) {
        if (reasoningLayers < 1 || decoderLayers < 0) {
            throw new IllegalArgumentException(reasoningLayers + " reasoning and " + decoderLayers + " decoder layers");
        }
        this.dim = config.dim();
        this.vocab = config.vocabSize();
        this.capacity = sequences * length;
        this.reasoningLayers = reasoningLayers;
        this.layer = new LayerGrad(config, new RopeTable(config), sequences, length);
        this.finalNorm = new RmsNorm(dim, config.normEps());
        this.lmHead = new Linear(dim, vocab);
        this.ce = new CrossEntropy(vocab);
        this.tapes = new LayerGrad.Tape[reasoningLayers + decoderLayers];
        for (int l = 0; l < tapes.length; l++) tapes[l] = layer.newTape();
        x = rows(dim);
        normed = rows(dim);
        finalInvRms = rows(1);
        logits = rows(vocab);
        lse = rows(1);
        accuracy = new float[sequences];
        dLogits = rows(vocab);
        dNormed = rows(dim);
        dA = rows(dim);
        dB = rows(dim);
    }

    /**
     * The mean next-token cross-entropy over labelled rows of D(R(h)), from h (the frozen
     * encoder's output, rows x dim, read only) and labels per row ({@link CrossEntropy#IGNORE}
     * where there is none); keeps what the backward needs.
     */
    public double forward(TrainableParams p, BatchShape shape, float[] h, int[] labels) {
        int n = shape.rows();
        if (n > capacity || shape.sequences() > accuracy.length) {
            throw new IllegalArgumentException("batch of " + shape.sequences() + " x " + shape.length() + " exceeds the step's size");
        }
        checkLayers(p);
        this.shape = shape;
        this.labels = labels;
        System.arraycopy(h, 0, x, 0, n * dim);
        for (int l = 0; l < tapes.length; l++) layer.forward(params(p, l), shape, x, tapes[l], x);
        finalNorm.forward(x, n, dim, p.finalNorm(), normed, finalInvRms);
        lmHead.forward(normed, n, p.lmHead(), null, logits);
        tokenAccuracy = TokenAccuracy.perSequence(logits, vocab, labels, shape, accuracy);
        return ce.forward(logits, labels, n, lse);
    }

    /** Accumulates dL/dθ of the last forward (same parameters) into grads. */
    public void backward(TrainableParams p, TrainableParams grads) {
        if (shape == null) throw new IllegalStateException("backward before any forward");
        checkLayers(grads);
        int n = shape.rows();
        clear(dLogits, n * vocab);
        ce.backward(logits, lse, labels, n, 1, dLogits);
        clear(dNormed, n * dim);
        lmHead.backward(normed, dLogits, n, p.lmHead(), dNormed, grads.lmHead(), null);
        clear(dA, n * dim);
        finalNorm.backward(x, finalInvRms, dNormed, n, dim, p.finalNorm(), dA, grads.finalNorm());
        float[] cur = dA;
        for (int l = tapes.length - 1; l >= 0; l--) {
            float[] next = l == 0 ? null : cur == dA ? dB : dA; // h is frozen: no gradient past the first layer
            if (next != null) clear(next, n * dim);
            layer.backward(params(p, l), shape, tapes[l], cur, next, params(grads, l));
            cur = next;
        }
    }

    /** The argmax accuracy of the last forward over all labelled rows (0 when there are none). */
    public double tokenAccuracy() { return tokenAccuracy; }

    /** Layer l of the chain R then D. */
    private LayerParams params(TrainableParams p, int l) {
        return l < reasoningLayers ? p.reasoning()[l] : p.decoder()[l - reasoningLayers];
    }

    private void checkLayers(TrainableParams p) {
        if (p.reasoning().length != reasoningLayers || p.decoder().length != tapes.length - reasoningLayers) {
            throw new IllegalArgumentException(p.reasoning().length + " reasoning and " + p.decoder().length
                    + " decoder layers; this step was built for " + reasoningLayers + " and " + (tapes.length - reasoningLayers));
        }
    }

    private float[] rows(int width) { return new float[capacity * width]; }

    private static void clear(float[] a, int n) { Arrays.fill(a, 0, n, 0f); }
}
