package io.loopus.server.k8s;

import com.typesafe.config.Config;
import org.junit.jupiter.api.Test;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Collectors;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The server image's Dockerfile, read as text (no container engine here to build it): a Maven build stage, and a
 * runtime stage that carries the runnable distribution, runs as a non-root user and exposes the configured ports.
 */
class DockerfileTest {
    private static Dockerfile dockerfile() throws Exception {
        return Dockerfile.read(Project.root().resolve("Dockerfile"));
    }

    /** Where a COPY puts a source: the destination, resolved against WORKDIR, with the source's name when a folder. */
    private static String destination(String dest, String workdir, String source) {
        String abs = dest.startsWith("/") ? dest : (workdir == null ? "/" : workdir + "/") + dest;
        if (abs.endsWith("/")) abs += Path.of(source).getFileName();
        return Path.of(abs).normalize().toString();
    }

    @Test
    void theBuildStageRunsMavenPackage() throws Exception {
        Dockerfile d = dockerfile();
        assertTrue(d.stages().size() >= 2, "a multi-stage build");
        String builder = d.runtime().all("COPY").stream().map(c -> c.flag("from")).filter(f -> f != null)
                .findFirst().orElseThrow(() -> new AssertionError("the runtime stage copies nothing from a build stage"));
        Dockerfile.Stage build = d.stage(builder);
        assertTrue(build.image().startsWith("eclipse-temurin:17-jdk"), "builder on a JDK 17: " + build.image());
        assertTrue(build.all("RUN").stream().anyMatch(r -> r.args().contains("./mvnw") && r.args().contains("package")),
                "the builder runs ./mvnw ... package");
    }

    @Test
    void theRuntimeStageCarriesTheDistributionAndNoMaven() throws Exception {
        Dockerfile.Stage run = dockerfile().runtime();
        assertTrue(run.image().startsWith("eclipse-temurin:17-jre"), "runtime on a Java 17 JRE: " + run.image());
        String workdir = run.last("WORKDIR") == null ? null : run.last("WORKDIR").args().trim();
        // bin/loopus finds the distribution relative to itself: $root/server/target/{classes,lib} with $root = bin/..
        String binLoopus = null, classes = null, lib = null;
        for (Dockerfile.Instruction copy : run.all("COPY")) {
            List<String> ops = copy.operands();
            String dest = ops.get(ops.size() - 1);
            for (String src : ops.subList(0, ops.size() - 1)) {
                String s = Path.of(src).normalize().toString();
                String to = destination(dest, workdir, src);
                if (s.endsWith("bin/loopus") || s.endsWith("bin")) binLoopus = s.endsWith("bin") ? to + "/loopus" : to;
                if (s.endsWith("server/target/classes")) classes = to;
                if (s.endsWith("server/target/lib")) lib = to;
            }
        }
        assertNotNull(binLoopus, "copies bin/loopus");
        assertNotNull(classes, "copies server/target/classes");
        assertNotNull(lib, "copies server/target/lib");
        Path root = Path.of(binLoopus).getParent().getParent();
        assertEquals(root.resolve("server/target/classes").toString(), classes, "classes where bin/loopus looks");
        assertEquals(root.resolve("server/target/lib").toString(), lib, "lib where bin/loopus looks");

        List<String> entry = run.last("ENTRYPOINT").words();
        assertEquals(binLoopus, entry.get(0), "ENTRYPOINT is bin/loopus");

        for (Dockerfile.Instruction r : run.all("RUN")) {
            assertFalse(r.args().contains("mvn"), "no Maven in the runtime stage: " + r.args());
        }
        // bin/loopus must not try to build: LOOPUS_NO_BUILD set (BinLoopusTest checks the script honours it)
        assertTrue(run.all("ENV").stream().anyMatch(e -> e.args().matches("(?s).*\\bLOOPUS_NO_BUILD[= ]\\s*\"?1.*")),
                "ENV LOOPUS_NO_BUILD=1 in the runtime stage");
    }

    @Test
    void runsAsANumericNonRootUser() throws Exception {
        Dockerfile.Instruction user = dockerfile().runtime().last("USER");
        assertNotNull(user, "a USER in the runtime stage");
        String[] ug = user.args().trim().split(":");
        assertTrue(ug[0].matches("\\d+"), "a numeric uid (Kubernetes' runAsNonRoot checks it): " + user.args());
        assertNotEquals(0, Integer.parseInt(ug[0]), "not root");
        if (ug.length > 1) {
            assertTrue(ug[1].matches("\\d+"), "a numeric gid: " + user.args());
            assertNotEquals(0, Integer.parseInt(ug[1]), "not the root group");
        }
    }

    /** The uid of the runtime stage's USER (the pods' runAsUser must agree). */
    static long uid() throws Exception {
        return Long.parseLong(dockerfile().runtime().last("USER").args().trim().split(":")[0]);
    }

    @Test
    void exposesExactlyTheConfiguredPorts() throws Exception {
        Config c = Project.serverConfig();
        Set<Integer> configured = new TreeSet<>(List.of(Project.grpcPort(c), Project.arteryPort(c), Project.managementPort(c)));
        Set<Integer> exposed = dockerfile().runtime().all("EXPOSE").stream().flatMap(e -> e.words().stream())
                .map(p -> Integer.parseInt(p.replaceAll("/(tcp|udp)$", ""))).collect(Collectors.toCollection(TreeSet::new));
        assertEquals(configured, exposed,
                "EXPOSE = loopus.server.port, pekko.remote.artery.canonical.port, pekko.management.http.port");
    }

    @Test
    void theBuildContextLeavesOutBuildOutputs() throws Exception {
        Path ignore = Project.root().resolve(".dockerignore");
        assertTrue(Files.isRegularFile(ignore), ".dockerignore");
        List<String> lines = Files.readAllLines(ignore).stream().map(String::strip)
                .filter(l -> !l.isEmpty() && !l.startsWith("#")).toList();
        assertTrue(lines.contains("**/target/") || lines.contains("**/target"), "target folders stay out of the context");
        // what the build stage copies must stay in
        for (Dockerfile.Instruction copy : dockerfile().stages().get(0).all("COPY")) {
            List<String> ops = copy.operands();
            for (String src : ops.subList(0, ops.size() - 1)) {
                String s = src.replaceAll("/$", "");
                for (String l : lines) {
                    assertNotEquals(s, l.replaceAll("/$", ""), ".dockerignore leaves out " + src + ", which the build copies");
                }
            }
        }
    }
}
