package io.loopus.server.demo;

import io.loopus.server.cli.LoopusCli;
import io.loopus.worker.load.SharedData;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** {@code loopus demo} end to end on the shared stories260K, with a tiny conversion, run twice. */
class DemoCliTest {
    @TempDir Path tmp;

    record Run(int code, String out, String err, double seconds) {}

    static Run run(String... args) {
        PrintStream oldOut = System.out, oldErr = System.err;
        ByteArrayOutputStream out = new ByteArrayOutputStream(), err = new ByteArrayOutputStream();
        System.setOut(new PrintStream(out, true, StandardCharsets.UTF_8));
        System.setErr(new PrintStream(err, true, StandardCharsets.UTF_8));
        long start = System.nanoTime();
        try {
            int code = LoopusCli.run(args);
            return new Run(code, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8),
                    (System.nanoTime() - start) / 1e9);
        } finally {
            System.setOut(oldOut);
            System.setErr(oldErr);
        }
    }

    @Test void convertsServesShowsVaryingDepthsAndReusesTheConversion() throws Exception {
        Assumptions.assumeTrue(SharedData.locate().isPresent(), "skipped: ../shared (or $LOOPUS_SHARED) is not present");
        String[] args = {"demo", "--steps", "4", "--requests", "6", "--out", tmp.toString()};
        Run first = run(args);
        assertEquals(0, first.code(), first.out() + first.err());
        String o = first.out();
        assertTrue(o.contains("from the shared data folder"), o);
        assertTrue(o.contains("split 1:4"), o);
        assertTrue(first.err().contains("convert: 4/4 updates"), first.err());
        assertTrue(o.contains("kept in " + tmp.toAbsolutePath().normalize()), o);
        assertTrue(o.contains("6 concurrent Generate streams over gRPC: 6 ok, 0 failed"), o);
        assertVaryingDepths(o);

        // the cache holds one finished entry: the checkpoint, the run files and the marker
        List<Path> entries;
        try (Stream<Path> s = Files.list(tmp)) {
            entries = s.toList();
        }
        assertEquals(1, entries.size(), entries.toString());
        Path entry = entries.get(0);
        assertTrue(Files.isRegularFile(entry.resolve(ConversionCache.MARKER)));
        assertTrue(Files.isRegularFile(entry.resolve("run/model/config.json")));
        assertTrue(Files.isRegularFile(entry.resolve("analysis/dynamics.json")));

        System.out.println("demo, first run:  " + tookLine(o));
        Run second = run(args);
        System.out.println("demo, second run: " + tookLine(second.out()));
        assertEquals(0, second.code(), second.out() + second.err());
        assertTrue(second.out().contains("reusing the converted model in " + entry), second.out());
        assertFalse(second.err().contains("convert: "), "no training the second time: " + second.err());
        assertTrue(second.out().contains("split 1:4"), "the cached analysis is shown: " + second.out());
        assertVaryingDepths(second.out());
        assertTrue(second.seconds() < first.seconds(), "the second run (" + second.seconds() + " s) is faster than the first ("
                + first.seconds() + " s)");
    }

    static String tookLine(String out) {
        return out.lines().filter(l -> l.strip().startsWith("took ")).findFirst().orElse("?").strip();
    }

    /** The summary's histogram has two depths or more, and some generation's marks hold two different depths. */
    static void assertVaryingDepths(String out) {
        Matcher m = Pattern.compile("exit depths\\s+(\\d+) different depths over (\\d+) traced tokens").matcher(out);
        assertTrue(m.find(), out);
        assertTrue(Integer.parseInt(m.group(1)) >= 2, "exit depths vary: " + m.group());
        Matcher tokens = Pattern.compile("new tokens\\s+(\\d+) in").matcher(out);
        assertTrue(tokens.find(), out);
        assertEquals(tokens.group(1), m.group(2), "every new token was traced");
        long rows = out.lines().filter(l -> l.matches("\\s+depth [1-4]\\s+\\d+ tokens\\s+[0-9.]+%.*")).count();
        assertEquals(4, rows, out);
        assertTrue(out.contains("loop passes"), out);
        assertTrue(out.contains("stage busy   encoder"), out);
        boolean mixed = out.lines().filter(l -> l.matches("\\s+[1-4][1-4 ]*")).anyMatch(l -> l.strip().chars()
                .filter(Character::isDigit).distinct().count() >= 2);
        assertTrue(mixed, "a generation's depth marks differ from token to token: " + out);
    }

    @Test void badOptionsAreOneLineErrors() throws Exception {
        Run r = run("demo", "--requests", "0");
        assertEquals(2, r.code());
        assertEquals("loopus demo: error: --requests must be in [1, 256], got 0", r.err().strip());
        r = run("demo", "--steps", "-1");
        assertEquals(2, r.code());
        assertEquals("loopus demo: error: --steps must be >= 1, got -1", r.err().strip());
        Path file = Files.writeString(tmp.resolve("file"), "x");
        r = run("demo", "--out", file.toString());
        assertEquals(2, r.code());
        assertEquals("loopus demo: error: --out " + file + ": exists and is not a directory", r.err().strip());
    }
}
