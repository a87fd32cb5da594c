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
import org.apache.pekko.actor.ActorSystem;
import org.apache.pekko.grpc.GrpcClientSettings;
import org.junit.jupiter.api.Test;

import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** One node with every role: it forms a cluster of one, serves, and answers the management probes. */
class ClusterNodeTest {
    @Test
    void aSingleNodeClusterServesAndAnswersItsProbes() throws Exception {
        int artery, management;
        try (ServerSocket a = new ServerSocket(0); ServerSocket m = new ServerSocket(0)) {
            artery = a.getLocalPort();
            management = m.getLocalPort();
        }
        Config base = ConfigFactory.parseString("loopus.server.port = 0\nloopus.cluster.management = on\n"
                + "pekko.management.http.hostname = 127.0.0.1\npekko.management.http.port = " + management)
                .withFallback(ClusterNode.defaults());
        Config config = ClusterNode.config(base, List.of("frontend", "encoder", "loop", "decoder"),
                List.of("127.0.0.1:" + artery), artery, "127.0.0.1");
        LoadedModel model = TestServer.looped(ExitPolicy.fixed(2));
        LoopusServer node = ClusterNode.start(model, ServeSettings.from(config), config);
        ActorSystem client = ActorSystem.create("client", ConfigFactory.parseString("pekko.loglevel = ERROR").withFallback(ConfigFactory.load()));
        try {
            HttpClient http = HttpClient.newHttpClient();
            long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
            int ready = 0;
            while (System.nanoTime() < end && ready != 200) {
                ready = http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + management + "/ready")).build(),
                        HttpResponse.BodyHandlers.discarding()).statusCode();
                if (ready != 200) Thread.sleep(200);
            }
            assertEquals(200, ready, "/ready once the node is Up");
            assertEquals(200, http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + management + "/alive")).build(),
                    HttpResponse.BodyHandlers.discarding()).statusCode());
            while (node.statistics().pipelines() == 0 && System.nanoTime() < end) Thread.sleep(50);
            LoopusServiceClient c = LoopusServiceClient.create(GrpcClientSettings.connectToServiceAt("127.0.0.1", node.port(), client)
                    .withTls(false), client);
            CompleteResponse r = c.complete(GenerateRequest.newBuilder().setText("Once upon a time").setMaxNewTokens(20).build())
                    .toCompletableFuture().get(60, TimeUnit.SECONDS);
            int[] want = new Generator(model.model()).generate(model.tokenizer().encode("Once upon a time", true), 20,
                    SamplingParams.greedy(), null).ids();
            assertArrayEquals(want, r.getTokenIdsList().stream().mapToInt(Integer::intValue).toArray());
            c.close();
        } finally {
            client.terminate();
            node.close();
        }
    }

    @Test
    void badClusterFlagsAreNamed() {
        var e = assertThrows(IllegalArgumentException.class,
                () -> ClusterNode.config(ClusterNode.defaults(), List.of("cook"), List.of(), null, null));
        assertTrue(e.getMessage().contains("unknown role \"cook\""), e.getMessage());
        e = assertThrows(IllegalArgumentException.class,
                () -> ClusterNode.config(ClusterNode.defaults(), List.of("loop"), List.of("nohost"), null, null));
        assertTrue(e.getMessage().contains("--seed must be HOST:PORT"), e.getMessage());
    }
}
