package io.loopus.server.serve;

import com.typesafe.config.ConfigFactory;
import io.grpc.Status;
import io.loopus.proto.v1.CompleteResponse;
import io.loopus.proto.v1.GenerateRequest;
import io.loopus.proto.v1.LoopusServiceClient;
import io.loopus.proto.v1.ModelInfoRequest;
import io.loopus.proto.v1.ModelInfoResponse;
import io.loopus.worker.generate.Generator;
import io.loopus.worker.generate.SamplingParams;
import io.loopus.worker.load.LoadedModel;
import io.loopus.worker.load.SharedData;
import io.loopus.worker.loop.ExitPolicy;
import org.apache.pekko.actor.ActorSystem;
import org.apache.pekko.grpc.GrpcClientSettings;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Four JVMs on 127.0.0.1 (frontend, encoder, loop, decoder) serve as one process does; a second
 * loop node takes over when the first is killed with SIGKILL, a restarted node rejoins and serves,
 * and with no loop node left in-flight requests end with UNAVAILABLE. Every process is killed at
 * the end, whatever happens.
 */
class ClusterTest {
    private final Map<String, Process> nodes = new LinkedHashMap<>();
    private Path logs;

    @Test
    void fourProcessesServeAsOneAndSurviveTheLossOfALoopNode(@TempDir Path dir) throws Exception {
        Path shared = SharedData.locate().orElse(null);
        Assumptions.assumeTrue(shared != null, "skipped: ../shared (or $LOOPUS_SHARED) is not present");
        logs = dir;
        Path model = shared.resolve("models/stories260K/stories260K.bin");
        List<String> prompts = new ArrayList<>();
        for (int i = 0; i < 16; i++) prompts.add(ServerTest.prompt(i));
        LoadedModel base = TestServer.base();
        List<int[]> ids = prompts.stream().map(p -> base.tokenizer().encode(p, true)).toList();
        ExitPolicy exit = TestServer.spreadExits(ids.subList(0, 8));
        LoadedModel offline = TestServer.looped(exit);
        List<String> modelFlags = List.of("--model", model.toString(), "--split", "1:4", "--init-seed", "11", "--loops", "6",
                "--exit", "threshold", "--tau", Double.toString(exit.tau()));

        int grpc = freePort(), seedPort = freePort();
        String seed = "127.0.0.1:" + seedPort;
        ActorSystem clientSystem = ActorSystem.create("client", ConfigFactory.parseString("pekko.loglevel = ERROR")
                .withFallback(ConfigFactory.load()));
        try {
            start("frontend", seedPort, seed, modelFlags, "--port", Integer.toString(grpc));
            start("encoder", freePort(), seed, modelFlags);
            int loopPort = freePort();
            start("loop", loopPort, seed, modelFlags);
            start("decoder", freePort(), seed, modelFlags);
            LoopusServiceClient client = LoopusServiceClient.create(GrpcClientSettings.connectToServiceAt("127.0.0.1", grpc,
                    clientSystem).withTls(false).withDeadline(Duration.ofSeconds(120)), clientSystem);
            awaitInfo(client, i -> i.getStatistics().getPipelines() == 1, "one pipeline");

            // 16 concurrent requests: the same tokens as offline generation
            assertSameAsOffline(client, offline, prompts, 24);

            // a second loop node joins; the first is killed while requests run on both
            int loop2Port = freePort();
            start("loop2", loop2Port, seed, modelFlags);
            awaitInfo(client, i -> i.getStatistics().getPipelines() == 2, "two pipelines");
            long before = info(client).getStatistics().getGeneratedTokens();
            List<CompletableFuture<CompleteResponse>> running = send(client, prompts, 120);
            awaitInfo(client, i -> i.getStatistics().getGeneratedTokens() > before + 100, "tokens flowing");
            long killed = System.nanoTime();
            nodes.get("loop").destroyForcibly();
            awaitInfo(client, i -> i.getStatistics().getPipelines() == 1, "the lost pipeline dropped");
            double detected = (System.nanoTime() - killed) / 1e9;
            check(offline, prompts, 120, running);
            double finished = (System.nanoTime() - killed) / 1e9;
            System.out.printf("failover: loop node killed; pipeline dropped after %.1f s; all 16 requests done %.1f s after the kill%n",
                    detected, finished);

            // the killed node comes back, joins and serves: the other loop node goes away and it carries the work
            start("loop", loopPort, seed, modelFlags);
            awaitInfo(client, i -> i.getStatistics().getPipelines() == 2, "the restarted node rejoined");
            nodes.get("loop2").destroyForcibly();
            awaitInfo(client, i -> i.getStatistics().getPipelines() == 1, "loop2 dropped");
            assertSameAsOffline(client, offline, prompts.subList(0, 8), 24);

            // no loop node left: in-flight requests end with UNAVAILABLE, and so do new ones
            List<CompletableFuture<CompleteResponse>> doomed = send(client, prompts.subList(0, 4), 400);
            long before2 = info(client).getStatistics().getGeneratedTokens();
            awaitInfo(client, i -> i.getStatistics().getGeneratedTokens() > before2 + 20, "tokens flowing");
            nodes.get("loop").destroyForcibly();
            for (var f : doomed) assertEquals(Status.Code.UNAVAILABLE, ServerErrorsTest.code(f));
            assertEquals(Status.Code.UNAVAILABLE, ServerErrorsTest.code(client.complete(GenerateRequest.newBuilder()
                    .setText("Hi").setMaxNewTokens(2).build())));
            client.close();
        } catch (Throwable t) {
            for (String name : nodes.keySet()) {
                Path log = logs.resolve(name + ".log");
                if (Files.exists(log)) {
                    List<String> lines = Files.readAllLines(log);
                    System.err.println("---- " + name + " ----\n" + String.join("\n", lines.subList(Math.max(0, lines.size() - 30), lines.size())));
                }
            }
            throw t;
        } finally {
            nodes.values().forEach(Process::destroyForcibly);
            clientSystem.terminate();
        }
    }

