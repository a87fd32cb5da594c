package io.loopus.server.client;

import io.grpc.Status;
import io.grpc.StatusException;
import io.grpc.StatusRuntimeException;
import org.apache.pekko.grpc.GrpcServiceException;

import java.util.Optional;

/** Finds the gRPC status inside a failed call's exception (futures and streams wrap it). */
public final class GrpcErrors {
    private GrpcErrors() {}

    public static Optional<Status> status(Throwable t) {
        for (Throwable c = t; c != null; c = c.getCause() == c ? null : c.getCause()) {
            if (c instanceof StatusRuntimeException e) return Optional.of(e.getStatus());
            if (c instanceof StatusException e) return Optional.of(e.getStatus());
            if (c instanceof GrpcServiceException e) return Optional.of(e.getStatus());
        }
        return Optional.empty();
    }

    /** "CODE: message", or the exception's own text when it carries no status. */
    public static String describe(Throwable t) {
        return status(t).map(GrpcErrors::describe).orElseGet(() -> {
            Throwable root = t;
            while (root.getCause() != null && root.getCause() != root) root = root.getCause();
            return root.getClass().getSimpleName() + ": " + root.getMessage();
        });
    }

    public static String describe(Status s) {
        String d = s.getDescription();
        String cause = s.getCause() == null ? null : s.getCause().getMessage();
        if (d == null) d = cause;
        else if (cause != null && !cause.equals(d)) d += " (" + cause + ")"; // e.g. "io exception (Connection refused: ...)"
        return s.getCode().name() + ": " + (d == null ? "(no message)" : d);
    }

    /** The name of a numeric gRPC status code, e.g. 3 -> INVALID_ARGUMENT. */
    public static String codeName(int code) {
        return Status.fromCodeValue(code).getCode().name();
    }
}
