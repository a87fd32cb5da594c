package io.loopus.server.serve;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import io.loopus.proto.v1.CompleteResponse;
import io.loopus.proto.v1.GenerateRequest;
import io.loopus.proto.v1.LoopusServiceClient;
import io.loopus.worker.generate.Generator;
import io.loopus.worker.generate.SamplingParams;
import io.loopus.worker.load.LoadedModel;
import io.loopus.worker.loop.ExitPolicy;
import io.loopus.worker.stage.StagePlan;
import org.apache.pekko.actor.ActorSystem;
import org.apache.pekko.actor.typed.javadsl.ActorContext;
import org.apache.pekko.grpc.GrpcClientSettings;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * Jobs on a pipeline that goes away move to the other one and replay there: every request still
 * gets exactly the tokens offline generation gives, none twice; with no pipeline left they end
 * with UNAVAILABLE.
 */
class FailoverTest {
    /** Two local pipelines; remembers their stages so the test can take one away. */
    static final class TwoPipelines implements PipelineSource {
        final List<Pipeline> pipelines;
        final List<Stages> stages = new CopyOnWriteArrayList<>();

        TwoPipelines(StagePlan plan, ServeSettings settings) {
            pipelines = List.of(new Pipeline(plan, settings), new Pipeline(plan, settings));
        }

        @Override public void start(ActorContext<Scheduler.Command> ctx) {
            for (int i = 0; i < 2; i++) {
                Stages s = pipelines.get(i).spawn(ctx, "p" + i);
                stages.add(s);
            }
            ctx.getSelf().tell(new Scheduler.PipelinesChanged(List.copyOf(stages)));
        }
    }

    @Test
    void jobsOfALostPipelineFinishOnTheOtherWithTheSameTokens() throws Exception {
        LoadedModel model = TestServer.looped(ExitPolicy.fixed(3));
        Config config = ConfigFactory.parseString("loopus.server.port = 0").withFallback(ConfigFactory.load());
        ServeSettings settings = ServeSettings.from(config);
        StagePlan plan = LoopusServer.plan(model, settings);
        TwoPipelines two = new TwoPipelines(plan, settings);
        LoopusServer server = LoopusServer.start(model, plan, settings, config, two, two.pipelines.get(0).stats(), () -> {
            for (Pipeline p : two.pipelines) p.close();
        });
        ActorSystem client = ActorSystem.create("client", ConfigFactory.parseString("pekko.loglevel = ERROR").withFallback(ConfigFactory.load()));
        try {
            LoopusServiceClient c = LoopusServiceClient.create(GrpcClientSettings.connectToServiceAt("127.0.0.1", server.port(), client)
                    .withTls(false), client);
            List<CompletableFuture<CompleteResponse>> calls = new ArrayList<>();
            for (int i = 0; i < 8; i++) {
                calls.add(c.complete(GenerateRequest.newBuilder().setText(ServerTest.prompt(i)).setMaxNewTokens(120).build())
                        .toCompletableFuture());
            }
            while (server.statistics().generatedTokens() < 40) Thread.sleep(5);
            server.scheduler().tell(new Scheduler.PipelinesChanged(List.of(two.stages.get(0)))); // p1 is lost
            Generator offline = new Generator(model.model());
            for (int i = 0; i < 8; i++) {
                CompleteResponse r = calls.get(i).get(60, TimeUnit.SECONDS);
                int[] want = offline.generate(model.tokenizer().encode(ServerTest.prompt(i), true), 120, SamplingParams.greedy(), null).ids();
                assertArrayEquals(want, r.getTokenIdsList().stream().mapToInt(Integer::intValue).toArray(), "request " + i);
                assertEquals(model.tokenizer().decode(want), r.getText(), "request " + i);
            }
            // no pipeline left: running work ends with UNAVAILABLE, new work is refused the same way
            var late = c.complete(GenerateRequest.newBuilder().setText("Once upon a time").setMaxNewTokens(400).build()).toCompletableFuture();
            while (server.statistics().running() == 0 && !late.isDone()) Thread.sleep(5);
            server.scheduler().tell(new Scheduler.PipelinesChanged(List.of()));
            assertEquals(io.grpc.Status.Code.UNAVAILABLE, ServerErrorsTest.code(late));
            assertEquals(io.grpc.Status.Code.UNAVAILABLE, ServerErrorsTest.code(c.complete(GenerateRequest.newBuilder()
                    .setText("Hi").setMaxNewTokens(2).build())));
            c.close();
        } finally {
            client.terminate();
            server.close();
        }
    }
}
