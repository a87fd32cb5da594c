package io.loopus.trainer.train;

import io.loopus.trainer.grad.BatchShape;
import io.loopus.trainer.grad.ControlStep;
import io.loopus.trainer.grad.GateGrad;
import io.loopus.trainer.grad.LayerGrad;
import io.loopus.trainer.grad.SupervisedStep;
import io.loopus.trainer.grad.TrainableParams;
import io.loopus.worker.model.LayerStack;
import io.loopus.worker.model.LayerWeights;
import io.loopus.worker.model.LlamaConfig;
import io.loopus.worker.model.PagedKvCache;
import io.loopus.worker.model.RopeTable;
import io.loopus.worker.tensor.Backend;
import io.loopus.worker.tensor.CpuBackend;
import io.loopus.worker.tensor.CpuTensor;

import java.util.Arrays;

/**
 * The work of one gradient worker: advances a micro-batch stream to its next supervised window
 * (encoder for a new batch, gradient-free loop iterations) and computes that window's losses and
 * gradients. Deterministic: the result depends only on the weights and the stream's state, never
 * on which worker runs it. Not thread-safe: one window at a time.
 */
public final class WindowWorker {
    /** What one window produced; {@code grads} is the buffer the caller passed in. */
    public record Result(int slot, SupervisedStep.Losses losses, int tokens, TrainableParams grads) {}

    private final TrainingModel model;
    private final TrainConfig cfg;
    private final LlamaConfig c;
    private final SupervisedStep step;
    private final ControlStep control; // the control run's step instead; null in a LoopUS run
    private final LayerGrad layer;
    private final LayerGrad.Tape tape;
    private final GateGrad gate;
    private final GateGrad.Tape gateTape;
    private final LayerStack encoder;
    private final PagedKvCache encoderCache;
    private final int[][] tables;
    private final int[] positions;
    private final CpuTensor x;
    private final float[] r;

    public WindowWorker(TrainingModel model, TrainConfig cfg) {
        this.model = model;
        this.cfg = cfg;
        this.c = model.config();
        int rows = cfg.batch() * cfg.seqLen();
        RopeTable rope = new RopeTable(c);
        step = cfg.control() ? null
                : new SupervisedStep(c, model.split().reasoningLayers(), model.split().decoderLayers(), cfg.batch(), cfg.seqLen(), cfg.beta());
        control = cfg.control()
                ? new ControlStep(c, model.split().reasoningLayers(), model.split().decoderLayers(), cfg.batch(), cfg.seqLen()) : null;
        layer = new LayerGrad(c, rope, cfg.batch(), cfg.seqLen());
        tape = layer.newTape();
        gate = new GateGrad(c.dim(), rows);
        gateTape = gate.newTape();
        LayerWeights[] frozen = Arrays.copyOfRange(model.base().layers(), 0, model.split().encoderEnd());
        encoder = new LayerStack(c, frozen, rope, CpuBackend.INSTANCE);
        encoderCache = new PagedKvCache(frozen.length, c.kvHeads(), c.headDim(), PagedKvCache.DEFAULT_BLOCK_SIZE,
                cfg.batch() * (cfg.seqLen() + PagedKvCache.DEFAULT_BLOCK_SIZE));
        tables = new int[rows][];
        positions = new int[rows];
        x = new CpuTensor(rows, c.dim());
        r = new float[rows * c.dim()];
    }

    /**
     * Runs the stream to the end of its next supervised window (the stream must hold a batch) and
     * writes the window's gradients into {@code grads}, which is overwritten.
     */
    public Result window(SlotState s, TrainableParams grads) {
        BatchShape shape = new BatchShape(cfg.batch(), cfg.seqLen(), s.batch.valid());
        TrainableParams p = model.params();
        if (control != null) return controlWindow(s, shape, p, grads);
        while (!s.isSupervised(s.next)) {
            if (s.next >= cfg.reasoningSteps()) {
                throw new IllegalStateException("micro-batch stream " + s.slot + " has no supervised iteration left in round " + s.round);
            }
            advance(p, shape, s.h);
            s.next++;
        }
        zero(grads);
        SupervisedStep.Losses losses = step.forward(p, shape, s.h, s.batch.labels());
        step.backward(p, grads);
        System.arraycopy(step.state(), 0, s.h, 0, s.h.length);
        s.next++;
        s.windowsDone++;
        return new Result(s.slot, losses, tokens(s), grads);
    }

    /** The control run: one plain cross-entropy step of D(R(E(x))) per micro-batch. */
    private Result controlWindow(SlotState s, BatchShape shape, TrainableParams p, TrainableParams grads) {
        zero(grads);
        double ce = control.forward(p, shape, s.h, s.batch.labels());
        control.backward(p, grads);
        s.next++;
        s.windowsDone++;
        return new Result(s.slot, new SupervisedStep.Losses(ce, ce, 0, 0, Double.NaN, control.tokenAccuracy()),
                tokens(s), grads);
    }

    private static int tokens(SlotState s) {
        int tokens = 0;
        for (int v : s.batch.valid()) tokens += v;
        return tokens;
    }

    /** Gives the stream its next batch: the frozen encoder's output and the round's supervised iterations. */
    public void start(SlotState s, MicroBatch batch) {
        s.round++;
        s.batch = batch;
        s.next = 0;
        s.windowsDone = 0;
        s.supervised = cfg.control() ? new int[] {0}
                : SlotState.sampleSupervised(cfg.seed(), batch.index(), cfg.reasoningSteps(), cfg.supervision());
        s.h = encode(batch);
    }

    /** E(x): embedding and encoder layers, every sequence from position 0 (inference kernels; frozen). */
    private float[] encode(MicroBatch batch) {
        Backend cpu = CpuBackend.INSTANCE;
        int rows = cfg.batch() * cfg.seqLen();
        cpu.embed(model.base().embedding(), batch.inputs(), rows, x);
        int[] seqs = new int[cfg.batch()];
        for (int b = 0; b < cfg.batch(); b++) {
            seqs[b] = encoderCache.newSequence();
            encoderCache.grow(seqs[b], cfg.seqLen());
            for (int t = 0; t < cfg.seqLen(); t++) {
                tables[b * cfg.seqLen() + t] = encoderCache.blockTable(seqs[b]);
                positions[b * cfg.seqLen() + t] = t;
            }
        }
        encoder.run(x, rows, positions, tables, encoderCache);
        for (int seq : seqs) encoderCache.free(seq);
        return Arrays.copyOf(x.data(), rows * c.dim());
    }

    /** One loop iteration without gradients: h = gate(R(h), h). */
    private void advance(TrainableParams p, BatchShape shape, float[] h) {
        int n = shape.rows();
        System.arraycopy(h, 0, r, 0, n * c.dim());
        for (var w : p.reasoning()) layer.forward(w, shape, r, tape, r);
        gate.forward(p.gate(), r, h, n, gateTape, h);
    }

    private static void zero(TrainableParams g) {
        for (float[] a : g.tensors().values()) Arrays.fill(a, 0f);
    }
}
