package io.loopus.trainer.grad;

import io.loopus.worker.loop.ConfidenceHead;
import io.loopus.worker.loop.GateWeights;
import io.loopus.worker.tensor.CpuBackend;
import io.loopus.worker.tensor.CpuTensor;
import org.junit.jupiter.api.Test;

import java.util.Random;

import static io.loopus.trainer.grad.GradCheck.dot;
import static io.loopus.trainer.grad.TestData.gaussian;
import static io.loopus.trainer.grad.TestData.roundingNoise;
import static org.junit.jupiter.api.Assertions.assertEquals;

/** The selective gate and the confidence head: gradients, and forwards that match the worker's inference. */
class GateHeadGradTest {
    static final int H = 20; // rank 2
    final Random r = new Random(51);

    /** The reference initialisation (small Delta, so Abar near 1 on the first channels), or one with Delta near 1. */
    GateParams gate(boolean wide) {
        GateParams p = GateParams.copyOf(GateWeights.initial(H, r));
        if (wide) for (int i = 0; i < H; i++) p.bDelta()[i] = (float) (r.nextGaussian() - 0.5);
        return p;
    }

    @Test void gateAtTheReferenceInitialisation() { gate(gate(false)); }

    @Test void gateWithLargeSteps() { gate(gate(true)); }

    private void gate(GateParams p) {
        int n = 4;
        float[] rr = gaussian(r, n * H), h = gaussian(r, n * H), out = new float[n * H], c = gaussian(r, n * H);
        GateGrad op = new GateGrad(H, n);
        GateGrad.Tape tape = op.newTape();
        GradCheck.Loss loss = () -> {
            op.forward(p, rr, h, n, tape, out);
            return dot(c, out);
        };
        loss.value();
        GateParams g = p.zerosLike();
        float[] dr = new float[rr.length], dh = new float[h.length];
        op.backward(p, n, tape, c, dr, dh, g);
        GradCheck check = new GradCheck(loss, roundingNoise(c, out, out.length), 1);
        check.tensor("r", rr, dr);
        check.tensor("h", h, dh);
        check.tensor("W_in", p.wIn(), g.wIn());
        check.tensor("W_delta", p.wDelta(), g.wDelta());
        check.tensor("b_delta", p.bDelta(), g.bDelta());
        check.tensor("A_log", p.aLog(), g.aLog());
    }

    @Test void gateForwardIsTheWorkersGate() {
        int n = 3;
        GateParams p = gate(true);
        float[] rr = gaussian(r, n * H), h = gaussian(r, n * H), out = new float[n * H];
        GateGrad op = new GateGrad(H, n);
        op.forward(p, rr, h, n, op.newTape(), out);
        // the worker's path (LoopusModel): u = r - h, z = W_in u, delta = W_delta z + b, then the gate kernel
        CpuBackend cpu = CpuBackend.INSTANCE;
        GateWeights w = p.toWeights();
        CpuTensor ru = new CpuTensor(n, H, rr), hu = new CpuTensor(n, H, h.clone()), u = new CpuTensor(n, H);
        CpuTensor z = new CpuTensor(n, GateWeights.rank(H)), delta = new CpuTensor(n, H);
        cpu.subtract(ru, hu, n, u);
        cpu.matmul(u, n, w.wIn(), z);
        cpu.matmul(z, n, w.wDelta(), delta);
        cpu.addBias(delta, n, w.bDelta());
        cpu.selectiveGate(hu, ru, delta, w.decay(), n, new float[n]);
        for (int i = 0; i < out.length; i++) assertEquals(hu.data()[i], out[i], 1e-5, "channel " + i);
    }

    BatchShape shape = new BatchShape(2, 4, new int[] {4, 2});

    HeadParams head() {
        HeadParams p = HeadParams.copyOf(ConfidenceHead.initial(H, r));
        for (int i = 0; i < H; i++) {
            p.normWeight()[i] += (float) (0.1 * r.nextGaussian()); // away from the initial 1 and 0, so every term shows
            p.normBias()[i] += (float) (0.1 * r.nextGaussian());
        }
        return p;
    }

    @Test void confidenceHeadAtTheLastValidRow() {
        int n = shape.rows();
        HeadParams p = head();
        float[] rr = gaussian(r, n * H), h = gaussian(r, n * H), logits = new float[2], c = {0.7f, -1.3f};
        HeadGrad op = new HeadGrad(H, 2);
        HeadGrad.Tape tape = op.newTape();
        GradCheck.Loss loss = () -> {
            op.forward(p, rr, h, shape, tape, logits);
            return dot(c, logits);
        };
        loss.value();
        HeadParams g = p.zerosLike();
        float[] dr = new float[rr.length], dh = new float[h.length];
        op.backward(p, shape, tape, c, dr, dh, g);
        GradCheck check = new GradCheck(loss, roundingNoise(c, logits, 2), 2);
        check.tensor("r", rr, dr);
        check.tensor("h", h, dh);
        check.tensor("norm weight", p.normWeight(), g.normWeight());
        check.tensor("norm bias", p.normBias(), g.normBias());
        check.tensor("weight", p.weight(), g.weight());
        check.tensor("bias", p.bias(), g.bias());
        for (int row = 0; row < n; row++) {
            if (row == 3 || row == 5) continue;
            for (int i = 0; i < H; i++) assertEquals(0, dr[row * H + i], "row " + row + " is not a last row");
        }
    }

    @Test void confidenceHeadForwardIsTheWorkersHead() {
        HeadParams p = head();
        float[] rr = gaussian(r, shape.rows() * H), h = gaussian(r, shape.rows() * H), logits = new float[2];
        HeadGrad op = new HeadGrad(H, 2);
        op.forward(p, rr, h, shape, op.newTape(), logits);
        ConfidenceHead w = p.toHead();
        CpuBackend cpu = CpuBackend.INSTANCE;
        for (int b = 0; b < 2; b++) {
            int row = shape.lastRow(b);
            CpuTensor u = new CpuTensor(1, H), q = new CpuTensor(1, 1);
            for (int i = 0; i < H; i++) u.data()[i] = rr[row * H + i] - h[row * H + i];
            cpu.layerNorm(u, 1, w.normWeight(), w.normBias(), ConfidenceHead.NORM_EPS, u);
            cpu.matmul(u, 1, w.weight(), q);
            assertEquals(q.data()[0] + w.bias(), logits[b], 1e-5, "sequence " + b);
        }
    }
}
