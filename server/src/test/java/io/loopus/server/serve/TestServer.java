package io.loopus.server.serve;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import io.loopus.proto.v1.LoopusServiceClient;
import io.loopus.worker.load.SharedData;
import org.junit.jupiter.api.Assumptions;
import io.loopus.worker.generate.GenerationResult;
import io.loopus.worker.generate.Generator;
import io.loopus.worker.generate.SamplingParams;
import io.loopus.worker.load.LoadedModel;
import io.loopus.worker.load.ModelLoader;
import io.loopus.worker.loop.ConfidenceHead;
import io.loopus.worker.loop.ExitPolicy;
import io.loopus.worker.loop.GateWeights;
import io.loopus.worker.loop.HaltingStrategy;
import io.loopus.worker.loop.LoopusConfig;
import io.loopus.worker.loop.LoopusModel;
import io.loopus.worker.loop.LoopusWeights;
import io.loopus.worker.loop.Split;
import io.loopus.worker.loop.TokenTrace;
import io.loopus.worker.model.LlamaModel;
import io.loopus.worker.tensor.CpuBackend;
import org.apache.pekko.actor.ActorSystem;
import org.apache.pekko.grpc.GrpcClientSettings;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;

/** stories260K looped with its initial gate, served on a loopback port, and a client for it. */
public final class TestServer implements AutoCloseable {
    public final LoadedModel model;
    public final LoopusServer server;
    public final ActorSystem clientSystem;
    public final LoopusServiceClient client;

    private TestServer(LoadedModel model, String settings) {
        this.model = model;
        Config config = ConfigFactory.parseString("loopus.server.port = 0\n" + settings)
                .withFallback(ConfigFactory.load());
        this.server = LoopusServer.start(model, ServeSettings.from(config), config);
        this.clientSystem = ActorSystem.create("client", ConfigFactory.parseString("pekko.loglevel = ERROR")
                .withFallback(ConfigFactory.load()));
        this.client = LoopusServiceClient.create(
                GrpcClientSettings.connectToServiceAt("127.0.0.1", server.port(), clientSystem).withTls(false), clientSystem);
    }

    public static LoadedModel base() {
        Path shared = SharedData.locate().orElse(null);
        Assumptions.assumeTrue(shared != null, "skipped: ../shared (or $LOOPUS_SHARED) is not present");
        Path dir = shared.resolve("models/stories260K");
        return ModelLoader.load(dir.resolve("stories260K.bin"), dir.resolve("tok512.bin"), CpuBackend.INSTANCE);
    }

    /** stories260K split 1:4 with the initial gate (seed 11) and the given exit rule. */
    public static LoadedModel looped(ExitPolicy exit) {
        LoadedModel b = base();
        LlamaModel m = (LlamaModel) b.model();
        Random random = new Random(11);
        int h = m.config().dim();
        LoopusModel l = new LoopusModel(m.config(), new LoopusWeights(m.weights(), GateWeights.initial(h, random),
                ConfidenceHead.initial(h, random)), LoopusConfig.defaults(new Split(1, 4, 5), exit.maxLoops()), CpuBackend.INSTANCE);
        l.setExitPolicy(exit);
        return new LoadedModel(l, b.tokenizer(), b.modelPath(), b.tokenizerPath(), "test lds 1:4");
    }

    /** Threshold exits with tau at the median q of the initial head, so that exit depths vary. */
    public static ExitPolicy spreadExits(List<int[]> prompts) {
        LoadedModel probe = looped(new ExitPolicy(HaltingStrategy.THRESHOLD, 6, 1, 1.0, 1, 1e-2));
        List<Float> qs = new ArrayList<>();
        for (GenerationResult r : new Generator(probe.model()).tracing(true).generateAll(prompts, 8,
                List.of(SamplingParams.greedy()), null)) {
            for (TokenTrace t : r.trace()) for (float q : t.q()) qs.add(q);
        }
        qs.sort(null);
        return new ExitPolicy(HaltingStrategy.THRESHOLD, 6, 1, qs.get(qs.size() / 2), 1, 1e-2);
    }

    public static TestServer start(LoadedModel model, String settings) {
        return new TestServer(model, settings);
    }

    @Override public void close() {
        client.close();
        clientSystem.terminate();
        server.close();
    }
}
