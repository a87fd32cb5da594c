package io.loopus.server.k8s;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import io.fabric8.kubernetes.api.model.ConfigMap;
import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.ContainerPort;
import io.fabric8.kubernetes.api.model.HTTPGetAction;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.IntOrString;
import io.fabric8.kubernetes.api.model.PersistentVolumeClaim;
import io.fabric8.kubernetes.api.model.PodSpec;
import io.fabric8.kubernetes.api.model.Probe;
import io.fabric8.kubernetes.api.model.Quantity;
import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.api.model.ServiceAccount;
import io.fabric8.kubernetes.api.model.ServicePort;
import io.fabric8.kubernetes.api.model.Toleration;
import io.fabric8.kubernetes.api.model.Volume;
import io.fabric8.kubernetes.api.model.VolumeMount;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.api.model.policy.v1.PodDisruptionBudget;
import io.fabric8.kubernetes.api.model.rbac.PolicyRule;
import io.fabric8.kubernetes.api.model.rbac.Role;
import io.fabric8.kubernetes.api.model.rbac.RoleBinding;
import io.fabric8.kubernetes.api.model.rbac.Subject;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.concurrent.ConcurrentHashMap;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * k8s/ rendered with {@code kubectl kustomize} (the base and both overlays) and parsed into fabric8's Kubernetes
 * model, checked against the server's configuration (reference.conf, cluster.conf) as each pod's environment and
 * --config file make it: a workload per role running `serve --role`, ports, probes, bootstrap discovery, RBAC,
 * disruption budgets, the gRPC Service, and the GPU requests of the gpu overlay.
 */
class K8sManifestsTest {
    private static final String COMPONENT = "app.kubernetes.io/component";
    private static final Set<String> STAGES = Set.of("encoder", "loop", "decoder");
    private static final String GPU = "nvidia.com/gpu";
    private static final Map<String, Rendered> RENDERED = new ConcurrentHashMap<>();

    private static Rendered rendered(String dir) throws Exception {
        Rendered r = RENDERED.get(dir);
        if (r == null) {
            r = Rendered.render(dir);
            RENDERED.put(dir, r);
        }
        return r;
    }

    /** The node roles cluster mode knows (cluster.conf's default: every role on one node). */
    private static List<String> roles() {
        return Project.serverConfig().getStringList("loopus.cluster.roles");
    }

    private static Container container(Deployment d) {
        List<Container> cs = d.getSpec().getTemplate().getSpec().getContainers();
        assertEquals(1, cs.size(), d.getMetadata().getName() + ": one container");
        return cs.get(0);
    }

    private static PodSpec pod(Deployment d) {
        return d.getSpec().getTemplate().getSpec();
    }

    private static Map<String, String> podLabels(Deployment d) {
        return d.getSpec().getTemplate().getMetadata().getLabels();
    }

    /** The value after a flag in the container's args (expanded), or null. */
    private static String arg(Rendered r, Container c, String flag) {
        List<String> args = args(r, c);
        int i = args.indexOf(flag);
        return i < 0 || i + 1 >= args.size() ? null : args.get(i + 1);
    }

    private static List<String> args(Rendered r, Container c) {
        Map<String, String> env = r.environment(c);
        List<String> all = new ArrayList<>();
        if (c.getCommand() != null) c.getCommand().forEach(a -> all.add(Rendered.expand(a, env)));
        if (c.getArgs() != null) c.getArgs().forEach(a -> all.add(Rendered.expand(a, env)));
        return all;
    }

    /** The deployment of each role, by its component label; exactly one per role. */
    private static Map<String, Deployment> byRole(Rendered r) {
        Map<String, Deployment> m = new TreeMap<>();
        for (Deployment d : r.all(Deployment.class)) {
            String role = podLabels(d).get(COMPONENT);
            assertNotNull(role, d.getMetadata().getName() + ": pods labelled " + COMPONENT);
            assertNull(m.put(role, d), r.dir + ": two deployments of role " + role);
        }
        return m;
    }

