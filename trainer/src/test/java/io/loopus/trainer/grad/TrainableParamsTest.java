package io.loopus.trainer.grad;

import io.loopus.worker.bench.RandomModel;
import io.loopus.worker.loop.ConfidenceHead;
import io.loopus.worker.loop.GateWeights;
import io.loopus.worker.loop.LoopusWeights;
import io.loopus.worker.loop.Split;
import io.loopus.worker.model.LayerWeights;
import io.loopus.worker.model.LlamaWeights;
import io.loopus.worker.tensor.F32Matrix;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertSame;

class TrainableParamsTest {
    final RandomModel.Spec spec = new RandomModel.Spec(32, 40, 5, 4, 2, 24, 16);
    final LlamaWeights base = RandomModel.build(spec, 3);
    final LoopusWeights loopus = new LoopusWeights(base, GateWeights.initial(32, new Random(1)),
            ConfidenceHead.initial(32, new Random(2)));

    @Test void theSplitsMiddleAndLastLayersWithAnUntiedHead() {
        TrainableParams p = TrainableParams.copyOf(loopus, new Split(1, 3, 5));
        assertEquals(2, p.reasoning().length);
        assertEquals(2, p.decoder().length);
        assertArrayEquals(((F32Matrix) base.layers()[1].wq()).data(), p.reasoning()[0].wq());
        assertArrayEquals(((F32Matrix) base.layers()[3].w2()).data(), p.decoder()[0].w2());
        assertArrayEquals(((F32Matrix) base.embedding()).data(), p.lmHead());
        p.lmHead()[0] += 1; // the head is a copy: training it leaves the frozen embedding alone
        assertNotEquals(p.lmHead()[0], ((F32Matrix) base.embedding()).data()[0]);
        assertEquals(loopus.head().bias(), p.head().bias()[0]);
        assertEquals(List.of("reasoning.layers.0.attn_norm", "reasoning.layers.0.wq"),
                p.tensors().keySet().stream().limit(2).toList());
        assertEquals(List.copyOf(p.tensors().keySet()), List.copyOf(p.zerosLike().tensors().keySet()));
        assertEquals(2 * 9 + 4 + 4 + 2 * 9 + 2, p.tensors().size());
    }

    @Test void inferenceWeightsShareTheTrainedArrays() {
        LayerParams p = LayerParams.copyOf(base.layers()[2]);
        LayerWeights w = p.toWeights();
        assertSame(p.wo(), ((F32Matrix) w.wo()).data());
        assertEquals(spec.kvDim(), w.wk().rows());
        assertEquals(spec.hidden(), w.w2().cols());
        GateParams g = GateParams.copyOf(loopus.gate());
        assertSame(g.aLog(), g.toWeights().aLog());
        HeadParams h = HeadParams.copyOf(loopus.head());
        assertSame(h.weight(), h.toHead().weight().data());
    }
}
