package io.loopus.server.client;

/** A server's {@code HOST:PORT} ({@code [::1]:PORT} for IPv6 literals). */
public record ServerAddress(String host, int port) {
    public ServerAddress {
        if (host == null || host.isBlank()) throw new IllegalArgumentException("server host is empty");
        if (port < 1 || port > 65535) throw new IllegalArgumentException("server port must be in 1..65535, got " + port);
    }

    public static ServerAddress parse(String text) {
        if (text == null) throw new IllegalArgumentException("--server needs HOST:PORT");
        String s = text.trim();
        int colon = s.lastIndexOf(':');
        if (colon <= 0 || colon == s.length() - 1) {
            throw new IllegalArgumentException("--server must be HOST:PORT (e.g. 127.0.0.1:8080), got \"" + text + "\"");
        }
        String host = s.substring(0, colon);
        if (host.startsWith("[") && host.endsWith("]")) host = host.substring(1, host.length() - 1);
        else if (host.contains(":")) {
            throw new IllegalArgumentException("--server: write an IPv6 address in brackets, e.g. [::1]:8080, got \"" + text + "\"");
        }
        int port;
        try {
            port = Integer.parseInt(s.substring(colon + 1));
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("--server: port is not a number in \"" + text + "\"");
        }
        try {
            return new ServerAddress(host, port);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("--server: " + e.getMessage());
        }
    }

    @Override public String toString() {
        return (host.contains(":") ? "[" + host + "]" : host) + ":" + port;
    }
}
