package io.loopus.worker.tokenizer;

import io.loopus.worker.load.ModelFormatException;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * llama2.c's {@code tokenizer.bin}: pieces with sentencepiece scores, encoded by repeatedly
 * merging the adjacent pair whose merged piece scores highest, with byte fallback.
 * Pieces are kept as ISO-8859-1 strings so that every operation works on their exact bytes.
 * Each piece's decoded bytes are computed once, at construction, so decoding allocates nothing.
 */
public final class Llama2cTokenizer implements Tokenizer {
    private static final int BYTE_FALLBACK_OFFSET = 3;
    private static final byte[] EMPTY = new byte[0];
    private static final int EOS = 2;

    private final String[] pieces;
    private final float[] scores;
    private final Map<String, Integer> ids;
    /** (left id, right id) -> the id of their concatenation, for every pair that merges. */
    private final Map<Long, Integer> merges;
    /** What each piece decodes to: a byte-fallback piece its byte, BOS and EOS nothing, others their bytes. */
    private final byte[][] decoded;
    /** The same after BOS, where a leading space is dropped (llama2.c convention). */
    private final byte[][] decodedAfterBos;

    public Llama2cTokenizer(String[] pieces, float[] scores) {
        this.pieces = pieces;
        this.scores = scores;
        this.ids = new HashMap<>(2 * pieces.length);
        for (int i = pieces.length - 1; i >= 0; i--) ids.put(pieces[i], i); // first occurrence wins
        this.merges = pairMerges();
        this.decoded = new byte[pieces.length][];
        this.decodedAfterBos = new byte[pieces.length][];
        for (int i = 0; i < pieces.length; i++) {
            String p = pieces[i];
            int byteValue = byteFallback(p);
            if (byteValue >= 0) {
                decoded[i] = decodedAfterBos[i] = new byte[] {(byte) byteValue};
            } else if (i == bosId() || i == EOS) {
                decoded[i] = decodedAfterBos[i] = EMPTY;
            } else {
                decoded[i] = p.getBytes(StandardCharsets.ISO_8859_1);
                decodedAfterBos[i] = p.startsWith(" ") ? Arrays.copyOfRange(decoded[i], 1, decoded[i].length) : decoded[i];
            }
        }
    }

    /** Reads a tokenizer.bin; {@code vocabSize} comes from the model, or -1 to read to the end. */
    public static Llama2cTokenizer load(Path file, int vocabSize) {
        byte[] all;
        try {
            all = Files.readAllBytes(file);
        } catch (IOException e) {
            throw new ModelFormatException(file, "cannot read: " + e.getMessage(), e);
        }
        ByteBuffer b = ByteBuffer.wrap(all).order(ByteOrder.LITTLE_ENDIAN);
        if (b.remaining() < 4) throw new ModelFormatException(file, "truncated: no max_token_length header");
        int maxLen = b.getInt();
        if (maxLen <= 0 || maxLen > 4096) {
            throw new ModelFormatException(file, "not a llama2.c tokenizer.bin (max_token_length " + maxLen + ")");
        }
        java.util.List<String> pieces = new java.util.ArrayList<>();
        java.util.List<Float> scores = new java.util.ArrayList<>();
        while (vocabSize < 0 ? b.hasRemaining() : pieces.size() < vocabSize) {
            int i = pieces.size();
            if (b.remaining() < 8) {
                throw new ModelFormatException(file, "truncated at token " + i + (vocabSize > 0 ? " of " + vocabSize : ""));
            }
            float score = b.getFloat();
            int len = b.getInt();
            if (len < 0 || len > b.remaining()) {
                throw new ModelFormatException(file, "token " + i + " has length " + len + " with " + b.remaining() + " bytes left");
            }
            byte[] piece = new byte[len];
            b.get(piece);
            pieces.add(new String(piece, StandardCharsets.ISO_8859_1));
            scores.add(score);
        }
        if (vocabSize > 0 && b.hasRemaining()) {
            throw new ModelFormatException(file, b.remaining() + " bytes left after the " + vocabSize
                    + " tokens the model expects: tokenizer and model do not match");
        }
        float[] s = new float[scores.size()];
        for (int i = 0; i < s.length; i++) s[i] = scores.get(i);
        return new Llama2cTokenizer(pieces.toArray(String[]::new), s);
    }

    @Override public int vocabSize() { return pieces.length; }

    @Override public int bosId() { return 1; }

    /** The piece's bytes, as stored (ISO-8859-1 string). */
    public String piece(int id) { return pieces[id]; }

    public float score(int id) { return scores[id]; }