    /** The volume mounted at the deepest mount path that holds this file path, with the path inside it. */
    private static Map.Entry<Volume, String> volumeOf(Deployment d, String path) {
        VolumeMount best = null;
        for (VolumeMount m : container(d).getVolumeMounts()) {
            String mp = m.getMountPath().replaceAll("/$", "");
            if ((path.equals(mp) || path.startsWith(mp + "/")) && (best == null || mp.length() > best.getMountPath().length())) {
                best = m;
            }
        }
        if (best == null) fail(d.getMetadata().getName() + ": nothing mounted at " + path);
        VolumeMount mount = best;
        Volume v = pod(d).getVolumes().stream().filter(x -> x.getName().equals(mount.getName())).findFirst()
                .orElseThrow(() -> new AssertionError("no volume " + mount.getName()));
        String inside = path.substring(Math.min(path.length(), mount.getMountPath().replaceAll("/$", "").length() + 1));
        if (mount.getSubPath() != null && !mount.getSubPath().isEmpty()) inside = mount.getSubPath();
        return Map.entry(v, inside);
    }

    private static boolean readOnly(Deployment d, Volume v) {
        return container(d).getVolumeMounts().stream().anyMatch(m -> m.getName().equals(v.getName())
                && Boolean.TRUE.equals(m.getReadOnly()));
    }

    /** The --config file of a pod: the key of its mounted ConfigMap, parsed as HOCON. */
    private static Config configFile(Rendered r, Deployment d) {
        String path = arg(r, container(d), "--config");
        if (path == null) return ConfigFactory.empty();
        var vol = volumeOf(d, path);
        assertNotNull(vol.getKey().getConfigMap(), d.getMetadata().getName() + ": --config " + path + " from a ConfigMap");
        ConfigMap cm = r.named(ConfigMap.class, vol.getKey().getConfigMap().getName());
        String key = vol.getValue();
        if (vol.getKey().getConfigMap().getItems() != null && !vol.getKey().getConfigMap().getItems().isEmpty()) {
            key = vol.getKey().getConfigMap().getItems().stream().filter(i -> i.getPath().equals(vol.getValue()))
                    .findFirst().orElseThrow().getKey();
        }
        String text = cm.getData().get(key);
        assertNotNull(text, cm.getMetadata().getName() + " has " + key);
        return ConfigFactory.parseString(text);
    }

    /** The settings this pod's server runs with: its environment and --config file over cluster.conf and reference.conf. */
    private static Config effective(Rendered r, Deployment d) {
        return Project.serverConfig(r.environment(container(d)), configFile(r, d));
    }

    /** The gRPC port as ServeCommand picks it: --port, else the settings. */
    private static int grpcPort(Rendered r, Deployment d) {
        String flag = arg(r, container(d), "--port");
        return flag != null ? Integer.parseInt(flag) : Project.grpcPort(effective(r, d));
    }

    private static ContainerPort port(Container c, String name) {
        return c.getPorts() == null ? null
                : c.getPorts().stream().filter(p -> name.equals(p.getName())).findFirst().orElse(null);
    }

    /** A probe's or service's target port as a number (a name resolved against the container's ports). */
    private static int resolve(Container c, IntOrString port) {
        if (port.getIntVal() != null) return port.getIntVal();
        ContainerPort named = port(c, port.getStrVal());
        assertNotNull(named, c.getName() + ": no container port named " + port.getStrVal());
        return named.getContainerPort();
    }

    // ---------------------------------------------------------------------------------------------------------------

