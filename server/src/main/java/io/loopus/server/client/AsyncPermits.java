package io.loopus.server.client;

import java.util.ArrayDeque;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;

/** A semaphore whose acquire is a future, so a stream can wait for a permit without blocking a thread. */
final class AsyncPermits {
    private static final CompletionStage<Void> GRANTED = CompletableFuture.completedFuture(null);

    private final ArrayDeque<CompletableFuture<Void>> waiting = new ArrayDeque<>();
    private int available;

    AsyncPermits(int permits) {
        if (permits <= 0) throw new IllegalArgumentException("permits must be > 0, got " + permits);
        this.available = permits;
    }

    synchronized CompletionStage<Void> acquire() {
        if (available > 0) {
            available--;
            return GRANTED;
        }
        CompletableFuture<Void> f = new CompletableFuture<>();
        waiting.add(f);
        return f;
    }

    void release() {
        CompletableFuture<Void> next;
        synchronized (this) {
            next = waiting.poll();
            if (next == null) {
                available++;
                return;
            }
        }
        next.complete(null); // outside the lock: the waiter's continuation may run right here
    }
}
