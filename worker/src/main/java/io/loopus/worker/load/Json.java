package io.loopus.worker.load;

import com.fasterxml.jackson.databind.ObjectMapper;

/** The one Jackson mapper every reader and writer of JSON files shares (it is thread-safe once configured). */
public final class Json {
    public static final ObjectMapper MAPPER = new ObjectMapper();

    private Json() {}
}
