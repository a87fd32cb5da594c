package io.loopus.server.k8s;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import com.typesafe.config.ConfigResolveOptions;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/** The project's files the deployment tests read: its root, and the server's configuration as a pod would see it. */
final class Project {
    private Project() {}

    /** The project root (holds mvnw, k8s/ and the Dockerfile); the tests run in server/. */
    static Path root() {
        for (Path p = Path.of("").toAbsolutePath(); p != null; p = p.getParent()) {
            if (Files.isRegularFile(p.resolve("mvnw")) && Files.isDirectory(p.resolve("server"))) return p;
        }
        throw new IllegalStateException("no project root above " + Path.of("").toAbsolutePath());
    }

    static Path resources() {
        return root().resolve("server/src/main/resources");
    }

    /**
     * The settings a cluster node runs with: cluster.conf over reference.conf, with the given environment standing in
     * for the process's (the ${?LOOPUS_...} substitutions), and optionally a --config file on top.
     */
    static Config serverConfig(Map<String, String> env, Config configFile) {
        Config reference = ConfigFactory.parseFile(resources().resolve("reference.conf").toFile());
        Config cluster = ConfigFactory.parseFile(resources().resolve("cluster.conf").toFile());
        Config vars = ConfigFactory.parseMap(env);   // root-level keys named like the variables
        return configFile.withFallback(serveVariables(env)).withFallback(vars).withFallback(cluster).withFallback(reference)
                .resolve(ConfigResolveOptions.noSystem());
    }

    /** The LOOPUS_* variables ServeCommand reads into loopus.server (below --config FILE and flags). */
    private static Config serveVariables(Map<String, String> env) {
        Map<String, Object> m = new HashMap<>();
        Map.of("LOOPUS_HOST", "host", "LOOPUS_PORT", "port", "LOOPUS_BATCHING", "batching",
                "LOOPUS_KV_TOKENS", "kv-tokens", "LOOPUS_QUEUE_LIMIT", "queue-limit").forEach((var, key) -> {
            String v = env.get(var);
            if (v != null && !v.isBlank()) m.put("loopus.server." + key, v);
        });
        String devices = env.get("LOOPUS_DEVICES");
        if (devices != null && !devices.isBlank()) m.put("loopus.server.devices", List.of(devices.split(",")));
        return ConfigFactory.parseMap(m);
    }

    /** The defaults: no environment, no --config file. */
    static Config serverConfig() {
        return serverConfig(Map.of(), ConfigFactory.empty());
    }

    static int grpcPort(Config c) {
        return c.getInt("loopus.server.port");
    }

    static int arteryPort(Config c) {
        return c.getInt("pekko.remote.artery.canonical.port");
    }

    static int managementPort(Config c) {
        return c.getInt("pekko.management.http.port");
    }
}
