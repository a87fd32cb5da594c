package io.loopus.server.serve;

import io.loopus.proto.health.v1.Health;
import io.loopus.proto.health.v1.HealthCheckRequest;
import io.loopus.proto.health.v1.HealthCheckResponse;
import io.loopus.proto.health.v1.HealthCheckResponse.ServingStatus;
import org.apache.pekko.NotUsed;
import org.apache.pekko.stream.javadsl.Source;

import java.time.Duration;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.function.BooleanSupplier;

/**
 * grpc.health.v1: SERVING while the server admits work, NOT_SERVING once it shuts down. Knows the
 * whole server ("") and the LoopusService by name; any other name is SERVICE_UNKNOWN.
 */
final class HealthService implements Health {
    private static final Set<String> KNOWN = Set.of("", "loopus.v1.LoopusService");
    private final BooleanSupplier serving;

    HealthService(BooleanSupplier serving) { this.serving = serving; }

    private ServingStatus status(String service) {
        if (!KNOWN.contains(service)) return ServingStatus.SERVICE_UNKNOWN;
        return serving.getAsBoolean() ? ServingStatus.SERVING : ServingStatus.NOT_SERVING;
    }

    @Override public CompletionStage<HealthCheckResponse> check(HealthCheckRequest in) {
        return CompletableFuture.completedFuture(HealthCheckResponse.newBuilder().setStatus(status(in.getService())).build());
    }

    /** Sends the status, then again whenever it changes (polled each second). */
    @Override public Source<HealthCheckResponse, NotUsed> watch(HealthCheckRequest in) {
        return Source.tick(Duration.ZERO, Duration.ofSeconds(1), NotUsed.getInstance())
                .map(t -> status(in.getService()))
                .statefulMapConcat(() -> {
                    ServingStatus[] last = {null};
                    return s -> {
                        if (s == last[0]) return java.util.List.of();
                        last[0] = s;
                        return java.util.List.of(HealthCheckResponse.newBuilder().setStatus(s).build());
                    };
                })
                .mapMaterializedValue(c -> NotUsed.getInstance());
    }
}
