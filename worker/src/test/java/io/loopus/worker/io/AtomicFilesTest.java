package io.loopus.worker.io;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.DirectoryNotEmptyException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.List;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;

class AtomicFilesTest {
    @TempDir Path tmp;

    private List<String> names() throws IOException {
        try (Stream<Path> s = Files.list(tmp)) {
            return s.map(p -> p.getFileName().toString()).sorted().toList();
        }
    }

    @Test void aFileIsReplacedWholeOrNotAtAll() throws IOException {
        Path f = Files.writeString(tmp.resolve("f.txt"), "old");
        assertThrows(IOException.class, () -> AtomicFiles.writeFile(f, p -> {
            Files.writeString(p, "half");
            throw new IOException("disk full");
        }));
        assertEquals("old", Files.readString(f));
        assertEquals(List.of("f.txt"), names());
        AtomicFiles.writeFile(f, p -> Files.writeString(p, "new"));
        assertEquals("new", Files.readString(f));
        AtomicFiles.writeFile(tmp.resolve("sub/g.txt"), p -> Files.writeString(p, "g"));
        assertEquals("g", Files.readString(tmp.resolve("sub/g.txt")));
        assertEquals(List.of("f.txt", "sub"), names());
    }

    @Test void aDirectoryAppearsWholeAndNeverReplacesAFullOne() throws IOException {
        Path d = tmp.resolve("d");
        assertThrows(IllegalStateException.class, () -> AtomicFiles.writeDirectory(d, p -> {
            Files.writeString(p.resolve("a"), "a");
            throw new IllegalStateException("broken input");
        }));
        assertEquals(List.of(), names());
        Files.createDirectory(d); // an empty directory is replaced
        AtomicFiles.writeDirectory(d, p -> Files.writeString(p.resolve("a"), "a"));
        assertEquals("a", Files.readString(d.resolve("a")));
        assertThrows(DirectoryNotEmptyException.class, () -> AtomicFiles.writeDirectory(d, p -> Files.writeString(p.resolve("b"), "b")));
        assertFalse(Files.exists(d.resolve("b")));
        assertEquals(List.of("d"), names());
    }

    @Test void littleEndianOutputAcrossBufferBoundaries() throws IOException {
        Path f = tmp.resolve("le.bin");
        float[] floats = new float[300_000]; // 1.2 MB: crosses the 1 MiB buffer
        short[] shorts = new short[600_001];
        for (int i = 0; i < floats.length; i++) floats[i] = i * 0.5f - 7;
        for (int i = 0; i < shorts.length; i++) shorts[i] = (short) (i * 31);
        try (FileChannel ch = FileChannel.open(f, StandardOpenOption.WRITE, StandardOpenOption.CREATE_NEW);
             LittleEndianOutput out = new LittleEndianOutput(ch)) {
            out.putInt(0x01020304);
            out.putFloats(floats, 1, floats.length - 1);
            out.putShort((short) -2);
            out.putShorts(shorts, 0, shorts.length);
            out.putLong(-5L);
            out.putBytes(new byte[] {9, 8});
            out.putFloat(1.5f);
            assertEquals(4 + 4L * (floats.length - 1) + 2 + 2L * shorts.length + 8 + 2 + 4, out.written());
        }
        ByteBuffer b = ByteBuffer.wrap(Files.readAllBytes(f)).order(ByteOrder.LITTLE_ENDIAN);
        assertEquals(4, b.get(0)); // little-endian
        assertEquals(0x01020304, b.getInt());
        float[] backF = new float[floats.length - 1];
        b.asFloatBuffer().get(backF);
        b.position(b.position() + 4 * backF.length);
        assertArrayEquals(java.util.Arrays.copyOfRange(floats, 1, floats.length), backF);
        assertEquals(-2, b.getShort());
        for (short s : shorts) assertEquals(s, b.getShort());
        assertEquals(-5L, b.getLong());
        assertEquals(9, b.get());
        assertEquals(8, b.get());
        assertEquals(1.5f, b.getFloat());
        assertFalse(b.hasRemaining());
    }
}
