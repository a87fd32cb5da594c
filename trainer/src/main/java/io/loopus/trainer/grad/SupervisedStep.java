package io.loopus.trainer.grad;

import io.loopus.worker.model.LlamaConfig;
import io.loopus.worker.model.RopeTable;

import java.util.Arrays;

/**
 * One supervised step of random deep supervision (DESIGN §1), forward and backward:
 * <pre>
 * h0 = detach(h);  h1 = step(h0);  h2 = step(h1)            step = reasoning layers, then the gate
 * q_logit = head(u = R(h1) - h1 at each sequence's last valid row)
 * L = CE(D(h2), y) + beta SiLU(CE(D(h2), y) - stopgrad(CE(D(h0), y))) + BCEWithLogits(q_logit, acc)
 * </pre>
 * where acc is, per sequence, the fraction of labelled rows whose argmax of D(h2) is the label (a
 * constant target). The backward accumulates the gradient of L into the trainable parameters.
 *
 * <p>Memory is that of the two-pass window and nothing more: one tape per reasoning layer for each
 * of the two steps, one per decoder layer (reused by the no-gradient D(h0)), two gate tapes and
 * one head tape, all sized once. Not thread-safe: one forward/backward pair at a time.
 */
public final class SupervisedStep {
    /**
     * @param total         L
     * @param lm            CE(D(h2), y)
     * @param monotone      SiLU(lm - lmBefore), unweighted
     * @param confidence    the BCE term
     * @param lmBefore      CE(D(h0), y), the constant baseline
     * @param tokenAccuracy argmax accuracy of D(h2) over all labelled rows
     */
    public record Losses(double total, double lm, double monotone, double confidence, double lmBefore, double tokenAccuracy) {}

    private final int dim, vocab, capacity;
    private final double beta;
    private final LayerGrad layer;
    private final GateGrad gate;
    private final HeadGrad head;
    private final RmsNorm finalNorm;
    private final Linear lmHead;
    private final CrossEntropy ce;
    private final LayerGrad.Tape[] step1, step2, decoder;
    private final GateGrad.Tape gate1, gate2;
    private final HeadGrad.Tape headTape;
    // forward state
    private final float[] state, r, dec, normed, finalInvRms, logits, lse, qLogits, targets;
    // backward scratch
    private final float[] dLogits, dNormed, dR, dState, dH, dA, dB, dQ;
    private BatchShape shape;
    private int[] labels;
    private double lm, lmBefore;

    /**
     * @param sequences the most sequences in a batch
     * @param length    the longest sequence (rows per sequence)
     * @param beta      the weight of the monotone term (1 in the reference)
     */
    public SupervisedStep(LlamaConfig config, int reasoningLayers, int decoderLayers, int sequences, int length, double beta) {
        this.dim = config.dim();
        this.vocab = config.vocabSize();
        this.capacity = sequences * length;
        this.beta = beta;
        this.layer = new LayerGrad(config, new RopeTable(config), sequences, length);
        this.gate = new GateGrad(dim, capacity);
        this.head = new HeadGrad(dim, sequences);
        this.finalNorm = new RmsNorm(dim, config.normEps());
        this.lmHead = new Linear(dim, vocab);
        this.ce = new CrossEntropy(vocab);
        this.step1 = tapes(reasoningLayers);
        this.step2 = tapes(reasoningLayers);
        this.decoder = tapes(decoderLayers);
        this.gate1 = gate.newTape();
        this.gate2 = gate.newTape();
        this.headTape = head.newTape();
        state = rows(dim);
        r = rows(dim);
        dec = rows(dim);
        normed = rows(dim);
        finalInvRms = rows(1);
        logits = rows(vocab);
        lse = rows(1);
        qLogits = new float[sequences];
        targets = new float[sequences];
        dLogits = rows(vocab);
        dNormed = rows(dim);
        dR = rows(dim);
        dState = rows(dim);
        dH = rows(dim);
        dA = rows(dim);
        dB = rows(dim);
        dQ = new float[sequences];
    }

    /**
     * Runs the window from h (the state entering the step, rows x dim, read only; it may be
     * {@link #state()}, to continue from the last step's h2) with next-token labels per row
     * ({@link CrossEntropy#IGNORE} where there is none) and keeps what the backward needs.
     */
    public Losses forward(TrainableParams p, BatchShape shape, float[] h, int[] labels) {
        int n = shape.rows();
        if (n > capacity || shape.sequences() > qLogits.length) {
            throw new IllegalArgumentException("batch of " + shape.sequences() + " x " + shape.length() + " exceeds the step's size");
        }
        this.shape = shape;
        this.labels = labels;
        System.arraycopy(h, 0, state, 0, n * dim);
        lmBefore = decode(p, n); // no gradient: the decoder's tapes are reused below
        reason(p, step1, n);
        gate.forward(p.gate(), r, state, n, gate1, state);
        reason(p, step2, n);
        head.forward(p.head(), r, state, shape, headTape, qLogits);
        gate.forward(p.gate(), r, state, n, gate2, state);
        lm = decode(p, n);
        double accuracy = TokenAccuracy.perSequence(logits, vocab, labels, shape, targets);
        double monotone = Silu.value(lm - lmBefore);
        double confidence = BceWithLogits.forward(qLogits, targets, shape.sequences());
        return new Losses(lm + beta * monotone + confidence, lm, monotone, confidence, lmBefore, accuracy);
    }

