package io.loopus.server.client;

import io.loopus.proto.v1.GenerateRequest;
import io.loopus.proto.v1.LoopSettings;
import io.loopus.proto.v1.Sampling;

import java.util.List;

/**
 * What a client asks of one generation besides its prompt. Null fields stay unset in the request, so the
 * server's defaults apply (greedy, no cuts, the checkpoint's loop settings).
 */
public record RequestOptions(int maxNewTokens, Float temperature, Integer topK, Float topP, Float repetitionPenalty,
                             Long seed, List<String> stop, Integer loops, Integer minLoops, String exit, Double tau,
                             boolean trace) {
    public RequestOptions {
        stop = stop == null ? List.of() : List.copyOf(stop);
    }

    public GenerateRequest toRequest(String prompt) {
        GenerateRequest.Builder b = GenerateRequest.newBuilder().setText(prompt).setMaxNewTokens(maxNewTokens)
                .addAllStop(stop).setTrace(trace);
        if (temperature != null || topK != null || topP != null || repetitionPenalty != null || seed != null) {
            Sampling.Builder s = Sampling.newBuilder();
            if (temperature != null) s.setTemperature(temperature);
            if (topK != null) s.setTopK(topK);
            if (topP != null) s.setTopP(topP);
            if (repetitionPenalty != null) s.setRepetitionPenalty(repetitionPenalty);
            if (seed != null) s.setSeed(seed);
            b.setSampling(s);
        }
        if (loops != null || minLoops != null || exit != null || tau != null) {
            LoopSettings.Builder l = LoopSettings.newBuilder();
            if (loops != null) l.setMaxLoops(loops);
            if (minLoops != null) l.setMinLoops(minLoops);
            if (exit != null) l.setExitPolicy(exit);
            if (tau != null) l.setTau(tau.floatValue());
            b.setLoop(l);
        }
        return b.build();
    }
}
