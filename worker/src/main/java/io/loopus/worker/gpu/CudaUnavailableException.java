package io.loopus.worker.gpu;

/** A cuda:N device was asked for and cannot be had; the message says why, in one line. */
public final class CudaUnavailableException extends IllegalArgumentException {
    public CudaUnavailableException(String message) {
        super(message);
    }

    public CudaUnavailableException(String message, Throwable cause) {
        super(message, cause);
    }
}
