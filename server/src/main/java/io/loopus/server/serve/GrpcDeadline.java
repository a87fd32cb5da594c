package io.loopus.server.serve;

import java.time.Duration;
import java.util.Optional;

/** The client's deadline as gRPC sends it: the {@code grpc-timeout} header, e.g. {@code 1500m}. */
final class GrpcDeadline {
    private GrpcDeadline() {}

    /** The timeout in the header, or empty when it is absent or malformed. */
    static Optional<Duration> parse(Optional<String> header) {
        if (header.isEmpty()) return Optional.empty();
        String v = header.get().trim();
        if (v.length() < 2 || v.length() > 9) return Optional.empty();
        long amount;
        try {
            amount = Long.parseLong(v.substring(0, v.length() - 1));
        } catch (NumberFormatException e) {
            return Optional.empty();
        }
        return switch (v.charAt(v.length() - 1)) {
            case 'H' -> Optional.of(Duration.ofHours(amount));
            case 'M' -> Optional.of(Duration.ofMinutes(amount));
            case 'S' -> Optional.of(Duration.ofSeconds(amount));
            case 'm' -> Optional.of(Duration.ofMillis(amount));
            case 'u' -> Optional.of(Duration.ofNanos(amount * 1000));
            case 'n' -> Optional.of(Duration.ofNanos(amount));
            default -> Optional.empty();
        };
    }
}