    private void start(String name, int arteryPort, String seed, List<String> modelFlags, String... more) throws IOException {
        String role = name.replaceAll("\\d+$", "");
        List<String> cmd = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "--add-modules", "jdk.incubator.vector", "-Xmx512m", "-XX:+UseSerialGC", "-cp", System.getProperty("java.class.path"),
                "io.loopus.server.cli.LoopusCli", "serve", "--role", role, "--artery-port", Integer.toString(arteryPort),
                "--seed", seed));
        cmd.addAll(modelFlags);
        cmd.addAll(List.of(more));
        ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.appendTo(logs.resolve(name + ".log").toFile()));
        pb.environment().keySet().removeIf(k -> k.startsWith("LOOPUS_") && !k.equals("LOOPUS_SHARED"));
        Process old = nodes.put(name, pb.start());
        if (old != null) old.destroyForcibly();
    }

    private static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0)) {
            return s.getLocalPort();
        }
    }

    private static ModelInfoResponse info(LoopusServiceClient client) throws Exception {
        return client.modelInfo(ModelInfoRequest.getDefaultInstance()).toCompletableFuture().get(10, TimeUnit.SECONDS);
    }

    /** Polls ModelInfo (the frontend may not be up yet) until the condition holds, for at most 90 s. */
    private static void awaitInfo(LoopusServiceClient client, Predicate<ModelInfoResponse> ok, String what) throws Exception {
        long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(90);
        String last = "no answer";
        while (System.nanoTime() < end) {
            try {
                ModelInfoResponse i = info(client);
                if (ok.test(i)) return;
                last = i.getStatistics().toString().replace('\n', ' ');
            } catch (Exception e) {
                last = String.valueOf(e.getMessage());
            }
            Thread.sleep(200);
        }
        throw new AssertionError("waited 90 s for " + what + "; last: " + last);
    }

    private static List<CompletableFuture<CompleteResponse>> send(LoopusServiceClient client, List<String> prompts, int max) {
        List<CompletableFuture<CompleteResponse>> out = new ArrayList<>();
        for (String p : prompts) {
            out.add(client.complete(GenerateRequest.newBuilder().setText(p).setMaxNewTokens(max).build()).toCompletableFuture());
        }
        return out;
    }

    private static void assertSameAsOffline(LoopusServiceClient client, LoadedModel offline, List<String> prompts, int max) throws Exception {
        check(offline, prompts, max, send(client, prompts, max));
    }

    private static void check(LoadedModel offline, List<String> prompts, int max, List<CompletableFuture<CompleteResponse>> calls)
            throws Exception {
        Generator g = new Generator(offline.model());
        for (int i = 0; i < prompts.size(); i++) {
            CompleteResponse r = calls.get(i).get(120, TimeUnit.SECONDS);
            int[] want = g.generate(offline.tokenizer().encode(prompts.get(i), true), max, SamplingParams.greedy(), null).ids();
            assertArrayEquals(want, r.getTokenIdsList().stream().mapToInt(Integer::intValue).toArray(), "request " + i);
            assertTrue(r.getText().equals(offline.tokenizer().decode(want)), "request " + i + " text");
        }
    }
}