    @ParameterizedTest
    @ValueSource(strings = {"base", "overlays/cpu", "overlays/gpu"})
    void everyManifestParsesIntoTheKubernetesModel(String dir) throws Exception {
        Rendered r = rendered(dir);
        assertEquals(List.of(), r.generic(), dir + ": kinds the Kubernetes model does not know");
        assertEquals(List.of(), r.unknownFields(), dir + ": fields the Kubernetes model does not know");
        Map<String, Integer> kinds = new TreeMap<>();
        for (HasMetadata o : r.objects) {
            kinds.merge(o.getKind(), 1, Integer::sum);
            assertNull(o.getMetadata().getNamespace(), dir + ": namespace-agnostic, yet " + o.getKind() + " "
                    + o.getMetadata().getName() + " names one");
        }
        assertEquals(new TreeMap<>(Map.of("ConfigMap", 2, "Deployment", 4, "PersistentVolumeClaim", 1,
                "PodDisruptionBudget", 4, "Role", 1, "RoleBinding", 1, "Service", 2, "ServiceAccount", 1)), kinds, dir);
        for (Deployment d : r.all(Deployment.class)) {
            assertTrue(Rendered.selects(d.getSpec().getSelector(), podLabels(d)),
                    d.getMetadata().getName() + ": its selector selects its own pods");
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"base", "overlays/cpu", "overlays/gpu"})
    void oneWorkloadPerRoleServesThatRole(String dir) throws Exception {
        Rendered r = rendered(dir);
        Map<String, Deployment> byRole = byRole(r);
        assertEquals(new TreeSet<>(roles()), byRole.keySet(), "a workload per role of cluster.conf");
        Set<String> served = new HashSet<>();
        for (var e : byRole.entrySet()) {
            Deployment d = e.getValue();
            String name = d.getMetadata().getName();
            List<String> args = args(r, container(d));
            assertEquals("serve", args.get(0), name + ": runs serve: " + args);
            String roleArg = arg(r, container(d), "--role");
            assertNotNull(roleArg, name + ": --role");
            List<String> itsRoles = Arrays.asList(roleArg.split(","));
            assertTrue(itsRoles.contains(e.getKey()), name + ": --role " + roleArg + " includes " + e.getKey());
            assertTrue(roles().containsAll(itsRoles), name + ": --role " + roleArg + " names known roles " + roles());
            served.addAll(itsRoles);
            assertEquals("0.0.0.0", arg(r, container(d), "--host"), name + ": listens beyond loopback");
            assertTrue(d.getSpec().getReplicas() == null || d.getSpec().getReplicas() >= 1, name + ": replicas");

            // the model: --model under a read-only mount of the loopus-models claim
            String model = arg(r, container(d), "--model");
            assertNotNull(model, name + ": --model");
            assertFalse(model.contains("$("), name + ": --model " + model + " expands");
            var vol = volumeOf(d, model);
            assertNotNull(vol.getKey().getPersistentVolumeClaim(), name + ": the model from a PersistentVolumeClaim");
            String claim = vol.getKey().getPersistentVolumeClaim().getClaimName();
            assertEquals("loopus-models", claim);
            r.named(PersistentVolumeClaim.class, claim);
            assertTrue(readOnly(d, vol.getKey()), name + ": the model volume mounted read-only");
            assertTrue(model.startsWith("/models/"), name + ": --model " + model);
        }
        assertEquals(new HashSet<>(roles()), served, "every role is served somewhere");
        assertTrue(byRole.get("loop").getSpec().getReplicas() >= 2,
                "two loop nodes, so losing one leaves a pipeline (failover)");
    }

