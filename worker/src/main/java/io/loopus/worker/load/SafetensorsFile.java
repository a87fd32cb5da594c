package io.loopus.worker.load;

import com.fasterxml.jackson.databind.JsonNode;
import io.loopus.worker.tensor.DType;
import io.loopus.worker.tensor.HalfMatrix;
import io.loopus.worker.tensor.F32Matrix;
import io.loopus.worker.tensor.HalfFloats;
import io.loopus.worker.tensor.Matrix;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.MappedByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Arrays;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * One {@code .safetensors} file: an 8-byte header length, a JSON header, then the raw tensors.
 * Tensors are memory-mapped one at a time and copied into heap arrays in their own dtype.
 */
public final class SafetensorsFile implements TensorSource, AutoCloseable {
    /** A tensor's entry in the header. */
    public record Entry(String name, DType dtype, String dtypeName, long[] shape, long begin, long end) {
        public long elements() {
            long n = 1;
            for (long d : shape) n *= d;
            return n;
        }
    }

    private final Path file;
    private final FileChannel channel;
    private final long dataStart;
    private final Map<String, Entry> entries;

    private SafetensorsFile(Path file, FileChannel channel, long dataStart, Map<String, Entry> entries) {
        this.file = file;
        this.channel = channel;
        this.dataStart = dataStart;
        this.entries = entries;
    }

    public static SafetensorsFile open(Path file) {
        FileChannel ch = null;
        try {
            ch = FileChannel.open(file, StandardOpenOption.READ);
            long size = ch.size();
            if (size < 8) throw new ModelFormatException(file, "truncated: " + size + " bytes, no safetensors header");
            ByteBuffer len = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN);
            ch.read(len, 0);
            long headerLen = len.getLong(0);
            if (headerLen <= 1 || headerLen > 100_000_000 || 8 + headerLen > size) {
                throw new ModelFormatException(file, "bad safetensors header length " + headerLen + " for a file of "
                        + size + " bytes (truncated or not safetensors)");
            }
            ByteBuffer header = ByteBuffer.allocate((int) headerLen);
            ch.read(header, 8);
            JsonNode json;
            try {
                json = Json.MAPPER.readTree(new String(header.array(), StandardCharsets.UTF_8));
            } catch (IOException e) {
                throw new ModelFormatException(file, "the safetensors header is not valid JSON: "
                        + e.getMessage().lines().findFirst().orElse(""), e);
            }
            if (json == null || !json.isObject()) throw new ModelFormatException(file, "the safetensors header is not a JSON object");
            long dataStart = 8 + headerLen;
            Map<String, Entry> entries = new LinkedHashMap<>();
            for (Iterator<Map.Entry<String, JsonNode>> it = json.fields(); it.hasNext(); ) {
                Map.Entry<String, JsonNode> e = it.next();
                if (e.getKey().equals("__metadata__")) continue;
                entries.put(e.getKey(), parseEntry(file, e.getKey(), e.getValue(), size - dataStart));
            }
            SafetensorsFile f = new SafetensorsFile(file, ch, dataStart, entries);
            ch = null;
            return f;
        } catch (IOException e) {
            throw new ModelFormatException(file, "cannot read: " + e.getMessage(), e);
        } finally {
            if (ch != null) {
                try {
                    ch.close();
                } catch (IOException ignored) {
                    // already failing
                }
            }
        }
    }

    private static Entry parseEntry(Path file, String name, JsonNode n, long dataBytes) {
        String dtypeName = n.path("dtype").asText("");
        JsonNode shapeNode = n.path("shape"), offsets = n.path("data_offsets");
        if (!shapeNode.isArray() || !offsets.isArray() || offsets.size() != 2) {
            throw new ModelFormatException(file, "tensor " + name + " has no valid shape/data_offsets in the header");
        }
        long[] shape = new long[shapeNode.size()];
        for (int i = 0; i < shape.length; i++) shape[i] = shapeNode.get(i).asLong();
        long begin = offsets.get(0).asLong(), end = offsets.get(1).asLong();
        DType dtype = DType.fromSafetensors(dtypeName);
        Entry entry = new Entry(name, dtype, dtypeName, shape, begin, end);
        if (begin < 0 || end < begin || end > dataBytes) {
            throw new ModelFormatException(file, "tensor " + name + " lies at bytes [" + begin + ", " + end
                    + ") but the data section has " + dataBytes + " bytes (truncated?)");
        }
        if (dtype != null && entry.elements() * dtype.bytes != end - begin) {
            throw new ModelFormatException(file, "tensor " + name + " of shape " + Arrays.toString(shape) + " and dtype "
                    + dtypeName + " needs " + entry.elements() * dtype.bytes + " bytes, its offsets give " + (end - begin));
        }
        return entry;
    }

    public Path file() { return file; }

    public Map<String, Entry> entries() { return entries; }

    public boolean has(String name) { return entries.containsKey(name); }

    private Entry entry(String name) {
        Entry e = entries.get(name);
        if (e == null) throw new ModelFormatException(file, "missing tensor " + name);
        if (e.dtype() == null) {
            throw new ModelFormatException(file, "tensor " + name + " has unsupported dtype " + e.dtypeName()
                    + " (supported: F32, F16, BF16)");
        }
        return e;
    }

    private ByteBuffer map(Entry e) {
        try {
            MappedByteBuffer m = channel.map(FileChannel.MapMode.READ_ONLY, dataStart + e.begin(), e.end() - e.begin());
            return m.order(ByteOrder.LITTLE_ENDIAN);
        } catch (IOException ex) {
            throw new ModelFormatException(file, "cannot map tensor " + e.name() + ": " + ex.getMessage(), ex);
        }
    }

    /** A 2-D tensor of exactly rows x cols, kept in its stored dtype. */
    @Override public Matrix matrix(String name, int rows, int cols) {
        Entry e = entry(name);
        if (e.shape().length != 2 || e.shape()[0] != rows || e.shape()[1] != cols) {
            throw new ModelFormatException(file, "tensor " + name + " has shape " + Arrays.toString(e.shape())
                    + ", expected [" + rows + ", " + cols + "]");
        }
        ByteBuffer b = map(e);
        int n = Math.multiplyExact(rows, cols);
        return switch (e.dtype()) {
            case F32 -> {
                float[] d = new float[n];
                b.asFloatBuffer().get(d);
                yield new F32Matrix(rows, cols, d);
            }
            case F16 -> {
                short[] d = new short[n];
                b.asShortBuffer().get(d);
                yield new HalfMatrix(rows, cols, d, DType.F16);
            }
            case BF16 -> {
                short[] d = new short[n];
                b.asShortBuffer().get(d);
                yield new HalfMatrix(rows, cols, d, DType.BF16);
            }
        };
    }

    /** A 1-D tensor of exactly n values, widened to F32. */
    @Override public float[] vector(String name, int n) {
        Entry e = entry(name);
        if (e.shape().length != 1 || e.shape()[0] != n) {
            throw new ModelFormatException(file, "tensor " + name + " has shape " + Arrays.toString(e.shape())
                    + ", expected [" + n + "]");
        }
        float[] out = new float[n];
        ByteBuffer b = map(e);
        for (int i = 0; i < n; i++) {
            out[i] = switch (e.dtype()) {
                case F32 -> b.getFloat(4 * i);
                case F16 -> HalfFloats.f16ToFloat(b.getShort(2 * i));
                case BF16 -> HalfFloats.bf16ToFloat(b.getShort(2 * i));
            };
        }
        return out;
    }

    @Override public void close() {
        try {
            channel.close();
        } catch (IOException ignored) {
            // read-only: nothing to lose
        }
    }
}
