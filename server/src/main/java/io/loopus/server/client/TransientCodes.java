package io.loopus.server.client;

import java.util.Set;

/** gRPC codes worth retrying later: the request was fine, the server could not take it just then. */
final class TransientCodes {
    private static final Set<String> CODES = Set.of("UNAVAILABLE", "RESOURCE_EXHAUSTED", "DEADLINE_EXCEEDED", "ABORTED");

    private TransientCodes() {}

    static boolean isTransient(String codeName) {
        return CODES.contains(codeName);
    }
}
