package io.loopus.worker.hub;

/**
 * Told how far a download has come, so a command line can draw a progress bar; the library itself
 * prints nothing. Called from the downloading thread after each chunk and once at the end.
 */
@FunctionalInterface
public interface DownloadProgress {
    DownloadProgress NONE = (done, total) -> {};

    /** @param done bytes received so far; @param total the Content-Length, or -1 when the server sent none */
    void update(long done, long total);
}
