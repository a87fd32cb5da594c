package io.loopus.server.demo;

import io.loopus.proto.v1.TokenTrace;
import io.loopus.worker.tokenizer.TextStream;
import io.loopus.worker.tokenizer.Tokenizer;

import java.util.ArrayList;
import java.util.List;

/**
 * A generation as two lines per row: the text (prompt, then the new tokens), and under the first
 * character of each new token its exit depth, so the text stays readable:
 * <pre>
 * Once upon a time, there was a little girl.
 *                  1     4   1 2 1      3  4
 * </pre>
 * Each mark is one column (depths past 9 are written a, b, ...: base 36), so adjacent marks are
 * adjacent tokens; a newline in the text shows as ¶.
 */
public final class DepthText {
    private DepthText() {}

    /** The text and, column by column, the depth marks under it (same length). */
    public record Lines(String text, String depths) {}

    /**
     * @param ids   the new tokens, as the server sent them
     * @param trace their traces (missing ones get no mark)
     */
    public static Lines render(Tokenizer tokenizer, String prompt, List<Integer> ids, List<TokenTrace> trace) {
        StringBuilder text = new StringBuilder(prompt), marks = new StringBuilder(" ".repeat(prompt.length()));
        int[] promptIds = tokenizer.encode(prompt, true);
        int prev = promptIds[promptIds.length - 1];
        TextStream stream = new TextStream(tokenizer);
        for (int i = 0; i < ids.size(); i++) {
            String piece = stream.push(prev, ids.get(i)).replace('\n', '¶');
            prev = ids.get(i);
            if (piece.isEmpty()) continue; // a part of a character: shown, unmarked, with the piece that completes it
            int at = text.length() + indexOfNonSpace(piece);
            text.append(piece);
            marks.append(" ".repeat(piece.length()));
            if (i < trace.size()) marks.setCharAt(at, mark(trace.get(i).getExitDepth()));
        }
        String rest = stream.flush();
        text.append(rest);
        marks.append(" ".repeat(rest.length()));
        return new Lines(text.toString(), marks.toString());
    }

    /** One column per depth: 1..9, then a..z. */
    public static char mark(int depth) {
        return depth >= 0 && depth < 36 ? Character.forDigit(depth, 36) : '?';
    }

    private static int indexOfNonSpace(String s) {
        for (int i = 0; i < s.length(); i++) if (s.charAt(i) != ' ') return i;
        return 0;
    }

    /**
     * Cuts both lines into rows of at most {@code width} columns, at spaces of the text that carry
     * no mark (a longer word stays whole); trailing blanks are dropped.
     */
    public static List<Lines> wrap(Lines l, int width) {
        List<Lines> rows = new ArrayList<>();
        String t = l.text(), d = l.depths();
        int from = 0;
        while (from < t.length()) {
            int end = Math.min(t.length(), from + width);
            if (end < t.length()) {
                int cut = -1;
                for (int i = end; i > from; i--) {
                    if (t.charAt(i) == ' ' && d.charAt(i) == ' ') {
                        cut = i;
                        break;
                    }
                }
                if (cut < 0) { // no break within the width: the first one after it
                    cut = end;
                    while (cut < t.length() && !(t.charAt(cut) == ' ' && d.charAt(cut) == ' ')) cut++;
                }
                end = cut;
            }
            rows.add(new Lines(t.substring(from, end).stripTrailing(), d.substring(from, end).stripTrailing()));
            from = end;
            while (from < t.length() && t.charAt(from) == ' ' && d.charAt(from) == ' ') from++;
        }
        return rows;
    }
}
