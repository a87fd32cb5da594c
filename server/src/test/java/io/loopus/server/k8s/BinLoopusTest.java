package io.loopus.server.k8s;

import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * bin/loopus in the image's layout (the distribution, no sources, no Maven): with LOOPUS_NO_BUILD it runs what is
 * there and never builds; a developer's checkout (no LOOPUS_NO_BUILD) still builds first. A stand-in java and a stand-in mvnw
 * stand in for the real ones.
 */
class BinLoopusTest {
    private static Path layout(Path dir, boolean distribution) throws IOException {
        Files.createDirectories(dir.resolve("bin"));
        Files.copy(Project.root().resolve("bin/loopus"), dir.resolve("bin/loopus"));
        if (distribution) {
            Files.createDirectories(dir.resolve("server/target/classes"));
            Files.createDirectories(dir.resolve("server/target/lib"));
        }
        Files.writeString(dir.resolve("pom.xml"), "<project/>");
        script(dir.resolve("mvnw"), "#!/bin/sh\ntouch \"" + dir.resolve("maven-ran") + "\"\n"
                + "mkdir -p server/target/classes server/target/lib\n");
        script(dir.resolve("jdk/bin/java"), "#!/bin/sh\necho \"$@\" > \"" + dir.resolve("java-args") + "\"\n");
        return dir;
    }

    private static void script(Path file, String text) throws IOException {
        Files.createDirectories(file.getParent());
        Files.writeString(file, text);
        Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rwxr-xr-x"));
    }

    private static int run(Path dir, Map<String, String> env) throws Exception {
        ProcessBuilder pb = new ProcessBuilder("bash", dir.resolve("bin/loopus").toString(), "serve", "--help")
                .directory(dir.toFile()).redirectErrorStream(true).redirectOutput(dir.resolve("output").toFile());
        pb.environment().remove("LOOPUS_NO_BUILD");
        pb.environment().remove("LOOPUS_REBUILD");
        pb.environment().put("JAVA_HOME", dir.resolve("jdk").toString());
        pb.environment().putAll(env);
        Process p;
        try {
            p = pb.start();
        } catch (IOException e) {
            Assumptions.abort("no bash here: " + e.getMessage());
            throw e;
        }
        assertTrue(p.waitFor(60, TimeUnit.SECONDS), "bin/loopus finished");
        return p.exitValue();
    }

    @Test
    void withLoopusNoBuildItRunsTheDistributionAndNeverBuilds(@TempDir Path tmp) throws Exception {
        Path dir = layout(tmp, true);   // no stamp, a pom: a checkout would rebuild
        assertEquals(0, run(dir, Map.of("LOOPUS_NO_BUILD", "1")), () -> output(dir));
        assertFalse(Files.exists(dir.resolve("maven-ran")), "never runs Maven");
        String args = Files.readString(dir.resolve("java-args"));
        assertTrue(args.contains("-cp " + dir.resolve("server/target/classes") + ":" + dir.resolve("server/target/lib") + "/*"),
                args);
        assertTrue(args.strip().endsWith("io.loopus.server.cli.LoopusCli serve --help"), args);
    }

    @Test
    void withLoopusNoBuildAndNoDistributionItSaysSo(@TempDir Path tmp) throws Exception {
        Path dir = layout(tmp, false);
        assertNotEquals(0, run(dir, Map.of("LOOPUS_NO_BUILD", "1")));
        assertFalse(Files.exists(dir.resolve("maven-ran")), "never runs Maven");
        assertTrue(output(dir).contains("LOOPUS_NO_BUILD"), output(dir));
    }

    @Test
    void aCheckoutWithoutABuildStillBuildsFirst(@TempDir Path tmp) throws Exception {
        Path dir = layout(tmp, false);
        assertEquals(0, run(dir, Map.of()), () -> output(dir));
        assertTrue(Files.exists(dir.resolve("maven-ran")), "builds when there is no stamp");
        assertTrue(Files.exists(dir.resolve("server/target/lib/.built")), "and leaves the stamp");
        assertTrue(Files.exists(dir.resolve("java-args")), "then runs");
    }

    private static String output(Path dir) {
        try {
            return Files.readString(dir.resolve("output"), StandardCharsets.UTF_8);
        } catch (IOException e) {
            return "(no output: " + e + ")";
        }
    }
}
