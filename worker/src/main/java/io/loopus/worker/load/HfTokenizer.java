package io.loopus.worker.load;

import ai.djl.huggingface.tokenizers.Encoding;
import ai.djl.huggingface.tokenizers.HuggingFaceTokenizer;
import com.fasterxml.jackson.databind.JsonNode;
import io.loopus.worker.tokenizer.Tokenizer;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Iterator;
import java.util.Map;

/**
 * A Hugging Face {@code tokenizer.json}: encoding through DJL's binding of the Rust tokenizers
 * library; decoding token by token from the vocabulary itself, so that streamed text is exact
 * bytes (SentencePiece-style "▁" pieces with byte fallback, or GPT-2 byte-level pieces).
 */
public final class HfTokenizer implements Tokenizer {
    private static final byte[] EMPTY = new byte[0];

    private final HuggingFaceTokenizer encoder;
    private final byte[][] pieces;
    private final boolean[] special;
    /** Byte-fallback pieces {@code <0xNN>}: raw bytes, never stripped (as llama2.c decodes them). */
    private final boolean[] rawByte;
    private final int bosId;
    private final boolean stripFirstSpace;

    static {
        // DJL extracts its native library into a cache folder: keep it somewhere writable.
        if (System.getProperty("DJL_CACHE_DIR") == null && System.getenv("DJL_CACHE_DIR") == null) {
            Path home = Path.of(System.getProperty("user.home", "/tmp"), ".cache", "loopus", "djl");
            Path dir = Files.isWritable(home.getParent().getParent()) || Files.isWritable(home) ? home
                    : Path.of(System.getProperty("java.io.tmpdir"), "loopus-djl");
            System.setProperty("DJL_CACHE_DIR", dir.toString());
        }
        // No model downloads, and no telemetry call or EC2 metadata probe on first use (DJL's Ec2Utils
        // reads the OPT_OUT_TRACKING environment variable or system property; offline mode skips it too).
        System.setProperty("ai.djl.offline", "true");
        if (System.getProperty("OPT_OUT_TRACKING") == null) System.setProperty("OPT_OUT_TRACKING", "true");
    }

    private HfTokenizer(HuggingFaceTokenizer encoder, byte[][] pieces, boolean[] special, boolean[] rawByte, int bosId,
                        boolean strip) {
        this.encoder = encoder;
        this.pieces = pieces;
        this.special = special;
        this.rawByte = rawByte;
        this.bosId = bosId;
        this.stripFirstSpace = strip;
    }

    public static HfTokenizer load(Path file, int bosId) {
        JsonNode json = HfConfig.readJson(file);
        JsonNode model = json.path("model");
        if (!model.path("vocab").isObject()) {
            throw new ModelFormatException(file, "only BPE tokenizers (model.vocab as an object) are supported, got model type \""
                    + model.path("type").asText("?") + "\"");
        }
        String decoder = json.path("decoder").toString();
        boolean byteLevel = decoder.contains("\"ByteLevel\"");
        int size = 0;
        for (Iterator<Map.Entry<String, JsonNode>> it = model.path("vocab").fields(); it.hasNext(); ) {
            size = Math.max(size, it.next().getValue().asInt() + 1);
        }
        for (JsonNode added : json.path("added_tokens")) size = Math.max(size, added.path("id").asInt() + 1);
        byte[][] pieces = new byte[size][];
        boolean[] special = new boolean[size];
        boolean[] rawByte = new boolean[size];
        for (Iterator<Map.Entry<String, JsonNode>> it = model.path("vocab").fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> e = it.next();
            int id = e.getValue().asInt();
            pieces[id] = byteLevel ? ByteLevel.decode(e.getKey()) : sentencePieceBytes(e.getKey());
            rawByte[id] = !byteLevel && isBytePiece(e.getKey());
        }
        for (JsonNode added : json.path("added_tokens")) {
            int id = added.path("id").asInt();
            special[id] = added.path("special").asBoolean(false);
            pieces[id] = added.path("content").asText("").getBytes(StandardCharsets.UTF_8);
        }
        for (int i = 0; i < size; i++) if (pieces[i] == null) pieces[i] = new byte[0];
        boolean strip = !byteLevel && (decoder.contains("\"Strip\"") || decoder.contains("\"Metaspace\""));
        try {
            HuggingFaceTokenizer enc = HuggingFaceTokenizer.builder()
                    .optTokenizerPath(file)
                    .optAddSpecialTokens(false)
                    .optTruncation(false) // DJL would otherwise cut every text at 512 tokens
                    .optPadding(false)
                    .build();
            return new HfTokenizer(enc, pieces, special, rawByte, bosId, strip);
        } catch (IOException | RuntimeException e) {
            throw new ModelFormatException(file, "the tokenizers library refused it: " + e.getMessage(), e);
        }
    }

    private static boolean isBytePiece(String piece) {
        return piece.length() == 6 && piece.startsWith("<0x") && piece.endsWith(">")
                && Character.digit(piece.charAt(3), 16) >= 0 && Character.digit(piece.charAt(4), 16) >= 0;
    }

    private static byte[] sentencePieceBytes(String piece) {
        if (isBytePiece(piece)) return new byte[] {(byte) Integer.parseInt(piece.substring(3, 5), 16)};
        return piece.replace('\u2581', ' ').getBytes(StandardCharsets.UTF_8);
    }

    @Override public int vocabSize() { return pieces.length; }

    @Override public int bosId() { return bosId; }

    @Override public int[] encode(String text, boolean addBos) {
        Encoding e = encoder.encode(text);
        long[] ids = e.getIds();
        boolean bos = addBos && bosId >= 0;
        int[] out = new int[ids.length + (bos ? 1 : 0)];
        if (bos) out[0] = bosId;
        for (int i = 0; i < ids.length; i++) out[i + (bos ? 1 : 0)] = (int) ids[i];
        return out;
    }

    @Override public byte[] pieceBytes(int prev, int token) {
        if (token < 0) throw new IllegalArgumentException("negative token id " + token);
        if (token >= pieces.length || special[token]) return EMPTY; // the model's padded vocabulary, or a special token
        byte[] p = pieces[token];
        if (stripFirstSpace && !rawByte[token] && (prev < 0 || prev == bosId) && p.length > 0 && p[0] == ' ') {
            return java.util.Arrays.copyOfRange(p, 1, p.length);
        }
        return p;
    }

    /** GPT-2's reversible mapping of bytes to printable characters. */
    static final class ByteLevel {
        private static final int[] CHAR_TO_BYTE = new int[512];

        static {
            java.util.Arrays.fill(CHAR_TO_BYTE, -1);
            int n = 0;
            for (int b = 0; b < 256; b++) {
                boolean printable = (b >= '!' && b <= '~') || (b >= 0xA1 && b <= 0xAC) || (b >= 0xAE);
                int c = printable ? b : 256 + n++;
                CHAR_TO_BYTE[c] = b;
            }
        }

        static byte[] decode(String piece) {
            byte[] out = new byte[piece.length()];
            int n = 0;
            for (int i = 0; i < piece.length(); i++) {
                char ch = piece.charAt(i);
                int b = ch < CHAR_TO_BYTE.length ? CHAR_TO_BYTE[ch] : -1;
                if (b < 0) return piece.getBytes(StandardCharsets.UTF_8); // not byte-level after all
                out[n++] = (byte) b;
            }
            return java.util.Arrays.copyOf(out, n);
        }
    }
}
