package io.loopus.server.k8s;

import io.fabric8.kubernetes.api.model.ConfigMap;
import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.EnvFromSource;
import io.fabric8.kubernetes.api.model.EnvVar;
import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.LabelSelector;
import io.fabric8.kubernetes.api.model.LabelSelectorRequirement;
import io.fabric8.kubernetes.client.utils.KubernetesSerialization;
import org.junit.jupiter.api.Assumptions;

import java.io.IOException;
import java.lang.reflect.Method;
import java.lang.reflect.Modifier;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collection;
import java.util.IdentityHashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;

/** One Kustomize directory rendered by {@code kubectl kustomize} and parsed into fabric8's Kubernetes model. */
final class Rendered {
    final String dir;
    final String yaml;
    final List<HasMetadata> objects;

    private Rendered(String dir, String yaml, List<HasMetadata> objects) {
        this.dir = dir;
        this.yaml = yaml;
        this.objects = objects;
    }

    /** Renders k8s/{dir}; skips the calling test (with the reason) where kubectl is not installed. */
    static Rendered render(String dir) throws Exception {
        Path path = Project.root().resolve("k8s").resolve(dir);
        String yaml = kubectl(List.of("kustomize", path.toString()));
        Object parsed = new KubernetesSerialization().unmarshal(yaml);
        List<HasMetadata> objects = new ArrayList<>();
        if (parsed instanceof Collection<?> c) {
            for (Object o : c) objects.add((HasMetadata) o);
        } else {
            objects.add((HasMetadata) parsed);
        }
        return new Rendered(dir, yaml, objects);
    }