    /** Accumulates dL/dθ of the last forward (same parameters) into grads. */
    public void backward(TrainableParams p, TrainableParams grads) {
        if (shape == null) throw new IllegalStateException("backward before any forward");
        int n = shape.rows();
        // L through D(h2): dL/dlm = 1 + beta SiLU'(lm - lmBefore)
        clear(dLogits, n * vocab);
        ce.backward(logits, lse, labels, n, 1 + beta * Silu.derivative(lm - lmBefore), dLogits);
        clear(dNormed, n * dim);
        lmHead.backward(normed, dLogits, n, p.lmHead(), dNormed, grads.lmHead(), null);
        clear(dR, n * dim);
        finalNorm.backward(dec, finalInvRms, dNormed, n, dim, p.finalNorm(), dR, grads.finalNorm());
        clear(dState, n * dim);
        layersBackward(p.decoder(), decoder, grads.decoder(), dR, dState);
        // second step: the gate, the head on u2 = r2 - h1, the reasoning layers
        clear(dR, n * dim);
        clear(dH, n * dim);
        gate.backward(p.gate(), n, gate2, dState, dR, dH, grads.gate());
        Arrays.fill(dQ, 0);
        BceWithLogits.backward(qLogits, targets, shape.sequences(), 1, dQ);
        head.backward(p.head(), shape, headTape, dQ, dR, dH, grads.head());
        layersBackward(p.reasoning(), step2, grads.reasoning(), dR, dH);
        // first step: h0 is detached, so nothing flows past the reasoning layers' input
        clear(dR, n * dim);
        gate.backward(p.gate(), n, gate1, dH, dR, null, grads.gate());
        layersBackward(p.reasoning(), step1, grads.reasoning(), dR, null);
    }

    /** h2, the state to continue from (detached): the first rows x dim values. */
    public float[] state() { return state; }

    /** The confidence head's logit per sequence, from the last forward. */
    public float[] qLogits() { return qLogits; }

    /** The confidence targets (per-sequence argmax accuracy of D(h2)), from the last forward. */
    public float[] targets() { return targets; }

    /** r = the reasoning layers applied to state. */
    private void reason(TrainableParams p, LayerGrad.Tape[] tapes, int n) {
        System.arraycopy(state, 0, r, 0, n * dim);
        for (int l = 0; l < tapes.length; l++) layer.forward(p.reasoning()[l], shape, r, tapes[l], r);
    }

    /** The decoder on state: logits, and their mean cross-entropy. */
    private double decode(TrainableParams p, int n) {
        System.arraycopy(state, 0, dec, 0, n * dim);
        for (int l = 0; l < decoder.length; l++) layer.forward(p.decoder()[l], shape, dec, decoder[l], dec);
        finalNorm.forward(dec, n, dim, p.finalNorm(), normed, finalInvRms);
        lmHead.forward(normed, n, p.lmHead(), null, logits);
        return ce.forward(logits, labels, n, lse);
    }

    /** Back through a run of layers from dOut (left unchanged): dIn += the gradient of its input (null: not wanted). */
    private void layersBackward(LayerParams[] ws, LayerGrad.Tape[] tapes, LayerParams[] grads, float[] dOut, float[] dIn) {
        int n = shape.rows();
        if (tapes.length == 0) { // a decoder of no layers passes the gradient through
            if (dIn != null) Residual.backward(dOut, n * dim, dIn, null);
            return;
        }
        float[] cur = dOut;
        for (int l = tapes.length - 1; l >= 0; l--) {
            float[] next = l == 0 ? dIn : cur == dA ? dB : dA;
            if (l > 0) clear(next, n * dim);
            layer.backward(ws[l], shape, tapes[l], cur, next, grads[l]);
            cur = next;
        }
    }

    private LayerGrad.Tape[] tapes(int count) {
        LayerGrad.Tape[] t = new LayerGrad.Tape[count];
        for (int i = 0; i < count; i++) t[i] = layer.newTape();
        return t;
    }

    private float[] rows(int width) { return new float[capacity * width]; }

    private static void clear(float[] a, int n) { Arrays.fill(a, 0, n, 0f); }
}
