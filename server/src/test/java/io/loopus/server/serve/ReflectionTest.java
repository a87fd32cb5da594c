package io.loopus.server.serve;

import io.grpc.ManagedChannel;
import io.grpc.ManagedChannelBuilder;
import io.grpc.reflection.v1alpha.ServerReflectionGrpc;
import io.grpc.reflection.v1alpha.ServerReflectionRequest;
import io.grpc.reflection.v1alpha.ServerReflectionResponse;
import io.grpc.reflection.v1alpha.ServiceResponse;
import io.grpc.stub.StreamObserver;
import io.loopus.worker.loop.ExitPolicy;
import org.junit.jupiter.api.Test;

import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertTrue;

/** Server reflection lists the services, as a tool like grpcurl asks for them. */
class ReflectionTest {
    @Test
    void reflectionListsTheServices() throws Exception {
        try (TestServer t = TestServer.start(TestServer.looped(ExitPolicy.fixed(2)), "")) {
            ManagedChannel channel = ManagedChannelBuilder.forAddress("127.0.0.1", t.server.port()).usePlaintext().build();
            try {
                CompletableFuture<Set<String>> names = new CompletableFuture<>();
                var requests = ServerReflectionGrpc.newStub(channel).serverReflectionInfo(new StreamObserver<>() {
                    final Set<String> seen = new TreeSet<>();

                    @Override public void onNext(ServerReflectionResponse r) {
                        for (ServiceResponse s : r.getListServicesResponse().getServiceList()) seen.add(s.getName());
                    }

                    @Override public void onError(Throwable e) { names.completeExceptionally(e); }

                    @Override public void onCompleted() { names.complete(seen); }
                });
                requests.onNext(ServerReflectionRequest.newBuilder().setListServices("").build());
                requests.onCompleted();
                Set<String> got = names.get(20, TimeUnit.SECONDS);
                assertTrue(got.containsAll(Set.of("loopus.v1.LoopusService", "grpc.health.v1.Health")), got.toString());
            } finally {
                channel.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
            }
        }
    }
}
