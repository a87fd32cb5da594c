package io.loopus.worker.load;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.loopus.worker.io.AtomicFiles;
import io.loopus.worker.io.LittleEndianOutput;
import io.loopus.worker.tensor.DType;
import io.loopus.worker.tensor.HalfMatrix;
import io.loopus.worker.tensor.F32Matrix;
import io.loopus.worker.tensor.HalfFloats;
import io.loopus.worker.tensor.Matrix;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * Writes a {@code .safetensors} file: an 8-byte little-endian header length, a JSON header padded
 * with spaces to a multiple of 8 bytes, then the tensors back to back in the order added.
 * Tensors are streamed from their sources when written, so nothing is copied in advance.
 */
public final class SafetensorsWriter {
    /** Produces a tensor's bytes, little-endian, exactly as many as its shape and dtype need. */
    @FunctionalInterface
    private interface Source {
        void writeTo(LittleEndianOutput out) throws IOException;
    }

    private record Pending(String name, String dtype, long[] shape, long bytes, Source source) {}

    private final List<Pending> tensors = new ArrayList<>();
    private final Set<String> names = new HashSet<>();

    /** A matrix in its stored dtype, shape [rows, cols]. */
    public SafetensorsWriter add(String name, Matrix m) {
        return add(name, m, null);
    }

    /**
     * A matrix in its stored dtype whose output row r is row {@code rowOrder[r]} of {@code m}
     * (null: rows as they are).
     */
    public SafetensorsWriter add(String name, Matrix m, int[] rowOrder) {
        if (rowOrder != null && rowOrder.length != m.rows()) {
            throw new IllegalArgumentException("row order of " + rowOrder.length + " for a matrix of " + m.rows() + " rows");
        }
        int rows = m.rows(), cols = m.cols();
        long[] shape = {rows, cols};
        return put(name, m.dtype().name(), shape, (long) rows * cols * m.dtype().bytes, out -> {
            for (int r = 0; r < rows; r++) {
                int base = (rowOrder == null ? r : rowOrder[r]) * cols;
                if (m instanceof F32Matrix f) out.putFloats(f.data(), base, cols);
                else out.putShorts(((HalfMatrix) m).data(), base, cols);
            }
        });
    }

    /** A 1-D F32 tensor. */
    public SafetensorsWriter add(String name, float[] values) {
        return add(name, DType.F32, new long[] {values.length}, values);
    }

    /** Values of any shape, rounded to {@code dtype} (round to nearest even for F16 and BF16). */
    public SafetensorsWriter add(String name, DType dtype, long[] shape, float[] values) {
        long n = elements(shape);
        if (n != values.length) {
            throw new IllegalArgumentException("tensor " + name + " of shape " + Arrays.toString(shape) + " given "
                    + values.length + " values");
        }
        return put(name, dtype.name(), shape, n * dtype.bytes, out -> {
            switch (dtype) {
                case F32 -> out.putFloats(values, 0, values.length);
                case F16 -> {
                    for (float v : values) out.putShort(HalfFloats.floatToF16(v));
                }
                case BF16 -> {
                    for (float v : values) out.putShort(HalfFloats.floatToBf16(v));
                }
            }
        });
    }

    /** Raw bytes under any dtype name, as given (for dtypes loopus does not compute in, e.g. I8). */
    public SafetensorsWriter addRaw(String name, String dtypeName, long[] shape, byte[] data) {
        return put(name, dtypeName, shape, data.length, out -> out.putBytes(data));
    }

    private SafetensorsWriter put(String name, String dtype, long[] shape, long bytes, Source source) {
        if (name.equals("__metadata__") || !names.add(name)) {
            throw new IllegalArgumentException("tensor name " + name + " is reserved or already added");
        }
        tensors.add(new Pending(name, dtype, shape.clone(), bytes, source));
        return this;
    }

    private static long elements(long[] shape) {
        long n = 1;
        for (long d : shape) n = Math.multiplyExact(n, d);
        return n;
    }

    /** The JSON header, padded with spaces to a multiple of 8 bytes. */
    private byte[] header() {
        ObjectNode h = Json.MAPPER.createObjectNode();
        h.putObject("__metadata__").put("format", "pt"); // transformers refuses files without it
        long offset = 0;
        for (Pending t : tensors) {
            ObjectNode e = h.putObject(t.name());
            e.put("dtype", t.dtype());
            ArrayNode shape = e.putArray("shape");
            for (long d : t.shape()) shape.add(d);
            e.putArray("data_offsets").add(offset).add(offset + t.bytes());
            offset += t.bytes();
        }
        byte[] json = h.toString().getBytes(StandardCharsets.UTF_8);
        byte[] padded = Arrays.copyOf(json, (json.length + 7) / 8 * 8);
        Arrays.fill(padded, json.length, padded.length, (byte) ' ');
        return padded;
    }

    /** Writes the file atomically: into a temp file beside it, then renamed into place. */
    public void write(Path file) {
        try {
            AtomicFiles.writeFile(file, this::writeTo);
        } catch (IOException e) {
            throw new UncheckedIOException(file + ": cannot write: " + e.getMessage(), e);
        }
    }

    private void writeTo(Path file) throws IOException {
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.WRITE, StandardOpenOption.CREATE_NEW);
             LittleEndianOutput out = new LittleEndianOutput(ch)) {
            byte[] header = header();
            out.putLong(header.length);
            out.putBytes(header);
            for (Pending t : tensors) {
                long before = out.written();
                t.source().writeTo(out);
                if (out.written() - before != t.bytes()) {
                    throw new IllegalStateException("tensor " + t.name() + " wrote " + (out.written() - before)
                            + " bytes, its header says " + t.bytes());
                }
            }
        }
    }
}