    @ParameterizedTest
    @ValueSource(strings = {"base", "overlays/cpu", "overlays/gpu"})
    void containerPortsAgreeWithTheServerConfiguration(String dir) throws Exception {
        Rendered r = rendered(dir);
        for (var e : byRole(r).entrySet()) {
            Deployment d = e.getValue();
            Container c = container(d);
            String name = d.getMetadata().getName();
            Config conf = effective(r, d);

            ContainerPort remoting = port(c, "remoting");
            assertNotNull(remoting, name + ": a port named remoting");
            assertEquals(Project.arteryPort(conf), remoting.getContainerPort(), name + ": Artery's canonical port");
            ContainerPort management = port(c, "management");
            // kubernetes-api discovery finds a pod's management endpoint by this port name (pod-port-name)
            assertNotNull(management, name + ": a port named management");
            assertEquals(Project.managementPort(conf), management.getContainerPort(), name + ": Pekko Management's port");

            ContainerPort grpc = port(c, "grpc");
            boolean frontend = Arrays.asList(arg(r, c, "--role").split(",")).contains("frontend");
            if (frontend) {
                assertNotNull(grpc, name + ": the frontend exposes gRPC");
                assertEquals(grpcPort(r, d), grpc.getContainerPort(), name + ": loopus.server.port");
            } else {
                assertNull(grpc, name + ": only a frontend exposes gRPC");
            }
            for (ContainerPort p : c.getPorts()) {
                assertTrue(p.getProtocol() == null || p.getProtocol().equals("TCP"), name + ": TCP (Artery on TCP)");
            }

            // the addresses the configuration makes the node use
            assertEquals("fieldRef:status.podIP", conf.getString("pekko.remote.artery.canonical.hostname"),
                    name + ": Artery advertises the pod's IP (LOOPUS_ARTERY_HOST from the downward API)");
            assertEquals("0.0.0.0", conf.getString("pekko.management.http.hostname"),
                    name + ": management listens on every interface, for the kubelet's probes and bootstrap");
            assertEquals("tcp", conf.getString("pekko.remote.artery.transport"));
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"base", "overlays/cpu", "overlays/gpu"})
    void probesHitTheManagementEndpoints(String dir) throws Exception {
        Rendered r = rendered(dir);
        for (Deployment d : r.all(Deployment.class)) {
            Container c = container(d);
            String name = d.getMetadata().getName();
            int management = Project.managementPort(effective(r, d));
            Map<String, Probe> probes = new TreeMap<>();
            probes.put("readiness", c.getReadinessProbe());
            probes.put("liveness", c.getLivenessProbe());
            if (c.getStartupProbe() != null) probes.put("startup", c.getStartupProbe());
            Map<String, String> paths = Map.of("readiness", "/ready", "liveness", "/alive", "startup", "/alive");
            for (var p : probes.entrySet()) {
                assertNotNull(p.getValue(), name + ": a " + p.getKey() + " probe");
                HTTPGetAction get = p.getValue().getHttpGet();
                assertNotNull(get, name + ": " + p.getKey() + " over HTTP");
                assertEquals(paths.get(p.getKey()), get.getPath(), name + ": " + p.getKey() + " path");
                assertEquals(management, resolve(c, get.getPort()), name + ": " + p.getKey() + " on the management port");
                assertTrue(get.getScheme() == null || get.getScheme().equals("HTTP"), name + ": plain HTTP");
            }
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"base", "overlays/cpu", "overlays/gpu"})
    void bootstrapDiscoversEveryPod(String dir) throws Exception {
        Rendered r = rendered(dir);
        List<Deployment> deployments = r.all(Deployment.class);
        int pods = deployments.stream().mapToInt(d -> d.getSpec().getReplicas() == null ? 1 : d.getSpec().getReplicas()).sum();
        Map<String, String> selector = null;
        for (Deployment d : deployments) {
            String name = d.getMetadata().getName();
            Config conf = effective(r, d);
            assertEquals("kubernetes", conf.getString("loopus.cluster.bootstrap"), name + ": LOOPUS_BOOTSTRAP=kubernetes");
            assertEquals("kubernetes-api",
                    conf.getString("pekko.management.cluster.bootstrap.contact-point-discovery.discovery-method"));
            String service = conf.getString("pekko.management.cluster.bootstrap.contact-point-discovery.service-name");
            Map<String, String> s = Rendered.parseEqualitySelector(
                    String.format(conf.getString("pekko.discovery.kubernetes-api.pod-label-selector"), service));
            if (selector == null) selector = s;
            assertEquals(selector, s, name + ": every pod discovers with the same label selector");
            assertTrue(Rendered.selects(s, podLabels(d)), name + ": its pods carry the bootstrap labels " + s);
            int required = conf.getInt("pekko.management.cluster.bootstrap.contact-point-discovery.required-contact-point-nr");
            assertTrue(required >= 1 && required <= pods,
                    name + ": required contact points " + required + " within the " + pods + " pods deployed");
        }
        // the headless service of bootstrap: every pod, ready or not, by the same selector, on the management port
        Service headless = r.all(Service.class).stream().filter(s -> "None".equals(s.getSpec().getClusterIP()))
                .findFirst().orElseThrow(() -> new AssertionError(dir + ": a headless Service"));
        assertEquals(selector, headless.getSpec().getSelector(), "the headless service selects by the bootstrap selector");
        assertEquals(Boolean.TRUE, headless.getSpec().getPublishNotReadyAddresses(),
                "pods are listed before they are ready (they become ready only after joining)");
        ServicePort mp = headless.getSpec().getPorts().stream().filter(p -> "management".equals(p.getName())).findFirst()
                .orElseThrow(() -> new AssertionError("the headless service has a port named management"));
        for (Deployment d : deployments) {
            assertTrue(Rendered.selects(headless.getSpec().getSelector(), podLabels(d)), d.getMetadata().getName());
            int management = Project.managementPort(effective(r, d));
            assertEquals(management, mp.getPort());
            assertEquals(management, resolve(container(d), mp.getTargetPort()));
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"base", "overlays/cpu", "overlays/gpu"})
    void rbacLetsThePodsServiceAccountReadPods(String dir) throws Exception {
        Rendered r = rendered(dir);
        for (Deployment d : r.all(Deployment.class)) {
            PodSpec pod = pod(d);
            String account = pod.getServiceAccountName();
            assertNotNull(account, d.getMetadata().getName() + ": a service account of its own");
            assertNotEquals("default", account);
            ServiceAccount sa = r.named(ServiceAccount.class, account);
            assertNotEquals(Boolean.FALSE, pod.getAutomountServiceAccountToken(), "bootstrap needs the token");
            if (pod.getAutomountServiceAccountToken() == null) {
                assertNotEquals(Boolean.FALSE, sa.getAutomountServiceAccountToken(), "bootstrap needs the token");
            }
            Set<String> verbs = new HashSet<>();
            for (RoleBinding b : r.all(RoleBinding.class)) {
                boolean bindsIt = false;
                for (Subject s : b.getSubjects()) {
                    bindsIt |= "ServiceAccount".equals(s.getKind()) && account.equals(s.getName())
                            && (s.getNamespace() == null || s.getNamespace().isEmpty());
                }
                if (!bindsIt || !"Role".equals(b.getRoleRef().getKind())) continue;
                Role role = r.named(Role.class, b.getRoleRef().getName());
                for (PolicyRule rule : role.getRules()) {
                    if (rule.getApiGroups().contains("") && rule.getResources().contains("pods")) verbs.addAll(rule.getVerbs());
                }
            }
            assertTrue(verbs.containsAll(Set.of("get", "watch", "list")),
                    d.getMetadata().getName() + ": " + account + " may get, watch and list pods, has " + verbs);
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"base", "overlays/cpu", "overlays/gpu"})
    void aDisruptionBudgetPerRole(String dir) throws Exception {
        Rendered r = rendered(dir);
        Map<String, Deployment> byRole = byRole(r);
        for (var e : byRole.entrySet()) {
            List<PodDisruptionBudget> covering = r.all(PodDisruptionBudget.class).stream()
                    .filter(p -> Rendered.selects(p.getSpec().getSelector(), podLabels(e.getValue()))).toList();
            assertEquals(1, covering.size(), e.getKey() + ": one PodDisruptionBudget selects its pods");
            PodDisruptionBudget pdb = covering.get(0);
            for (var other : byRole.entrySet()) {
                if (other.getKey().equals(e.getKey())) continue;
                assertFalse(Rendered.selects(pdb.getSpec().getSelector(), podLabels(other.getValue())),
                        pdb.getMetadata().getName() + " selects only " + e.getKey());
            }
            assertTrue(pdb.getSpec().getMaxUnavailable() != null || pdb.getSpec().getMinAvailable() != null,
                    pdb.getMetadata().getName() + ": a budget");
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"base", "overlays/cpu", "overlays/gpu"})
    void theFrontendServiceCarriesGrpc(String dir) throws Exception {
        Rendered r = rendered(dir);
        Map<String, Deployment> byRole = byRole(r);
        Service svc = r.all(Service.class).stream().filter(s -> !"None".equals(s.getSpec().getClusterIP()))
                .findFirst().orElseThrow(() -> new AssertionError("the frontend Service"));
        assertTrue(svc.getSpec().getType() == null || svc.getSpec().getType().equals("ClusterIP"), "ClusterIP");
        for (var e : byRole.entrySet()) {
            assertEquals(e.getKey().equals("frontend"), Rendered.selects(svc.getSpec().getSelector(), podLabels(e.getValue())),
                    svc.getMetadata().getName() + " selects the frontend pods only (" + e.getKey() + ")");
        }
        Deployment frontend = byRole.get("frontend");
        int grpc = grpcPort(r, frontend);
        assertEquals(1, svc.getSpec().getPorts().size());
        ServicePort p = svc.getSpec().getPorts().get(0);
        assertEquals("grpc", p.getName());
        assertEquals(grpc, p.getPort());
        assertEquals(grpc, resolve(container(frontend), p.getTargetPort()));
    }

