package io.loopus.server.serve;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import io.loopus.worker.load.LoadedModel;
import io.loopus.worker.stage.DecoderStage;
import io.loopus.worker.stage.EncoderStage;
import io.loopus.worker.stage.LoopStage;
import io.loopus.worker.stage.StageKeys;
import io.loopus.worker.stage.StagePlan;
import io.loopus.worker.stage.StageStats;
import io.loopus.worker.gpu.Backends;
import io.loopus.worker.tensor.Backend;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.DispatcherSelector;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.actor.typed.receptionist.Receptionist;
import org.apache.pekko.management.cluster.bootstrap.ClusterBootstrap;
import org.apache.pekko.management.javadsl.PekkoManagement;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

/**
 * One node of a loopus cluster (Pekko Cluster, Artery TCP): it hosts the stages of its roles,
 * registered with the Receptionist, and with the {@code frontend} role the scheduler (whose
 * pipelines come from the stages the cluster lists) and the gRPC services. It joins through seed
 * nodes, or through Pekko Management's Cluster Bootstrap with Kubernetes API discovery.
 */
public final class ClusterNode {
    public static final Set<String> ROLES = Set.of("frontend", "encoder", "loop", "decoder");

    private ClusterNode() {}

    /**
     * The defaults of a cluster node: reference.conf, cluster.conf over it, application.conf over
     * both (unresolved, so that later layers can still fill its substitutions).
     */
    public static Config defaults() {
        return ConfigFactory.defaultApplication().withFallback(ConfigFactory.parseResources("cluster.conf"))
                .withFallback(ConfigFactory.defaultReference());
    }

    /**
     * The node's settings: roles, seed nodes and ports from the command line over {@code base}
     * (which must hold {@link #defaults()}; null values keep the configuration's).
     */
    public static Config config(Config base, List<String> roles, List<String> seeds, Integer arteryPort, String arteryHost) {
        for (String r : roles) {
            if (!ROLES.contains(r)) throw new IllegalArgumentException("unknown role \"" + r + "\" (one of frontend, encoder, loop, decoder)");
        }
        Config cluster = base;
        Map<String, Object> over = new java.util.HashMap<>();
        over.put("pekko.cluster.roles", roles);
        over.put("loopus.cluster.roles", roles);
        if (!seeds.isEmpty()) {
            List<String> addresses = new ArrayList<>();
            for (String s : seeds) {
                if (!s.matches("[^:]+:\\d+")) throw new IllegalArgumentException("--seed must be HOST:PORT (an Artery endpoint), got \"" + s + "\"");
                addresses.add("pekko://loopus@" + s);
            }
            over.put("pekko.cluster.seed-nodes", addresses);
        }
        if (arteryPort != null) over.put("pekko.remote.artery.canonical.port", arteryPort);
        if (arteryHost != null) over.put("pekko.remote.artery.canonical.hostname", arteryHost);
        return ConfigFactory.parseMap(over).withFallback(cluster).resolve();
    }

