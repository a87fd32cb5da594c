package io.loopus.server.serve;

import io.loopus.proto.v1.GenerateRequest;
import io.loopus.proto.v1.LoopSettings;
import io.loopus.proto.v1.Sampling;
import io.loopus.proto.v1.ScoreRequest;
import io.loopus.worker.generate.SamplingParams;
import io.loopus.worker.loop.ExitPolicy;
import io.loopus.worker.loop.HaltingStrategy;
import io.loopus.worker.model.LlamaConfig;
import io.loopus.worker.stage.StagePlan;
import io.loopus.worker.tokenizer.Tokenizer;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.List;

/**
 * Turns API requests into jobs, checking every field; a bad field is an
 * {@link IllegalArgumentException} whose message names it (INVALID_ARGUMENT for the client).
 */
final class RequestParser {
    /** The seed of requests that set none, as the command line's default. */
    static final long DEFAULT_SEED = 42;
    static final int MAX_STOP_STRINGS = 16;

    private final StagePlan plan;
    private final LlamaConfig config;
    private final Tokenizer tokenizer;
    private final ServeSettings settings;

    RequestParser(StagePlan plan, Tokenizer tokenizer, ServeSettings settings) {
        this.plan = plan;
        this.config = plan.config();
        this.tokenizer = tokenizer;
        this.settings = settings;
    }

    /** A generation job (without id, deadline and listener: {@link Job} is completed by the caller). */
    Job generation(GenerateRequest req, long id, long deadlineNanos, JobListener listener) {
        int[] prompt = prompt(req);
        if (prompt.length >= config.contextLength()) {
            throw new IllegalArgumentException("the prompt has " + prompt.length + " tokens; the model's context is "
                    + config.contextLength() + " and at least one new token must fit");
        }
        int max = req.getMaxNewTokens();
        if (max <= 0) throw new IllegalArgumentException("max_new_tokens must be > 0, got " + max);
        if (max > settings.maxNewTokens()) {
            throw new IllegalArgumentException("max_new_tokens " + max + " is over this server's limit of " + settings.maxNewTokens());
        }
        List<String> stop = req.getStopList();
        if (stop.size() > MAX_STOP_STRINGS) throw new IllegalArgumentException("at most " + MAX_STOP_STRINGS + " stop strings, got " + stop.size());
        for (String s : stop) if (s.isEmpty()) throw new IllegalArgumentException("a stop string is empty");
        return new Job(id, prompt, max, sampling(req.getSampling()), stop, exit(req.hasLoop() ? req.getLoop() : null),
                req.getTrace(), -1, false, deadlineNanos, listener);
    }

    /** A scoring job: the context (with BOS) and the text after it, scored token by token or in one pass. */
    Job score(ScoreRequest req, long id, long deadlineNanos, JobListener listener) {
        if (req.getText().isEmpty()) throw new IllegalArgumentException("text is empty: there is nothing to score");
        checkSize("context", req.getContext());
        checkSize("text", req.getText());
        int[] ids;
        int from;
        if (req.getContext().isEmpty()) {
            ids = tokenizer.encode(req.getText(), true);
            from = 1;
        } else {
            int[] context = tokenizer.encode(req.getContext(), true);
            int[] text = tokenizer.encode(req.getText(), false);
            ids = Arrays.copyOf(context, context.length + text.length);
            System.arraycopy(text, 0, ids, context.length, text.length);
            from = context.length;
        }
        if (ids.length - from < 1) throw new IllegalArgumentException("text encodes to no tokens");
        if (ids.length > config.contextLength()) {
            throw new IllegalArgumentException("context and text have " + ids.length + " tokens, more than the model's context of "
                    + config.contextLength());
        }
        ExitPolicy exit = exit(req.hasLoop() ? req.getLoop() : null);
        boolean onePass = !plan.looped() || exit.strategy() == HaltingStrategy.FIXED;
        return new Job(id, ids, 1, SamplingParams.greedy(), List.of(), exit, false, from, onePass, deadlineNanos, listener);
    }

    private int[] prompt(GenerateRequest req) {
        switch (req.getPromptCase()) {
            case TEXT -> {
                String text = req.getText();
                if (text.isEmpty()) throw new IllegalArgumentException("the prompt is empty");
                checkSize("the prompt", text);
                return tokenizer.encode(text, true);
            }
            case IDS -> {
                int[] ids = req.getIds().getIdsList().stream().mapToInt(Integer::intValue).toArray();
                if (ids.length == 0) throw new IllegalArgumentException("the prompt is empty");
                for (int t : ids) {
                    if (t < 0 || t >= config.vocabSize()) {
                        throw new IllegalArgumentException("prompt token id " + t + " is outside the vocabulary of " + config.vocabSize());
                    }
                }
                return ids;
            }
            default -> throw new IllegalArgumentException("the prompt is empty (set text or ids)");
        }
    }

    private void checkSize(String what, String text) {
        int bytes = text.getBytes(StandardCharsets.UTF_8).length;
        if (bytes > settings.maxMessageBytes()) {
            throw new IllegalArgumentException(what + " has " + bytes + " bytes, over this server's limit of " + settings.maxMessageBytes());
        }
    }

    private static SamplingParams sampling(Sampling s) {
        float temperature = s.getTemperature();
        if (Float.isNaN(temperature) || temperature < 0 || Float.isInfinite(temperature)) {
            throw new IllegalArgumentException("temperature must be a finite number >= 0, got " + temperature);
        }
        float topP = s.getTopP() == 0 ? 1 : s.getTopP();
        if (!(topP > 0 && topP <= 1)) throw new IllegalArgumentException("top_p must be in (0, 1], got " + s.getTopP());
        if (s.getTopK() < 0) throw new IllegalArgumentException("top_k must be >= 0, got " + s.getTopK());
        float penalty = s.getRepetitionPenalty() == 0 ? 1 : s.getRepetitionPenalty();
        if (!(penalty > 0) || Float.isInfinite(penalty)) {
            throw new IllegalArgumentException("repetition_penalty must be a finite number > 0, got " + s.getRepetitionPenalty());
        }
        return new SamplingParams(temperature, s.getTopK(), topP, penalty, s.hasSeed() ? s.getSeed() : DEFAULT_SEED);
    }

    /** The request's exit rule: the model's, with the fields the request sets. */
    ExitPolicy exit(LoopSettings loop) {
        ExitPolicy base = plan.defaultExit();
        if (loop == null || loop.equals(LoopSettings.getDefaultInstance())) return base;
        if (!plan.looped()) throw new IllegalArgumentException("loop settings need a LoopUS model; this server runs a base model");
        HaltingStrategy strategy = loop.getExitPolicy().isEmpty() ? base.strategy() : HaltingStrategy.parse(loop.getExitPolicy());
        int max = loop.getMaxLoops() == 0 ? base.maxLoops() : loop.getMaxLoops();
        if (max < 1) throw new IllegalArgumentException("max_loops must be >= 1, got " + max);
        if (max > plan.depths()) throw new IllegalArgumentException("max_loops " + max + " is over this server's limit of " + plan.depths());
        int min = loop.getMinLoops() == 0 ? 1 : loop.getMinLoops();
        if (min < 1 || min > max) throw new IllegalArgumentException("min_loops must be in [1, " + max + "], got " + loop.getMinLoops());
        double tau = base.tau();
        if (loop.hasTau()) {
            float t = loop.getTau();
            if (!(t >= 0 && t <= 1)) throw new IllegalArgumentException("tau must be in [0, 1], got " + t);
            tau = t;
        }
        return new ExitPolicy(strategy, max, min, tau, base.qEvalInterval(), base.epsilon());
    }
}
