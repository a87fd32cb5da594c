package io.loopus.server.serve;

import io.loopus.proto.v1.ModelInfoResponse;
import io.loopus.proto.v1.StageInfo;
import io.loopus.proto.v1.Statistics;
import io.loopus.worker.load.LoadedModel;
import io.loopus.worker.loop.ExitPolicy;
import io.loopus.worker.loop.Split;
import io.loopus.worker.stage.StagePlan;
import io.loopus.worker.stage.StageStats;

import java.util.List;

/** What ModelInfo answers: the model, its split and exit rule, the stages and live statistics. */
final class ModelInfoSource {
    private final LoadedModel model;
    private final StagePlan plan;
    private final ServeSettings settings;
    private final List<StageStats> stages;
    private final SchedulerStats scheduler;

    ModelInfoSource(LoadedModel model, StagePlan plan, ServeSettings settings, List<StageStats> stages, SchedulerStats scheduler) {
        this.model = model;
        this.plan = plan;
        this.settings = settings;
        this.stages = stages;
        this.scheduler = scheduler;
    }

    boolean looped() { return plan.looped(); }

    ModelInfoResponse build() {
        Split s = plan.split();
        ExitPolicy exit = plan.defaultExit();
        var c = plan.config();
        ModelInfoResponse.Builder b = ModelInfoResponse.newBuilder()
                .setArchitecture(plan.looped() ? "lds" : c.architecture())
                .setModel(model.modelPath().toString() + " (" + model.format() + ")")
                .setLayers(c.layers()).setDim(c.dim()).setVocabSize(c.vocabSize()).setContextLength(c.contextLength())
                .setEncoderLayers(s.encoderLayers()).setReasoningLayers(s.reasoningLayers()).setDecoderLayers(s.decoderLayers())
                .setLoops(exit.maxLoops()).setExitPolicy(exit.strategy().key()).setTau((float) exit.tau())
                .setMinLoops(exit.minLoops()).setKvPolicy(plan.kvPolicy().key()).setBatching(settings.batching().toString())
                .setTokenizer(model.tokenizerPath() == null ? "" : model.tokenizerPath().toString())
                .setMaxNewTokensLimit(settings.maxNewTokens());
        int[][] layers = {{0, s.encoderEnd()}, {s.encoderEnd(), s.decoderStart()}, {s.decoderStart(), s.layers()}};
        for (int i = 0; i < stages.size(); i++) {
            StageStats st = stages.get(i);
            StageInfo.Builder sb = StageInfo.newBuilder().setName(st.name()).setDevice(st.device())
                    .setBusyFraction(st.busySeconds() / Math.max(1e-9, scheduler.uptimeSeconds()))
                    .setBusySeconds(st.busySeconds()).setSequences(st.sequences()).setKvBytes(st.kvBytes())
                    .setPasses(st.passes()).setRows(st.rows());
            for (int l = layers[i][0]; l < layers[i][1]; l++) sb.addLayers(l);
            b.addStages(sb);
        }
        b.setStatistics(Statistics.newBuilder().setRunning(scheduler.running()).setQueued(scheduler.queued())
                .setCompleted(scheduler.completed()).setFailed(scheduler.failed()).setCancelled(scheduler.cancelled())
                .setRejected(scheduler.rejected()).setGeneratedTokens(scheduler.generatedTokens())
                .setLoopPasses(scheduler.loopPasses()).setKvBytesReserved(scheduler.kvBytesReserved())
                .setKvBytesBudget((long) settings.kvTokens() * plan.kvBytesPerToken())
                .setUptimeSeconds(scheduler.uptimeSeconds()).setPipelines(scheduler.pipelines()));
        return b.build();
    }
}