    /** Starts the node; returns once it is up (and, on a frontend, once the gRPC port is bound). */
    public static LoopusServer start(LoadedModel model, ServeSettings settings, Config config) {
        List<String> roles = config.getStringList("loopus.cluster.roles");
        StagePlan plan = LoopusServer.plan(model, settings);
        int threads = settings.deviceThreads();
        List<Backend> devices = new ArrayList<>();
        List<StageStats> stats = new ArrayList<>();
        SchedulerStats schedulerStats = new SchedulerStats();
        CompletableFuture<ActorRef<Scheduler.Command>> scheduler = new CompletableFuture<>();
        CompletableFuture<Void> spawned = new CompletableFuture<>();
        int kv = settings.kvTokens();
        DispatcherSelector pinned = DispatcherSelector.fromConfig("loopus.stage-dispatcher");
        Behavior<Void> guardian = Behaviors.setup(ctx -> {
            var receptionist = ctx.getSystem().receptionist();
            if (roles.contains("encoder")) {
                Backend d = device(devices, settings, 0, threads);
                StageStats s = new StageStats("encoder", d.name());
                stats.add(s);
                ActorRef<EncoderStage.Command> ref = ctx.spawn(EncoderStage.create(plan.encoder(d, kv), s), "encoder", pinned);
                receptionist.tell(Receptionist.register(StageKeys.ENCODER, ref));
            }
            if (roles.contains("loop")) {
                Backend d = device(devices, settings, 1, threads);
                StageStats s = new StageStats("loop", d.name());
                stats.add(s);
                ActorRef<LoopStage.Command> ref = ctx.spawn(LoopStage.create(plan.loop(d, kv, settings.batching() == LoopStage.Batching.STATIC),
                        s, settings.batching(), settings.loopRows()), "loop", pinned);
                receptionist.tell(Receptionist.register(StageKeys.LOOP, ref));
            }
            if (roles.contains("decoder")) {
                Backend d = device(devices, settings, 2, threads);
                StageStats s = new StageStats("decoder", d.name());
                stats.add(s);
                ActorRef<DecoderStage.Command> ref = ctx.spawn(DecoderStage.create(plan.decoder(d, kv), s), "decoder", pinned);
                receptionist.tell(Receptionist.register(StageKeys.DECODER, ref));
            }
            if (roles.contains("frontend")) {
                scheduler.complete(ctx.spawn(Scheduler.create(settings, plan.config(), plan.kvBytesPerToken(), model.tokenizer(),
                        schedulerStats, new ClusterPipelines()), "scheduler"));
            }
            spawned.complete(null);
            return Behaviors.empty();
        });
        ActorSystem<Void> system = ActorSystem.create(guardian, "loopus", config);
        AutoCloseable release = () -> closeAll(devices);
        try {
            spawned.get(30, TimeUnit.SECONDS);
            startBootstrap(system, config);
            ActorRef<Scheduler.Command> ref = roles.contains("frontend") ? scheduler.get(30, TimeUnit.SECONDS) : null;
            LoopusServer node = new LoopusServer(system, ref, settings, schedulerStats, stats, release);
            if (ref != null) node.bind(GrpcFront.bind(system, ref, model, plan, settings, stats, schedulerStats, node::serving));
            return node;
        } catch (Exception e) {
            system.terminate();
            closeAll(devices);
            Throwable cause = e instanceof java.util.concurrent.ExecutionException ? e.getCause() : e;
            throw new IllegalStateException("cannot start the cluster node: " + cause.getMessage(), cause);
        }
    }

    /** The stage's device (cpu:N, or cuda:N on a GPU node), opened for this node. */
    private static Backend device(List<Backend> devices, ServeSettings settings, int stage, int threads) {
        Backend d = Backends.openBackend(Backends.parse(settings.devices().get(stage)), threads);
        devices.add(d);
        return d;
    }

    private static void closeAll(List<Backend> devices) {
        for (Backend d : devices) {
            try {
                ((AutoCloseable) d).close();
            } catch (Exception ignored) {
                // shutting down: every device is released that can be
            }
        }
    }

    /** Kubernetes: management endpoints and Cluster Bootstrap; seed nodes join by themselves from the configuration. */
    private static void startBootstrap(ActorSystem<Void> system, Config config) throws Exception {
        String bootstrap = config.getString("loopus.cluster.bootstrap").toLowerCase(Locale.ROOT);
        boolean management = bootstrap.equals("kubernetes") || config.hasPath("loopus.cluster.management") && config.getBoolean("loopus.cluster.management");
        if (management) PekkoManagement.get(system).start().toCompletableFuture().get(30, TimeUnit.SECONDS);
        if (bootstrap.equals("kubernetes")) {
            ClusterBootstrap.get(system).start();
        } else if (!bootstrap.equals("seed-nodes")) {
            throw new IllegalArgumentException("loopus.cluster.bootstrap must be seed-nodes or kubernetes, got \"" + bootstrap + "\"");
        }
    }
}
