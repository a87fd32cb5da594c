package io.loopus.server.client;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import io.loopus.proto.v1.LoopusServiceClient;
import org.apache.pekko.actor.ActorSystem;
import org.apache.pekko.grpc.GrpcClientSettings;

import java.util.concurrent.TimeUnit;

/** An actor system and a gRPC client to one server; closing closes both. */
public final class Clients implements AutoCloseable {
    /**
     * The client needs no cluster (application.conf may ask for one for the server), and Pekko logs to
     * stdout, where commands print their results: call failures reach the user as errors instead.
     * -D system properties still win, e.g. -Dpekko.loglevel=DEBUG.
     */
    private static final String CLIENT_CONFIG = "pekko.actor.provider = local\npekko.loglevel = OFF\npekko.stdout-loglevel = OFF";

    private final ActorSystem system;
    private final LoopusServiceClient client;

    private Clients(ActorSystem system, LoopusServiceClient client) {
        this.system = system;
        this.client = client;
    }

    public static Clients connect(ServerAddress address) {
        Config config = ConfigFactory.systemProperties()
                .withFallback(ConfigFactory.parseString(CLIENT_CONFIG))
                .withFallback(ConfigFactory.load());
        ActorSystem system = ActorSystem.create("loopus-client", config);
        try {
            GrpcClientSettings settings = GrpcClientSettings.connectToServiceAt(address.host(), address.port(), system).withTls(false);
            return new Clients(system, LoopusServiceClient.create(settings, system));
        } catch (RuntimeException e) {
            system.terminate();
            throw e;
        }
    }

    public ActorSystem system() {
        return system;
    }

    public LoopusServiceClient client() {
        return client;
    }

    @Override public void close() {
        try {
            client.close().toCompletableFuture().get(10, TimeUnit.SECONDS);
        } catch (Exception ignored) {
            // closing is best effort: the actor system below goes anyway
        } finally {
            system.terminate();
            try {
                system.getWhenTerminated().toCompletableFuture().get(10, TimeUnit.SECONDS);
            } catch (Exception ignored) {
                // a slow shutdown must not hide the command's result
            }
        }
    }
}
