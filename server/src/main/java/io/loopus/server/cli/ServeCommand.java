package io.loopus.server.cli;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import io.loopus.server.serve.ClusterNode;
import io.loopus.server.serve.DeviceCheck;
import io.loopus.server.serve.LoopusServer;
import io.loopus.server.serve.ServeSettings;
import io.loopus.worker.load.LoadedModel;
import io.loopus.worker.load.ModelShape;
import io.loopus.worker.loop.Split;
import io.loopus.worker.stage.StageStats;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;

/** Serves a model over gRPC until stopped (Ctrl-C or SIGTERM shut it down gracefully). */
@Command(name = "serve", mixinStandardHelpOptions = true, description = {
        "Serve a model (base or LoopUS) over gRPC: loopus.v1.LoopusService, grpc.health.v1.Health and server reflection.",
        "Settings (loopus.server in HOCON), each overriding the one before: the defaults (reference.conf), application.conf,",
        "LOOPUS_HOST, LOOPUS_PORT, LOOPUS_DEVICES (e.g. cpu:0,cpu:1,cpu:2), LOOPUS_PLACEMENT, LOOPUS_BATCHING,",
        "LOOPUS_KV_TOKENS, LOOPUS_QUEUE_LIMIT, --config FILE, these flags.",
        "Stages on cuda:N are checked before the model loads: the device must exist and the stages placed on it must fit",
        "its free memory (bin/loopus devices lists the devices)."})
public final class ServeCommand implements Callable<Integer> {
    @Mixin ModelOptions modelOptions;

    @Mixin LoopOptions loopOptions;

    @Option(names = "--host", paramLabel = "H", description = "address to bind (default 127.0.0.1: loopback only)")
    String host;

    @Option(names = "--port", paramLabel = "P", description = "port (default 50051; 0 picks a free one)")
    Integer port;

    @Option(names = "--config", paramLabel = "FILE", description = "a HOCON file with loopus.server settings")
    Path configFile;

    @Option(names = "--batching", paramLabel = "MODE", description = "depth-wise (default) or static loop batching")
    String batching;

    @Option(names = "--devices", paramLabel = "E,L,D", split = ",", description = "devices of the encoder, loop and decoder stages (default cpu:0,cpu:1,cpu:2)")
    List<String> devices;

    @Option(names = "--placement", paramLabel = "STAGE=DEVICE,...",
            description = "devices of named stages, overriding --devices: e.g. encoder=cuda:0,loop=cuda:1,decoder=cuda:2")
    String placement;

    @Option(names = "--kv-tokens", paramLabel = "N", description = "KV cache positions over all running requests")
    Integer kvTokens;

    @Option(names = "--queue-limit", paramLabel = "N", description = "requests waiting for admission before RESOURCE_EXHAUSTED")
    Integer queueLimit;

    @Option(names = "--max-loops", paramLabel = "N", description = "deepest loop a request may ask for (default: the model's N)")
    Integer maxLoops;

    @Option(names = "--role", paramLabel = "ROLE[,ROLE]", split = ",",
            description = "run one node of a cluster with these roles: frontend, encoder, loop, decoder")
    List<String> roles;

    @Option(names = "--seed", paramLabel = "HOST:PORT", description = "a seed node's Artery endpoint (repeatable; cluster mode)")
    List<String> seeds = new java.util.ArrayList<>();

    @Option(names = "--artery-port", paramLabel = "P", description = "this node's cluster port (default 25520; cluster mode)")
    Integer arteryPort;

    @Option(names = "--artery-host", paramLabel = "H", description = "this node's address as other nodes reach it (default 127.0.0.1)")
    String arteryHost;