    @Override public int[] encode(String text, boolean addBos) {
        byte[] utf8 = text.getBytes(StandardCharsets.UTF_8);
        int[] tokens = new int[utf8.length + 3];
        int n = 0;
        if (addBos) tokens[n++] = 1;
        if (utf8.length > 0) {
            Integer space = ids.get(" ");
            if (space != null) tokens[n++] = space; // the "dummy prefix"
        }
        int i = 0;
        while (i < utf8.length) {
            int len = utf8Length(utf8[i]);
            if (i + len > utf8.length) len = utf8.length - i;
            Integer id = ids.get(new String(utf8, i, len, StandardCharsets.ISO_8859_1));
            if (id != null) {
                tokens[n++] = id;
            } else {
                for (int k = 0; k < len; k++) tokens[n++] = (utf8[i + k] & 0xff) + BYTE_FALLBACK_OFFSET;
            }
            i += len;
        }
        int start = addBos ? 1 : 0;
        // mergedId[k]/mergeScore[k] describe the pair (k, k+1); a merge changes only its neighbours' pairs.
        int[] mergedId = new int[n];
        float[] mergeScore = new float[n];
        for (int k = start; k < n - 1; k++) describePair(tokens, k, mergedId, mergeScore);
        while (true) { // merge the best-scoring adjacent pair (the leftmost of equals) until none merges
            float best = Float.NEGATIVE_INFINITY;
            int bestIdx = -1;
            for (int k = start; k < n - 1; k++) {
                if (mergedId[k] >= 0 && mergeScore[k] > best) {
                    best = mergeScore[k];
                    bestIdx = k;
                }
            }
            if (bestIdx < 0) break;
            tokens[bestIdx] = mergedId[bestIdx];
            System.arraycopy(tokens, bestIdx + 2, tokens, bestIdx + 1, n - bestIdx - 2);
            System.arraycopy(mergedId, bestIdx + 2, mergedId, bestIdx + 1, n - bestIdx - 2);
            System.arraycopy(mergeScore, bestIdx + 2, mergeScore, bestIdx + 1, n - bestIdx - 2);
            n--;
            if (bestIdx > start) describePair(tokens, bestIdx - 1, mergedId, mergeScore);
            if (bestIdx < n - 1) describePair(tokens, bestIdx, mergedId, mergeScore);
        }
        return Arrays.copyOf(tokens, n);
    }

    private void describePair(int[] tokens, int k, int[] mergedId, float[] mergeScore) {
        Integer id = merges.get(pairKey(tokens[k], tokens[k + 1]));
        mergedId[k] = id == null ? -1 : id;
        mergeScore[k] = id == null ? Float.NEGATIVE_INFINITY : scores[id];
    }

    private static long pairKey(int left, int right) { return ((long) left << 32) | (right & 0xffffffffL); }

    /**
     * Every pair of ids whose pieces concatenate to a piece, mapped to that piece's id (its first
     * occurrence, as a lookup of the concatenation gives), so that encoding never builds strings.
     */
    private Map<Long, Integer> pairMerges() {
        Map<String, List<Integer>> idsOfPiece = new HashMap<>();
        for (int i = 0; i < pieces.length; i++) idsOfPiece.computeIfAbsent(pieces[i], p -> new ArrayList<>()).add(i);
        Map<Long, Integer> result = new HashMap<>();
        for (var entry : ids.entrySet()) {
            String merged = entry.getKey();
            for (int cut = 0; cut <= merged.length(); cut++) {
                List<Integer> lefts = idsOfPiece.get(merged.substring(0, cut));
                List<Integer> rights = lefts == null ? null : idsOfPiece.get(merged.substring(cut));
                if (rights == null) continue;
                for (int left : lefts) for (int right : rights) result.put(pairKey(left, right), entry.getValue());
            }
        }
        return result;
    }

    private static int utf8Length(byte lead) {
        int c = lead & 0xff;
        if (c >= 0xf0) return 4;
        if (c >= 0xe0) return 3;
        if (c >= 0xc0) return 2;
        return 1;
    }

    /**
     * The piece's decoded bytes (shared: callers must not modify them). Ids past the tokenizer's
     * vocabulary, in the padded part of a model's, decode to nothing.
     */
    @Override public byte[] pieceBytes(int prev, int token) {
        if (token < 0) throw new IllegalArgumentException("negative token id " + token);
        if (token >= pieces.length) return EMPTY;
        return prev == bosId() ? decodedAfterBos[token] : decoded[token];
    }

    /** The byte a piece "<0xNN>" stands for, or -1. */
    static int byteFallback(String p) {
        if (p.length() != 6 || !p.startsWith("<0x") || p.charAt(5) != '>') return -1;
        try {
            return Integer.parseInt(p.substring(3, 5), 16);
        } catch (NumberFormatException e) {
            return -1;
        }
    }
}
