package io.loopus.worker.load;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.loopus.worker.tokenizer.Llama2cTokenizer;

import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Builds a Hugging Face {@code tokenizer.json} that encodes exactly as a llama2.c
 * {@code tokenizer.bin} does in {@link Llama2cTokenizer}.
 *
 * <p>llama2.c prepends the " " piece (the dummy prefix) to non-empty text, looks up each UTF-8
 * character (bytes {@code <0xNN>} when absent), then repeatedly merges the adjacent pair whose
 * merged piece scores highest. The JSON says the same in Hugging Face terms: normalizers
 * Prepend "▁" (which, like llama2.c, skips empty text) and Replace " " → "▁"; a BPE model with
 * byte fallback whose merges are every split of a piece into two pieces, ranked by the merged
 * piece's score, highest first (as Hugging Face's SentencePiece converter does), so lowest rank
 * first is highest score first.
 */
public final class HfTokenizerJson {
    static final String SPACE = "\u2581";
    private static final String[] SPECIAL = {"<unk>", "<s>", "</s>"};
    private static final int FIRST_BYTE_PIECE = 3;

    private HfTokenizerJson() {}

    /** The tokenizer.json for {@code tok}; {@code source} names it in error messages. */
    public static ObjectNode fromLlama2c(Llama2cTokenizer tok, Path source) {
        int n = tok.vocabSize();
        if (n < FIRST_BYTE_PIECE + 256) {
            throw new ModelFormatException(source, "has " + n + " tokens; llama2.c needs <unk>, <s>, </s> and 256 byte pieces");
        }
        String[] pieces = new String[n];
        Map<String, Integer> ids = new HashMap<>(2 * n);
        for (int id = 0; id < n; id++) {
            pieces[id] = id < SPECIAL.length ? SPECIAL[id] : hfPiece(tok.piece(id), id, source);
            int b = id - FIRST_BYTE_PIECE;
            if (b >= 0 && b < 256 && !pieces[id].equals(String.format("<0x%02X>", b))) {
                throw new ModelFormatException(source, "token " + id + " is \"" + pieces[id]
                        + "\" where llama2.c expects the byte piece " + String.format("<0x%02X>", b));
            }
            Integer clash = ids.putIfAbsent(pieces[id], id);
            if (clash != null) {
                throw new ModelFormatException(source, "tokens " + clash + " and " + id + " both become \"" + pieces[id]
                        + "\" in tokenizer.json");
            }
        }
        if (!ids.containsKey(SPACE)) {
            // llama2.c's dummy prefix and every space are this piece; without it HF would fall back to the bytes of "▁"
            throw new ModelFormatException(source, "has no \" \" piece, so its spaces cannot be expressed in tokenizer.json");
        }

        JsonNodeFactory f = JsonNodeFactory.instance;
        ObjectNode root = f.objectNode();
        root.put("version", "1.0");
        root.putNull("truncation");
        root.putNull("padding");
        ArrayNode added = root.putArray("added_tokens");
        for (int id = 0; id < SPECIAL.length; id++) {
            added.addObject().put("id", id).put("content", SPECIAL[id]).put("single_word", false).put("lstrip", false)
                    .put("rstrip", false).put("normalized", false).put("special", true);
        }
        ObjectNode normalizer = root.putObject("normalizer").put("type", "Sequence");
        ArrayNode norms = normalizer.putArray("normalizers");
        norms.addObject().put("type", "Prepend").put("prepend", SPACE);
        replace(norms.addObject(), " ", SPACE);
        root.putNull("pre_tokenizer");
        postProcessor(root.putObject("post_processor"));
        ObjectNode decoder = root.putObject("decoder").put("type", "Sequence");
        ArrayNode decs = decoder.putArray("decoders");
        replace(decs.addObject(), SPACE, " ");
        decs.addObject().put("type", "ByteFallback");
        decs.addObject().put("type", "Fuse");
        decs.addObject().put("type", "Strip").put("content", " ").put("start", 1).put("stop", 0);

        ObjectNode model = root.putObject("model");
        model.put("type", "BPE").putNull("dropout");
        model.put("unk_token", SPECIAL[0]).putNull("continuing_subword_prefix").putNull("end_of_word_suffix");
        model.put("fuse_unk", true).put("byte_fallback", true).put("ignore_merges", false);
        ObjectNode vocab = model.putObject("vocab");
        for (int id = 0; id < n; id++) vocab.put(pieces[id], id);
        ArrayNode merges = model.putArray("merges");
        for (int[] m : merges(tok, pieces, ids)) merges.add(pieces[m[1]] + " " + pieces[m[2]]);
        return root;
    }

