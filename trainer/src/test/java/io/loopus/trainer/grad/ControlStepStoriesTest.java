package io.loopus.trainer.grad;

import io.loopus.worker.load.Llama2cLoader;
import io.loopus.worker.loop.Split;
import io.loopus.worker.model.LlamaConfig;
import io.loopus.worker.tokenizer.Tokenizer;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.util.Arrays;

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * Before any training, the control step is the base model: R applied once then D are the base
 * model's own layers, so its cross-entropy from the worker's encoder output is the worker's.
 */
class ControlStepStoriesTest {
    static final String[] TEXTS = {
            "Once upon a time, there was a little girl named Lily. She loved to play outside in the sun with her dog.",
            "Tom had a big red ball. He threw it to his friend."};

    /** Each split with its encoder from the worker; 2:5 leaves the decoder without layers. */
    @ParameterizedTest(name = "split {0}")
    @ValueSource(strings = {"1:4", "2:3", "2:5"})
    void crossEntropyIsTheBaseModels(String splitText) {
        Llama2cLoader.Checkpoint m = Stories.model();
        LlamaConfig c = m.config();
        Split split = Split.parse(splitText, c.layers());
        Tokenizer tok = Stories.tokenizer();
        int[][] texts = Arrays.stream(TEXTS).map(t -> tok.encode(t, true)).toArray(int[][]::new);
        int length = texts[0].length;
        BatchShape shape = new BatchShape(2, length, new int[] {length, texts[1].length});
        int[] ids = new int[shape.rows()], labels = new int[shape.rows()];
        Arrays.fill(labels, CrossEntropy.IGNORE);
        double nll = 0;
        int count = 0, hits = 0;
        for (int b = 0; b < 2; b++) {
            int[] seq = texts[b];
            System.arraycopy(seq, 0, ids, b * length, seq.length); // padding rows: token 0, labels IGNORE
            float[] logits = Stories.logits(c, m.weights(), seq);
            for (int t = 0; t + 1 < seq.length; t++) {
                labels[b * length + t] = seq[t + 1];
                int o = t * c.vocabSize();
                double max = Double.NEGATIVE_INFINITY, sum = 0;
                for (int v = 0; v < c.vocabSize(); v++) max = Math.max(max, logits[o + v]);
                for (int v = 0; v < c.vocabSize(); v++) sum += Math.exp(logits[o + v] - max);
                nll += max + Math.log(sum) - logits[o + seq[t + 1]];
                count++;
                if (TokenAccuracy.argmax(logits, o, c.vocabSize()) == seq[t + 1]) hits++;
            }
        }
        float[] h = Stories.encode(c, m.weights(), split.encoderEnd(), shape, ids);
        ControlStep step = new ControlStep(c, split.reasoningLayers(), split.decoderLayers(), shape.sequences(), length);
        double ce = step.forward(Stories.params(m, split), shape, h, labels);
        assertEquals(nll / count, ce, 1e-6); // measured 4e-8: float32 sums in the worker, double sums here
        assertEquals((double) hits / count, step.tokenAccuracy(), 1e-12);
    }
}
