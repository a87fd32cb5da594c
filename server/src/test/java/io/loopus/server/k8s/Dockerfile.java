package io.loopus.server.k8s;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;

/** A Dockerfile read as text: its build stages and their instructions (continuations joined, comments dropped). */
record Dockerfile(List<Stage> stages) {
    record Instruction(String keyword, String args) {
        /** The arguments as words: the JSON (exec) form's strings, or the shell form split on blanks. */
        List<String> words() {
            String a = args.trim();
            if (a.startsWith("[")) {
                List<String> out = new ArrayList<>();
                var m = java.util.regex.Pattern.compile("\"((?:[^\"\\\\]|\\\\.)*)\"").matcher(a);
                while (m.find()) out.add(m.group(1).replace("\\\"", "\"").replace("\\\\", "\\"));
                return out;
            }
            return Arrays.stream(a.split("\\s+")).filter(s -> !s.isEmpty()).toList();
        }

        /** The words that are not --flags. */
        List<String> operands() {
            return words().stream().filter(w -> !w.startsWith("--")).toList();
        }

        /** The value of a --flag=value, or null. */
        String flag(String name) {
            for (String w : words()) if (w.startsWith("--" + name + "=")) return w.substring(name.length() + 3);
            return null;
        }
    }

    record Stage(String image, String name, List<Instruction> instructions) {
        List<Instruction> all(String keyword) {
            return instructions.stream().filter(i -> i.keyword().equals(keyword)).toList();
        }

        Instruction last(String keyword) {
            List<Instruction> all = all(keyword);
            return all.isEmpty() ? null : all.get(all.size() - 1);
        }
    }

    static Dockerfile read(Path file) throws IOException {
        List<String> logical = new ArrayList<>();
        StringBuilder current = new StringBuilder();
        for (String line : Files.readAllLines(file)) {
            String t = line.strip();
            if (t.startsWith("#") || t.isEmpty()) continue;   // comments, parser directives, blank lines
            if (t.endsWith("\\")) {
                current.append(t, 0, t.length() - 1).append(' ');
                continue;
            }
            current.append(t);
            if (current.length() > 0) logical.add(current.toString().strip());
            current.setLength(0);
        }
        if (current.length() > 0) logical.add(current.toString().strip());

        List<Stage> stages = new ArrayList<>();
        for (String l : logical) {
            if (l.isEmpty()) continue;
            String[] kw = l.split("\\s+", 2);
            Instruction ins = new Instruction(kw[0].toUpperCase(Locale.ROOT), kw.length > 1 ? kw[1] : "");
            if (ins.keyword().equals("FROM")) {
                List<String> w = ins.operands();
                String name = w.size() >= 3 && w.get(1).equalsIgnoreCase("AS") ? w.get(2) : null;
                stages.add(new Stage(w.get(0), name, new ArrayList<>()));
            } else if (ins.keyword().equals("ARG") && stages.isEmpty()) {
                continue;   // a global ARG before the first FROM
            } else {
                if (stages.isEmpty()) throw new IllegalArgumentException(file + ": " + l + " before any FROM");
                stages.get(stages.size() - 1).instructions().add(ins);
            }
        }
        return new Dockerfile(stages);
    }

    Stage runtime() {
        return stages.get(stages.size() - 1);
    }

    Stage stage(String name) {
        return stages.stream().filter(s -> name.equals(s.name())).findFirst()
                .orElseThrow(() -> new AssertionError("no build stage named " + name));
    }
}
