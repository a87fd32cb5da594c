package io.loopus.worker.io;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;

/** Little-endian values written to a file channel through one reused 1 MiB buffer; counts the bytes. */
public final class LittleEndianOutput implements AutoCloseable {
    private final FileChannel ch;
    private final ByteBuffer buf = ByteBuffer.allocateDirect(1 << 20).order(ByteOrder.LITTLE_ENDIAN);
    private long written;

    public LittleEndianOutput(FileChannel ch) {
        this.ch = ch;
    }

    /** Bytes written so far, buffered ones included. */
    public long written() { return written + buf.position(); }

    private void room(int bytes) throws IOException {
        if (buf.remaining() < bytes) flush();
    }

    public void putInt(int v) throws IOException {
        room(Integer.BYTES);
        buf.putInt(v);
    }

    public void putLong(long v) throws IOException {
        room(Long.BYTES);
        buf.putLong(v);
    }

    public void putShort(short v) throws IOException {
        room(Short.BYTES);
        buf.putShort(v);
    }

    public void putFloat(float v) throws IOException {
        room(Float.BYTES);
        buf.putFloat(v);
    }

    public void putFloats(float[] a, int off, int n) throws IOException {
        while (n > 0) {
            room(Float.BYTES);
            int k = Math.min(n, buf.remaining() / Float.BYTES);
            buf.asFloatBuffer().put(a, off, k);
            buf.position(buf.position() + k * Float.BYTES);
            off += k;
            n -= k;
        }
    }

    public void putShorts(short[] a, int off, int n) throws IOException {
        while (n > 0) {
            room(Short.BYTES);
            int k = Math.min(n, buf.remaining() / Short.BYTES);
            buf.asShortBuffer().put(a, off, k);
            buf.position(buf.position() + k * Short.BYTES);
            off += k;
            n -= k;
        }
    }

    public void putBytes(byte[] a) throws IOException {
        for (int i = 0; i < a.length; ) {
            room(1);
            int k = Math.min(buf.remaining(), a.length - i);
            buf.put(a, i, k);
            i += k;
        }
    }

    public void flush() throws IOException {
        buf.flip();
        written += buf.remaining();
        while (buf.hasRemaining()) ch.write(buf);
        buf.clear();
    }

    /** Flushes and forces the bytes to the device; the channel stays open. */
    @Override public void close() throws IOException {
        flush();
        ch.force(true);
    }
}
