package io.loopus.worker.gpu.check;

import io.loopus.worker.generate.Sampler;
import io.loopus.worker.loop.LoopusModel;
import io.loopus.worker.stage.DecoderBlock;
import io.loopus.worker.stage.EncodeChunk;
import io.loopus.worker.stage.EncoderBlock;
import io.loopus.worker.stage.Hidden;
import io.loopus.worker.stage.LoopBlock;
import io.loopus.worker.stage.Logits;
import io.loopus.worker.stage.Looped;
import io.loopus.worker.stage.StagePlan;
import io.loopus.worker.tensor.Backend;

import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;

/**
 * Decode throughput of a LoopUS model served as its three stage blocks (encoder, loop, decoder),
 * each on the backend given, as serve places them ({@code encoder=cuda:0,loop=cuda:0,decoder=cuda:0}
 * shares one device). The blocks are driven in turn on one thread, without the stage actors (the
 * check's runtime carries no actor library): this measures the stages' compute, not their overlap.
 */
final class StageBench {
    private static final int WARM_STEPS = 3;

    private StageBench() {}

    /** Tokens per second for {@code streams} sequences decoding together after a prompt of 16 tokens. */
    static double tokensPerSecond(LoopusModel model, Backend encoder, Backend loop, Backend decoder, int streams, double seconds) {
        StagePlan plan = StagePlan.of(model);
        int vocab = model.config().vocabSize(), prompt = 16, context = model.config().contextLength();
        EncoderBlock enc = plan.encoder(encoder, streams * context);
        LoopBlock lp = plan.loop(loop, streams * context, false);
        DecoderBlock dec = plan.decoder(decoder, streams * context);
        SplittableRandom r = new SplittableRandom(5);
        List<EncodeChunk> chunks = new ArrayList<>();
        for (int s = 0; s < streams; s++) {
            int[] ids = new int[prompt];
            for (int i = 0; i < prompt; i++) ids[i] = 3 + r.nextInt(vocab - 3);
            chunks.add(new EncodeChunk(s, 0, ids, true, false, model.exitPolicy()));
        }
        int[] position = new int[streams];
        java.util.Arrays.fill(position, prompt);
        long t0 = 0, end = 0, tokens = 0;
        for (int step = 0; ; step++) {
            for (Hidden h : enc.encode(chunks)) lp.add(h);
            chunks = new ArrayList<>();
            while (!lp.isEmpty()) {
                List<Looped> left = lp.pass();
                if (left.isEmpty()) continue;
                for (Logits l : dec.decode(left)) {
                    int s = (int) l.seq();
                    int token = Sampler.argmax(l.values(), vocab);
                    if (position[s] >= context) { // start the sequence over
                        enc.release(s);
                        lp.release(s);
                        dec.release(s);
                        position[s] = 0;
                    }
                    chunks.add(new EncodeChunk(s, position[s]++, new int[] {token}, true, false, model.exitPolicy()));
                }
            }
            if (step < WARM_STEPS) { // the prompt step and a few decode steps warm up; timing starts after them
                t0 = System.nanoTime();
                end = t0 + (long) (seconds * 1e9);
                continue;
            }
            tokens += streams;
            if (System.nanoTime() >= end) break;
        }
        return tokens / ((System.nanoTime() - t0) / 1e9);
    }
}
