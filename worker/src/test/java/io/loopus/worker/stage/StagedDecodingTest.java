package io.loopus.worker.stage;

import io.loopus.worker.TestData;
import io.loopus.worker.generate.GenerationResult;
import io.loopus.worker.generate.Generator;
import io.loopus.worker.generate.Sampler;
import io.loopus.worker.generate.SamplingParams;
import io.loopus.worker.load.Llama2cLoader;
import io.loopus.worker.loop.ConfidenceHead;
import io.loopus.worker.loop.ExitPolicy;
import io.loopus.worker.loop.GateWeights;
import io.loopus.worker.loop.HaltingStrategy;
import io.loopus.worker.loop.KvPolicy;
import io.loopus.worker.loop.LoopusConfig;
import io.loopus.worker.loop.LoopusModel;
import io.loopus.worker.loop.LoopusWeights;
import io.loopus.worker.loop.Split;
import io.loopus.worker.loop.TokenTrace;
import io.loopus.worker.model.CausalModel;
import io.loopus.worker.model.LlamaModel;
import io.loopus.worker.tensor.CpuBackend;
import io.loopus.worker.tokenizer.Llama2cTokenizer;
import io.loopus.worker.tokenizer.Tokenizer;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.Set;
import java.util.TreeSet;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The three stage blocks, driven by hand as a pipeline (sequences arriving at different times,
 * prompts encoded in pieces, the loop pool mixing depths), give each sequence exactly the tokens
 * and exit depths that offline generation gives it alone.
 */
class StagedDecodingTest {
    private static final String[] PROMPTS = {
            "Once upon a time", "The little dog", "Lily wanted to", "One day, a big", "Tom and his mom went",
            "The sun was", "A small bird", "There was a girl named Sue who liked to play in the park with her friends"};
    private static Llama2cLoader.Checkpoint base;
    private static Tokenizer tok;

    @BeforeAll
    static void load() {
        base = Llama2cLoader.load(TestData.model());
        tok = Llama2cTokenizer.load(TestData.tokenizer(), 512);
    }

    private static LoopusModel looped(ExitPolicy exit, KvPolicy kv) {
        Random random = new Random(11);
        int h = base.config().dim();
        LoopusModel m = new LoopusModel(base.config(), new LoopusWeights(base.weights(), GateWeights.initial(h, random),
                ConfidenceHead.initial(h, random)), LoopusConfig.defaults(new Split(1, 4, 5), exit.maxLoops()), CpuBackend.INSTANCE);
        m.setExitPolicy(exit);
        m.setKvPolicy(kv);
        return m;
    }

    /** tau at the median q of the initial gate and head, so that exits spread over depths. */
    private static double medianQ(List<int[]> prompts) {
        LoopusModel probe = looped(new ExitPolicy(HaltingStrategy.THRESHOLD, 6, 1, 1.0, 1, 1e-2), KvPolicy.PER_DEPTH);
        List<Float> qs = new ArrayList<>();
        for (GenerationResult r : new Generator(probe).tracing(true).generateAll(prompts, 8, List.of(SamplingParams.greedy()), null)) {
            for (TokenTrace t : r.trace()) for (float q : t.q()) qs.add(q);
        }
        qs.sort(null);
        return qs.get(qs.size() / 2);
    }

    @Test
    void aPipelineGivesEachSequenceWhatItGetsAlone() {
        List<int[]> prompts = new ArrayList<>();
        for (String p : PROMPTS) prompts.add(tok.encode(p, true));
        double tau = medianQ(prompts);
        for (KvPolicy kv : KvPolicy.values()) {
            ExitPolicy exit = new ExitPolicy(HaltingStrategy.THRESHOLD, 6, 1, tau, 1, 1e-2);
            LoopusModel m = looped(exit, kv);
            Generator offline = new Generator(m).tracing(true);
            Set<Integer> depths = new TreeSet<>();
            for (boolean keepExited : new boolean[]{false, true}) {
                List<Run> runs = new StagedRun(StagePlan.of(m), 4, 3, keepExited).generate(prompts, 20, exit);
                for (int i = 0; i < prompts.size(); i++) {
                    String what = kv + (keepExited ? " static" : "") + " prompt " + i;
                    GenerationResult alone = offline.generate(prompts.get(i), 20, SamplingParams.greedy(), null);
                    assertArrayEquals(alone.ids(), runs.get(i).ids(), what);
                    int[] want = alone.trace().stream().mapToInt(TokenTrace::depth).toArray();
                    assertArrayEquals(want, runs.get(i).depths(), what);
                    for (int d : want) depths.add(d);
                }
            }
            assertTrue(depths.size() >= 3, kv + ": exits should spread over depths, got " + depths);
        }
    }

    @Test
    void aBaseModelInStagesIsTheBaseModel() {
        LlamaModel m = new LlamaModel(base.config(), base.weights(), CpuBackend.INSTANCE);
        List<int[]> prompts = new ArrayList<>();
        for (String p : PROMPTS) prompts.add(tok.encode(p, true));
        List<Run> runs = new StagedRun(StagePlan.of(m), 3, 2).generate(prompts, 30, ExitPolicy.fixed(1));
        Generator offline = new Generator(m);
        for (int i = 0; i < prompts.size(); i++) {
            assertArrayEquals(offline.generate(prompts.get(i), 30, SamplingParams.greedy(), null).ids(), runs.get(i).ids(), "prompt " + i);
        }
    }