    /**
     * Every (piece, left, right) with left + right = piece, all three ordinary pieces, ordered by the
     * piece's score (highest first), then piece id, left id, right id: the converter's order.
     */
    static List<int[]> merges(Llama2cTokenizer tok, String[] pieces, Map<String, Integer> ids) {
        List<int[]> out = new ArrayList<>();
        for (int id = SPECIAL.length; id < pieces.length; id++) {
            String p = pieces[id];
            for (int k = p.offsetByCodePoints(0, 1); k < p.length(); k = p.offsetByCodePoints(k, 1)) {
                Integer l = ids.get(p.substring(0, k)), r = ids.get(p.substring(k));
                if (l != null && r != null && l >= SPECIAL.length && r >= SPECIAL.length) out.add(new int[] {id, l, r});
            }
        }
        out.sort(Comparator.<int[]>comparingDouble(m -> -tok.score(m[0]))
                .thenComparingInt(m -> m[0]).thenComparingInt(m -> m[1]).thenComparingInt(m -> m[2]));
        return out;
    }

    /** A llama2.c piece (bytes held as ISO-8859-1) as Hugging Face spells it: UTF-8 text with "▁" for " ". */
    private static String hfPiece(String latin1, int id, Path source) {
        try {
            String s = StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT)
                    .decode(ByteBuffer.wrap(latin1.getBytes(StandardCharsets.ISO_8859_1))).toString();
            if (s.contains(SPACE)) {
                throw new ModelFormatException(source, "token " + id + " contains \"" + SPACE
                        + "\", which tokenizer.json reserves for the space");
            }
            return s.replace(" ", SPACE);
        } catch (CharacterCodingException e) {
            throw new ModelFormatException(source, "token " + id + " is not valid UTF-8, which tokenizer.json cannot hold");
        }
    }

    private static void replace(ObjectNode n, String pattern, String content) {
        n.put("type", "Replace");
        n.putObject("pattern").put("String", pattern);
        n.put("content", content);
    }

    /** BOS before each sequence, as Hugging Face's Llama tokenizers do (loopus adds BOS itself and skips this). */
    private static void postProcessor(ObjectNode p) {
        p.put("type", "TemplateProcessing");
        ArrayNode single = p.putArray("single");
        single.addObject().putObject("SpecialToken").put("id", SPECIAL[1]).put("type_id", 0);
        single.addObject().putObject("Sequence").put("id", "A").put("type_id", 0);
        ArrayNode pair = p.putArray("pair");
        pair.addObject().putObject("SpecialToken").put("id", SPECIAL[1]).put("type_id", 0);
        pair.addObject().putObject("Sequence").put("id", "A").put("type_id", 0);
        pair.addObject().putObject("SpecialToken").put("id", SPECIAL[1]).put("type_id", 1);
        pair.addObject().putObject("Sequence").put("id", "B").put("type_id", 1);
        ObjectNode bos = p.putObject("special_tokens").putObject(SPECIAL[1]);
        bos.put("id", SPECIAL[1]);
        bos.putArray("ids").add(1);
        bos.putArray("tokens").add(SPECIAL[1]);
    }
}