    private static String kubectl(List<String> args) throws Exception {
        List<String> command = new ArrayList<>();
        command.add("kubectl");
        command.addAll(args);
        Process p;
        try {
            p = new ProcessBuilder(command).start();
        } catch (IOException e) {
            Assumptions.abort("kubectl is not installed (" + e.getMessage() + "): the k8s/ manifests are not rendered"
                    + " or checked; install kubectl (with Kustomize v5) to run this test");
            throw e;
        }
        p.getOutputStream().close();
        CompletableFuture<byte[]> out = CompletableFuture.supplyAsync(() -> readAll(p.getInputStream()));
        CompletableFuture<byte[]> err = CompletableFuture.supplyAsync(() -> readAll(p.getErrorStream()));
        if (!p.waitFor(120, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            throw new AssertionError(String.join(" ", command) + ": no answer in 120 s");
        }
        String stdout = new String(out.get(), StandardCharsets.UTF_8);
        String stderr = new String(err.get(), StandardCharsets.UTF_8);
        if (p.exitValue() != 0) {
            throw new AssertionError(String.join(" ", command) + " failed (exit " + p.exitValue() + "):\n" + stderr);
        }
        return stdout;
    }

    private static byte[] readAll(java.io.InputStream in) {
        try (in) {
            return in.readAllBytes();
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    <T extends HasMetadata> List<T> all(Class<T> kind) {
        return objects.stream().filter(kind::isInstance).map(kind::cast).collect(Collectors.toList());
    }

    <T extends HasMetadata> T named(Class<T> kind, String name) {
        List<T> found = all(kind).stream().filter(o -> name.equals(o.getMetadata().getName())).toList();
        if (found.size() != 1) {
            throw new AssertionError(dir + ": " + found.size() + " " + kind.getSimpleName() + " named " + name);
        }
        return found.get(0);
    }

    /** The objects the model did not recognise, as "Kind name". */
    List<String> generic() {
        return objects.stream().filter(o -> o instanceof GenericKubernetesResource)
                .map(o -> o.getKind() + " " + o.getMetadata().getName()).toList();
    }

    /**
     * Every field the model did not know (a misspelt or misplaced key lands in some object's additionalProperties),
     * as "Kind/name: path.key".
     */
    List<String> unknownFields() {
        List<String> found = new ArrayList<>();
        for (HasMetadata o : objects) {
            walk(o, o.getKind() + "/" + o.getMetadata().getName(), found, new IdentityHashMap<>());
        }
        return found;
    }

    private static void walk(Object o, String path, List<String> found, IdentityHashMap<Object, Boolean> seen) {
        if (o == null || seen.put(o, Boolean.TRUE) != null) return;
        if (o instanceof Collection<?> c) {
            int i = 0;
            for (Object e : c) walk(e, path + "[" + i++ + "]", found, seen);
            return;
        }
        if (o instanceof Map<?, ?> m) {
            for (var e : m.entrySet()) walk(e.getValue(), path + "[" + e.getKey() + "]", found, seen);
            return;
        }
        if (!o.getClass().getName().startsWith("io.fabric8.kubernetes.api.model")) return;
        for (Method m : o.getClass().getMethods()) {
            if (m.getParameterCount() != 0 || Modifier.isStatic(m.getModifiers()) || !m.getName().startsWith("get")
                    || m.getDeclaringClass() == Object.class) continue;
            Object value;
            try {
                value = m.invoke(o);
            } catch (ReflectiveOperationException e) {
                continue;
            }
            if (m.getName().equals("getAdditionalProperties")) {
                if (value instanceof Map<?, ?> extra) {
                    for (Object key : extra.keySet()) found.add(path + "." + key);
                }
            } else {
                String field = Character.toLowerCase(m.getName().charAt(3)) + m.getName().substring(4);
                walk(value, path + "." + field, found, seen);
            }
        }
    }

    /**
     * A container's environment as the kubelet would give it: envFrom ConfigMaps (resolved in this rendering), then
     * env; a value from the downward API stands as "fieldRef:PATH".
     */
    Map<String, String> environment(Container c) {
        Map<String, String> env = new LinkedHashMap<>();
        if (c.getEnvFrom() != null) {
            for (EnvFromSource from : c.getEnvFrom()) {
                if (from.getConfigMapRef() == null) throw new AssertionError("envFrom other than a ConfigMap: " + from);
                ConfigMap cm = named(ConfigMap.class, from.getConfigMapRef().getName());
                String prefix = from.getPrefix() == null ? "" : from.getPrefix();
                cm.getData().forEach((k, v) -> env.put(prefix + k, v));
            }
        }
        if (c.getEnv() != null) {
            for (EnvVar v : c.getEnv()) {
                if (v.getValue() != null) {
                    env.put(v.getName(), v.getValue());
                } else if (v.getValueFrom() != null && v.getValueFrom().getFieldRef() != null) {
                    env.put(v.getName(), "fieldRef:" + v.getValueFrom().getFieldRef().getFieldPath());
                } else if (v.getValueFrom() != null && v.getValueFrom().getConfigMapKeyRef() != null) {
                    var ref = v.getValueFrom().getConfigMapKeyRef();
                    env.put(v.getName(), named(ConfigMap.class, ref.getName()).getData().get(ref.getKey()));
                } else {
                    env.put(v.getName(), "");
                }
            }
        }
        return env;
    }

    /** Kubernetes' $(VAR) expansion of command and args. */
    static String expand(String arg, Map<String, String> env) {
        StringBuilder out = new StringBuilder();
        for (int i = 0; i < arg.length(); i++) {
            if (arg.startsWith("$(", i)) {
                int end = arg.indexOf(')', i);
                if (end > 0 && env.containsKey(arg.substring(i + 2, end))) {
                    out.append(env.get(arg.substring(i + 2, end)));
                    i = end;
                    continue;
                }
            }
            out.append(arg.charAt(i));
        }
        return out.toString();
    }

    /** Whether a label selector (matchLabels and matchExpressions) selects these labels. */
    static boolean selects(LabelSelector selector, Map<String, String> labels) {
        if (selector == null) return false;
        if (selector.getMatchLabels() != null && !selects(selector.getMatchLabels(), labels)) return false;
        if (selector.getMatchExpressions() != null) {
            for (LabelSelectorRequirement r : selector.getMatchExpressions()) {
                String v = labels.get(r.getKey());
                boolean ok = switch (r.getOperator()) {
                    case "In" -> v != null && r.getValues().contains(v);
                    case "NotIn" -> v == null || !r.getValues().contains(v);
                    case "Exists" -> v != null;
                    case "DoesNotExist" -> v == null;
                    default -> throw new AssertionError("operator " + r.getOperator());
                };
                if (!ok) return false;
            }
        }
        return true;
    }

    /** Whether an equality selector (a Service's, or matchLabels) selects these labels; an empty one selects none. */
    static boolean selects(Map<String, String> selector, Map<String, String> labels) {
        if (selector == null || selector.isEmpty()) return false;
        return selector.entrySet().stream().allMatch(e -> e.getValue().equals(labels.get(e.getKey())));
    }

    /** "k=v,k2=v2" (the form of pekko's pod-label-selector) as a map; set-based selectors are not expected here. */
    static Map<String, String> parseEqualitySelector(String s) {
        Map<String, String> m = new LinkedHashMap<>();
        for (String part : s.split(",")) {
            String[] kv = part.trim().split("==?", 2);
            if (kv.length != 2) throw new AssertionError("not an equality selector: " + s);
            m.put(kv[0].trim(), kv[1].trim());
        }
        return m;
    }

    static Set<String> keys(Map<String, ?> m) {
        return m == null ? Set.of() : m.keySet();
    }
}