    @Test
    void theLoopStageRefusesMoreLoopsThanItsCachesHold() {
        LoopusModel m = looped(ExitPolicy.fixed(4), KvPolicy.PER_DEPTH);
        LoopBlock loop = StagePlan.of(m).loop(CpuBackend.INSTANCE, 64, false);
        Hidden deep = new Hidden(1, 0, 1, new float[base.config().dim()], false, ExitPolicy.fixed(5));
        var e = assertThrows(IllegalArgumentException.class, () -> loop.add(deep));
        assertTrue(e.getMessage().contains("5 loops"), e.getMessage());
        loop.add(new Hidden(1, 0, 1, new float[base.config().dim()], false, ExitPolicy.fixed(4)));
        assertEquals(1, loop.items());
        loop.release(1);
        assertEquals(0, loop.items());
        assertEquals(0, loop.kvBytes());
    }

    record Run(int[] ids, int[] depths) {}

    /**
     * A hand-driven pipeline: each tick the encoder runs the ready pieces (prompts in pieces of
     * {@code piece} tokens), the loop makes one pass, the decoder runs what left it, and greedy
     * sampling makes the next tokens ready. Sequence s arrives at tick s * {@code stagger}.
     */
    static final class StagedRun {
        private final StagePlan plan;
        private final int piece, stagger;
        private final boolean keepExited;

        StagedRun(StagePlan plan, int piece, int stagger) {
            this(plan, piece, stagger, false);
        }

        /** keepExited: exited items keep computing (into scratch) until every item in the pool has exited. */
        StagedRun(StagePlan plan, int piece, int stagger, boolean keepExited) {
            this.plan = plan;
            this.piece = piece;
            this.stagger = stagger;
            this.keepExited = keepExited;
        }

        List<Run> generate(List<int[]> prompts, int maxNew, ExitPolicy exit) {
            int n = prompts.size(), vocab = plan.config().vocabSize();
            EncoderBlock enc = plan.encoder(CpuBackend.INSTANCE, 4096);
            LoopBlock loop = plan.loop(CpuBackend.INSTANCE, 4096, keepExited);
            DecoderBlock dec = plan.decoder(CpuBackend.INSTANCE, 4096);
            int[][] history = new int[n][];
            int[] length = new int[n], encoded = new int[n];
            List<List<Integer>> depths = new ArrayList<>();
            boolean[] ready = new boolean[n], done = new boolean[n];
            Sampler[] samplers = new Sampler[n];
            for (int s = 0; s < n; s++) {
                int[] p = prompts.get(s);
                history[s] = Arrays.copyOf(p, p.length + maxNew);
                length[s] = p.length;
                depths.add(new ArrayList<>());
                samplers[s] = new Sampler(SamplingParams.greedy(), vocab);
            }
            float[] row = new float[vocab];
            int finished = 0;
            for (int tick = 0; finished < n; tick++) {
                List<EncodeChunk> chunks = new ArrayList<>();
                for (int s = 0; s < n; s++) {
                    if (done[s] || tick < s * stagger) continue;
                    int[] p = prompts.get(s);
                    if (encoded[s] < p.length) {
                        int to = Math.min(p.length, encoded[s] + piece);
                        chunks.add(new EncodeChunk(s, encoded[s], Arrays.copyOfRange(p, encoded[s], to), to == p.length, false, exit));
                        encoded[s] = to;
                    } else if (ready[s]) {
                        chunks.add(new EncodeChunk(s, length[s] - 1, new int[]{history[s][length[s] - 1]}, true, false, exit));
                        ready[s] = false;
                    }
                }
                if (!chunks.isEmpty()) for (Hidden h : enc.encode(chunks)) loop.add(h);
                List<Looped> left = loop.pass();
                if (keepExited && loop.allExited()) loop.dropExited();
                if (left.isEmpty()) continue;
                for (Logits l : dec.decode(left)) {
                    int s = (int) l.seq();
                    System.arraycopy(l.values(), 0, row, 0, vocab);
                    int token = samplers[s].sample(row, 0, history[s], length[s]);
                    if (plan.config().isEos(token)) {
                        done[s] = true;
                    } else {
                        history[s][length[s]++] = token;
                        depths.get(s).add(l.depth());
                        if (length[s] - prompts.get(s).length >= maxNew) done[s] = true;
                        else ready[s] = true;
                    }
                    if (done[s]) {
                        finished++;
                        enc.release(s);
                        loop.release(s);
                        dec.release(s);
                    }
                }
            }
            assertEquals(0, enc.kvBytes() + loop.kvBytes() + dec.kvBytes(), "every cache is freed");
            List<Run> out = new ArrayList<>();
            for (int s = 0; s < n; s++) {
                out.add(new Run(Arrays.copyOfRange(history[s], prompts.get(s).length, length[s]),
                        depths.get(s).stream().mapToInt(Integer::intValue).toArray()));
            }
            return out;
        }
    }
}
