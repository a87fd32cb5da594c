package io.loopus.worker.gpu.check;

import java.util.List;
import java.util.Map;

/** JSON text of maps, lists, strings, numbers and booleans: the check's runtime carries no JSON library. */
final class JsonText {
    private JsonText() {}

    static String of(Object v) {
        StringBuilder b = new StringBuilder();
        write(b, v, "");
        return b.append('\n').toString();
    }

    private static void write(StringBuilder b, Object v, String indent) {
        String inner = indent + "  ";
        if (v == null) {
            b.append("null");
        } else if (v instanceof Map<?, ?> m) {
            b.append("{");
            int i = 0;
            for (var e : m.entrySet()) {
                b.append(i++ == 0 ? "\n" : ",\n").append(inner);
                string(b, String.valueOf(e.getKey()));
                b.append(": ");
                write(b, e.getValue(), inner);
            }
            b.append(m.isEmpty() ? "}" : "\n" + indent + "}");
        } else if (v instanceof List<?> l) {
            b.append("[");
            for (int i = 0; i < l.size(); i++) {
                b.append(i == 0 ? "\n" : ",\n").append(inner);
                write(b, l.get(i), inner);
            }
            b.append(l.isEmpty() ? "]" : "\n" + indent + "]");
        } else if (v instanceof Double d) {
            b.append(Double.isFinite(d) ? String.format("%.6g", d) : "null");
        } else if (v instanceof Number || v instanceof Boolean) {
            b.append(v);
        } else {
            string(b, v.toString());
        }
    }

    private static void string(StringBuilder b, String s) {
        b.append('"');
        for (char c : s.toCharArray()) {
            switch (c) {
                case '"' -> b.append("\\\"");
                case '\\' -> b.append("\\\\");
                case '\n' -> b.append("\\n");
                case '\t' -> b.append("\\t");
                default -> {
                    if (c < 0x20) b.append(String.format("\\u%04x", (int) c));
                    else b.append(c);
                }
            }
        }
        b.append('"');
    }
}
