package io.loopus.server.demo;

/** A progress line for long work (the command line draws it on stderr). */
public interface ProgressSink {
    void update(long done, String detail);

    /** The last line, with the time taken. */
    void finish(long done);

    /** Starts one progress line of {@code total} units. */
    @FunctionalInterface
    interface Factory {
        ProgressSink start(String label, String unit, long total);
    }

    ProgressSink NONE = new ProgressSink() {
        @Override public void update(long done, String detail) {}

        @Override public void finish(long done) {}
    };
}
