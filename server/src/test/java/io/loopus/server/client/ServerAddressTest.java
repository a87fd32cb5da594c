package io.loopus.server.client;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class ServerAddressTest {
    @Test
    void parses() {
        assertEquals(new ServerAddress("127.0.0.1", 8080), ServerAddress.parse("127.0.0.1:8080"));
        assertEquals(new ServerAddress("gpu-box.local", 1), ServerAddress.parse(" gpu-box.local:1 "));
        ServerAddress v6 = ServerAddress.parse("[::1]:50051");
        assertEquals(new ServerAddress("::1", 50051), v6);
        assertEquals("[::1]:50051", v6.toString());
    }

    @Test
    void rejectsBadInput() {
        for (String bad : new String[] {"", "localhost", "localhost:", ":8080", "host:http", "host:0", "host:65536", "::1:80"}) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> ServerAddress.parse(bad), bad);
            assertTrue(e.getMessage().startsWith("--server"), e.getMessage());
        }
    }
}