    @ParameterizedTest
    @ValueSource(strings = {"base", "overlays/cpu", "overlays/gpu"})
    void podsRunAsTheImagesUserWithTheirSettingsFile(String dir) throws Exception {
        Rendered r = rendered(dir);
        long uid = DockerfileTest.uid();
        for (Deployment d : r.all(Deployment.class)) {
            String name = d.getMetadata().getName();
            PodSpec pod = pod(d);
            assertEquals(Boolean.TRUE, pod.getSecurityContext().getRunAsNonRoot(), name + ": runAsNonRoot");
            assertEquals(uid, pod.getSecurityContext().getRunAsUser(), name + ": the Dockerfile's USER");
            // Kubernetes' service links would put e.g. LOOPUS_PORT=tcp://... into the environment for a Service
            // named loopus, and the server reads LOOPUS_PORT
            assertEquals(Boolean.FALSE, pod.getEnableServiceLinks(), name + ": enableServiceLinks: false");
            var sc = container(d).getSecurityContext();
            assertEquals(Boolean.FALSE, sc.getAllowPrivilegeEscalation(), name);
            if (Boolean.TRUE.equals(sc.getReadOnlyRootFilesystem())) {
                // the home folder holds the native-library caches (JavaCPP, DJL); the JVM writes to /tmp
                assertNotNull(volumeOf(d, "/tmp/x").getKey().getEmptyDir(), name + ": a writable /tmp");
                assertNotNull(volumeOf(d, "/home/loopus/x").getKey().getEmptyDir(), name + ": a writable home");
            }

            // --config: a ConfigMap; valid HOCON that leaves alone what the environment and flags set
            assertEquals("/etc/loopus/application.conf", arg(r, container(d), "--config"), name);
            Config file = configFile(r, d);
            assertTrue(file.hasPath("loopus.server"), name + ": application.conf holds loopus.server settings");
            for (String key : List.of("loopus.server.host", "loopus.server.port", "loopus.server.devices",
                    "pekko.remote.artery.canonical", "pekko.management.http", "loopus.cluster.bootstrap")) {
                assertFalse(file.hasPath(key), name + ": application.conf sets " + key
                        + ", which would override what the manifests set through flags and LOOPUS_* variables");
            }
            // every loopus.server key it sets is one the server knows
            Config reference = Project.serverConfig().getConfig("loopus.server");
            for (var e : file.getConfig("loopus.server").entrySet()) {
                assertTrue(reference.hasPath(e.getKey()), name + ": application.conf sets unknown loopus.server." + e.getKey());
            }
            file.resolve();
        }
    }

