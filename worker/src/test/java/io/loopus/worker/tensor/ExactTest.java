package io.loopus.worker.tensor;

import io.loopus.worker.TestData;
import io.loopus.worker.generate.Generator;
import io.loopus.worker.load.Llama2cLoader;
import io.loopus.worker.model.LlamaModel;
import jdk.incubator.vector.FloatVector;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Random;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Results that do not depend on the JIT: fixed-order lane sums and a polynomial exp. */
class ExactTest {
    @Test
    void laneSumIsTheFixedPairwiseTree() {
        Random random = new Random(3);
        float[] lanes = new float[Kernels.LANES];
        for (int trial = 0; trial < 1000; trial++) {
            for (int i = 0; i < lanes.length; i++) lanes[i] = (float) (random.nextGaussian() * Math.pow(10, random.nextInt(8) - 4));
            float[] tree = lanes.clone();
            for (int step = 1; step < tree.length; step *= 2) {
                float[] next = new float[tree.length];
                for (int i = 0; i < tree.length; i++) next[i] = tree[i] + tree[(i + step) % tree.length];
                tree = next;
            }
            assertEquals(Float.floatToIntBits(tree[0]), Float.floatToIntBits(Exact.sum(FloatVector.fromArray(Kernels.F, lanes, 0))));
        }
    }

    @Test
    void vectorExpEqualsItsScalarTwinAndMathExpWithinTwoUlp() {
        Random random = new Random(5);
        float[] x = new float[Kernels.LANES], out = new float[Kernels.LANES];
        for (int trial = 0; trial < 20000; trial++) {
            for (int i = 0; i < x.length; i++) x[i] = (float) (random.nextDouble() * 180 - 90);
            Exact.exp(FloatVector.fromArray(Kernels.F, x, 0)).intoArray(out, 0);
            for (int i = 0; i < x.length; i++) {
                assertEquals(Float.floatToIntBits(Exact.exp(x[i])), Float.floatToIntBits(out[i]), "x = " + x[i]);
                if (x[i] > -87f && x[i] < 88f) {
                    float expected = (float) Math.exp(x[i]);
                    assertTrue(Math.abs(out[i] - expected) <= 2 * Math.ulp(expected), "x = " + x[i] + ": " + out[i] + " vs " + expected);
                }
            }
        }
        assertEquals(1f, Exact.exp(0f));
        assertTrue(Exact.exp(-1000f) < 1e-37f && Exact.exp(-1000f) >= 0);
    }

    /** Prints the logits of a fixed prompt as int bits: run by {@link #interpretedAndCompiledLogitsAreTheSameBits}. */
    public static void main(String[] args) {
        LlamaModel m = model(Path.of(args[0]));
        System.out.println(Arrays.toString(bits(new Generator(m).score(PROMPT).lastLogits())));
    }

    private static final int[] PROMPT = {1, 403, 407, 261, 378, 259, 301, 290};

    @Test
    void interpretedAndCompiledLogitsAreTheSameBits() throws IOException, InterruptedException {
        Path file = TestData.model();
        LlamaModel m = model(file);
        Generator g = new Generator(m);
        float[] logits = null;
        for (int i = 0; i < 3000; i++) logits = g.score(PROMPT).lastLogits(); // let C2 compile the kernels
        Process p = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-Xint", "--add-modules", "jdk.incubator.vector", "-cp", System.getProperty("java.class.path"),
                ExactTest.class.getName(), file.toString()).redirectErrorStream(false).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).trim();
        assertTrue(p.waitFor(120, TimeUnit.SECONDS), "the interpreted run did not finish");
        assertEquals(0, p.exitValue(), new String(p.getErrorStream().readAllBytes(), StandardCharsets.UTF_8));
        assertArrayEquals(parse(out), bits(logits));
    }

    private static LlamaModel model(Path file) {
        Llama2cLoader.Checkpoint c = Llama2cLoader.load(file);
        return new LlamaModel(c.config(), c.weights(), CpuBackend.INSTANCE);
    }

    private static int[] bits(float[] x) {
        int[] b = new int[x.length];
        for (int i = 0; i < x.length; i++) b[i] = Float.floatToIntBits(x[i]);
        return b;
    }

    private static int[] parse(String s) {
        return Arrays.stream(s.substring(1, s.length() - 1).split(", ")).mapToInt(Integer::parseInt).toArray();
    }
}