    @Override public Integer call() throws Exception {
        Config config = config();
        ServeSettings settings = ServeSettings.from(config);
        checkDevices(settings);
        LoadedModel loaded = modelOptions.load();
        loaded = new LoadedModel(loopOptions.apply(loaded.model()), loaded.tokenizer(), loaded.modelPath(),
                loaded.tokenizerPath(), loaded.format());
        boolean clustered = roles != null && !roles.isEmpty();
        if (!clustered && (!seeds.isEmpty() || arteryPort != null || arteryHost != null)) {
            throw new IllegalArgumentException("--seed, --artery-port and --artery-host need --role (cluster mode)");
        }
        if (clustered) config = ClusterNode.config(config, roles, seeds, arteryPort, arteryHost);
        LoopusServer server = clustered ? ClusterNode.start(loaded, settings, config) : LoopusServer.start(loaded, settings, config);
        CountDownLatch stopped = new CountDownLatch(1);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            System.err.println("loopus serve: shutting down (grace " + settings.shutdownGrace().toSeconds() + " s)...");
            server.close();
            stopped.countDown();
        }, "loopus-shutdown"));
        if (server.port() >= 0) {
            System.err.printf("loopus serve: %s (%s) on %s:%d, %s batching%n", loaded.modelPath(), loaded.format(),
                    server.host(), server.port(), settings.batching());
        }
        if (clustered) {
            System.err.printf("loopus serve: cluster node %s with roles %s%n",
                    org.apache.pekko.cluster.typed.Cluster.get(server.system()).selfMember().address(), roles);
        }
        for (StageStats s : server.stageStats()) System.err.printf("  stage %-7s on %s%n", s.name(), s.device());
        System.err.println("  Ctrl-C stops it");
        stopped.await();
        return 0;
    }

    /** GPU stages are checked before the model loads: the devices exist, and the stages fit them. */
    private void checkDevices(ServeSettings settings) {
        if (!settings.usesCuda()) return;
        DeviceCheck.devicesExist(settings);
        ModelShape shape = ModelShape.of(modelOptions.model); // headers only
        Split split = loopOptions.split == null ? null : Split.parse(loopOptions.split, shape.config().layers());
        boolean looped = split != null || shape.split() != null;
        int depths = !looped ? 1 : settings.maxLoops() > 0 ? settings.maxLoops()
                : loopOptions.loops != null ? loopOptions.loops : shape.loops() > 0 ? shape.loops() : 4;
        DeviceCheck.fits(DeviceCheck.memory(shape, split, depths, settings), settings, DeviceCheck.DeviceFree.cuda());
    }

    /**
     * Defaults (reference.conf, and cluster.conf in cluster mode), then application.conf, then
     * LOOPUS_* variables, then --config FILE, then flags.
     */
    Config config() {
        Map<String, Object> flags = new HashMap<>();
        put(flags, "host", host);
        put(flags, "port", port);
        put(flags, "batching", batching);
        put(flags, "devices", devices);
        put(flags, "placement", placement);
        put(flags, "kv-tokens", kvTokens);
        put(flags, "queue-limit", queueLimit);
        put(flags, "max-loops", maxLoops);
        Config env = ConfigFactory.empty();
        Map<String, String> vars = Map.of("LOOPUS_HOST", "host", "LOOPUS_PORT", "port", "LOOPUS_BATCHING", "batching",
                "LOOPUS_KV_TOKENS", "kv-tokens", "LOOPUS_QUEUE_LIMIT", "queue-limit",
                "LOOPUS_PLACEMENT", "placement");
        for (var e : vars.entrySet()) {
            String v = System.getenv(e.getKey());
            if (v != null && !v.isBlank()) env = env.withFallback(ConfigFactory.parseMap(Map.of("loopus.server." + e.getValue(), v)));
        }
        String devicesVar = System.getenv("LOOPUS_DEVICES");
        if (devicesVar != null && !devicesVar.isBlank()) {
            env = env.withFallback(ConfigFactory.parseMap(Map.of("loopus.server.devices", List.of(devicesVar.split(",")))));
        }
        Config file = ConfigFactory.empty();
        if (configFile != null) {
            if (!Files.isRegularFile(configFile)) throw new IllegalArgumentException(configFile + ": no such config file");
            try {
                file = ConfigFactory.parseFile(configFile.toFile());
            } catch (com.typesafe.config.ConfigException e) {
                throw new IllegalArgumentException(configFile + ": " + e.getMessage());
            }
        }
        Config defaults = roles != null && !roles.isEmpty() ? ClusterNode.defaults() : ConfigFactory.load();
        return ConfigFactory.parseMap(flags).withFallback(file).withFallback(env).withFallback(defaults).resolve();
    }

    private static void put(Map<String, Object> m, String key, Object value) {
        if (value != null) m.put("loopus.server." + key, value);
    }
}