    @Test
    void theGpuOverlayPutsOneGpuOnEveryStagePodAndNoneOnTheFrontend() throws Exception {
        Rendered r = rendered("overlays/gpu");
        for (var e : byRole(r).entrySet()) {
            Deployment d = e.getValue();
            String name = d.getMetadata().getName();
            Container c = container(d);
            Map<String, Quantity> limits = c.getResources().getLimits();
            Map<String, Quantity> requests = c.getResources().getRequests();
            boolean stage = Arrays.stream(arg(r, c, "--role").split(",")).anyMatch(STAGES::contains);
            if (stage) {
                assertEquals(new Quantity("1"), limits.get(GPU), name + ": limits nvidia.com/gpu 1");
                if (requests != null && requests.containsKey(GPU)) {
                    assertEquals(new Quantity("1"), requests.get(GPU), name + ": requests = limits for a GPU");
                }
                assertEquals("true", pod(d).getNodeSelector().get("nvidia.com/gpu.present"), name + ": on GPU nodes");
                List<Toleration> tolerations = pod(d).getTolerations();
                assertTrue(tolerations != null && tolerations.stream().anyMatch(t -> GPU.equals(t.getKey())
                        && ("Exists".equals(t.getOperator()) || t.getValue() != null)), name + ": tolerates nvidia.com/gpu");
                // each stage on the pod's one GPU (LOOPUS_DEVICES: encoder, loop, decoder)
                assertNotNull(r.environment(c).get("LOOPUS_DEVICES"), name + ": LOOPUS_DEVICES");
                List<String> devices = effective(r, d).getStringList("loopus.server.devices");
                assertEquals(3, devices.size(), name + ": a device per stage: " + devices);
                for (String dev : devices) assertEquals("cuda:0", dev, name + ": the pod's one GPU: " + devices);
            } else {
                assertFalse(limits != null && limits.containsKey(GPU), name + ": no GPU on the frontend");
                assertFalse(requests != null && requests.containsKey(GPU), name + ": no GPU on the frontend");
                assertNull(r.environment(c).get("LOOPUS_DEVICES"), name);
            }
            assertNotNull(requests.get("cpu"), name + ": still requests CPU");
            assertNotNull(requests.get("memory"), name + ": and memory");
        }
    }

    @Test
    void theCpuOverlayRequestsCpuAndMemoryAndNoGpu() throws Exception {
        Rendered r = rendered("overlays/cpu");
        for (Deployment d : r.all(Deployment.class)) {
            String name = d.getMetadata().getName();
            Container c = container(d);
            Map<String, Quantity> limits = c.getResources().getLimits();
            Map<String, Quantity> requests = c.getResources().getRequests();
            for (String res : List.of("cpu", "memory")) {
                assertNotNull(requests.get(res), name + ": requests " + res);
                assertNotNull(limits.get(res), name + ": limits " + res);
            }
            assertFalse(limits.containsKey(GPU) || requests.containsKey(GPU), name + ": no GPU");
            assertTrue(pod(d).getNodeSelector() == null || pod(d).getNodeSelector().isEmpty(), name + ": any node");
            for (String dev : effective(r, d).getStringList("loopus.server.devices")) {
                assertTrue(dev.startsWith("cpu:"), name + ": " + dev);
            }
        }
    }
}
