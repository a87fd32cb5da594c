package io.loopus.server.client;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;

import java.io.Closeable;
import java.io.IOException;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.HashSet;
import java.util.Set;

/**
 * The JSONL results of a batch, appended one whole line at a time so that a rerun can resume: a line counts
 * only once its newline is written, and an unfinished last line (the process died mid-write) is cut off
 * before anything is appended.
 */
public final class ResultFile implements Closeable {
    private final Path file;
    private final FileChannel channel;
    private final Set<String> finished;

    private ResultFile(Path file, FileChannel channel, Set<String> finished) {
        this.file = file;
        this.channel = channel;
        this.finished = finished;
    }

    /** Opens (or creates) the file, repairs a torn last line and collects the ids already finished. */
    public static ResultFile open(Path file, PrintStream err) {
        try {
            FileChannel ch = FileChannel.open(file, StandardOpenOption.CREATE, StandardOpenOption.READ, StandardOpenOption.WRITE);
            try {
                byte[] bytes = Files.readAllBytes(file);
                int end = lastNewline(bytes) + 1;
                if (end < bytes.length) {
                    ch.truncate(end);
                    ch.force(true);
                    err.println("batch: " + file + ": cut off an unfinished last line (" + (bytes.length - end)
                            + " bytes) left by an interrupted run");
                }
                Set<String> finished = finishedIds(file, new String(bytes, 0, end, StandardCharsets.UTF_8));
                ch.position(end);
                return new ResultFile(file, ch, finished);
            } catch (IOException | RuntimeException e) {
                ch.close();
                throw e;
            }
        } catch (IOException e) {
            throw new UncheckedIOException(file + ": cannot open results: " + e.getMessage(), e);
        }
    }

    private static int lastNewline(byte[] bytes) {
        for (int i = bytes.length - 1; i >= 0; i--) if (bytes[i] == '\n') return i;
        return -1;
    }

    /** Ids with a result or a permanent error; transient errors are never written, so they run again. */
    private static Set<String> finishedIds(Path file, String text) {
        Set<String> ids = new HashSet<>();
        int lineNo = 0;
        for (String line : text.split("\n", -1)) {
            lineNo++;
            if (line.isBlank()) continue;
            JsonNode o;
            try {
                o = ClientJson.MAPPER.readTree(line);
            } catch (JsonProcessingException e) {
                o = null;
            }
            JsonNode id = o == null ? null : o.get("id");
            if (id == null || !(id.isTextual() || id.isNumber())) {
                throw new IllegalArgumentException(file + " line " + lineNo + ": not a result line of loopus batch; "
                        + "give another --output or remove the line");
            }
            JsonNode code = o.path("error").path("code");
            if (!code.isTextual() || !TransientCodes.isTransient(code.textValue())) ids.add(id.asText());
        }
        return ids;
    }

    public boolean isFinished(String id) {
        return finished.contains(id);
    }

    /** Writes one line straight to the file (no buffer to lose). */
    public void append(String jsonLine) {
        ByteBuffer buf = ByteBuffer.wrap((jsonLine + "\n").getBytes(StandardCharsets.UTF_8));
        try {
            while (buf.hasRemaining()) channel.write(buf);
        } catch (IOException e) {
            throw new UncheckedIOException(file + ": cannot write results: " + e.getMessage(), e);
        }
    }

    /** Syncs to disk and closes. */
    @Override public void close() {
        try (channel) {
            channel.force(true);
        } catch (IOException e) {
            throw new UncheckedIOException(file + ": cannot sync results: " + e.getMessage(), e);
        }
    }
}
