package io.loopus.server.demo;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.List;

/**
 * The name of a cached conversion: a SHA-256 over the bytes of its input files (not their names or
 * places, so the same model from the shared folder or the hub gives the same key) and the recipe.
 */
public final class CacheKey {
    /** Hex digits kept: 64 bits, plenty for one user's cache. */
    static final int LENGTH = 16;

    private CacheKey() {}

    public static String of(List<Path> files, String recipe) {
        MessageDigest sha;
        try {
            sha = MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
        byte[] buf = new byte[1 << 16];
        for (Path f : files) {
            // Each part is length-prefixed, so moving bytes from one file to the next changes the key.
            long size;
            try (InputStream in = Files.newInputStream(f)) {
                size = Files.size(f);
                sha.update(ByteBuffer.allocate(8).putLong(size).array());
                for (int n; (n = in.read(buf)) > 0; ) sha.update(buf, 0, n);
            } catch (IOException e) {
                throw new UncheckedIOException(f + ": cannot read: " + e.getMessage(), e);
            }
        }
        byte[] r = recipe.getBytes(StandardCharsets.UTF_8);
        sha.update(ByteBuffer.allocate(8).putLong(r.length).array());
        sha.update(r);
        return HexFormat.of().formatHex(sha.digest()).substring(0, LENGTH);
    }
}
