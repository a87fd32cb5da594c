package io.loopus.worker.gpu;

import jcuda.CudaException;
import jcuda.driver.CUfunction;
import jcuda.driver.CUmodule;
import jcuda.driver.JCudaDriver;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The loopus kernels of one device: the PTX that the build compiled from {@code src/main/cuda/*.cu}
 * (the worker's {@code ptx} profile), loaded from the classpath through the driver API
 * ({@code cuModuleLoadData}), which JIT-compiles it for the device at hand.
 *
 * <p>nvcc writes the PTX ISA version of its own release (9.0 for CUDA 13); a driver older than that
 * refuses it even though the kernels use nothing new. Such a load is retried once with the version
 * lowered to 8.0 (CUDA 12.0, the first to know sm_90), and that is reported.
 */
final class PtxModules {
    /** Every CUDA source of the worker, by file name without .cu (a test checks the list against the folder). */
    static final List<String> SOURCES = List.of("elementwise", "norm", "rope", "attention", "gemm");
    static final String FALLBACK_PTX_VERSION = "8.0";
    private static final Pattern VERSION = Pattern.compile("(?m)^\\.version\\s+(\\d+\\.\\d+)");
    private static boolean versionNoted;

    private final List<CUmodule> modules = new ArrayList<>();
    private final Map<String, CUfunction> functions = new HashMap<>();
    private final CudaContext context;

    PtxModules(CudaContext context) {
        this.context = context;
        context.makeCurrent();
        for (String name : SOURCES) modules.add(load(name, ptx(name)));
    }

    /** The PTX text of one source from the classpath; a clear error when the build had no nvcc. */
    static String ptx(String name) {
        String resource = "/cuda/" + name + ".ptx";
        try (InputStream in = PtxModules.class.getResourceAsStream(resource)) {
            if (in == null) {
                throw new CudaUnavailableException("this build has no CUDA kernels (" + resource.substring(1)
                        + " is not on the classpath): build the worker where nvcc is (its ptx profile)");
            }
            return new String(in.readAllBytes(), StandardCharsets.US_ASCII);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + resource, e);
        }
    }

    private CUmodule load(String name, String ptx) {
        CUmodule module = new CUmodule();
        try {
            JCudaDriver.cuModuleLoadData(module, terminated(ptx));
            return module;
        } catch (CudaException e) {
            if (!String.valueOf(e.getMessage()).contains("UNSUPPORTED_PTX_VERSION")) {
                throw new CudaUnavailableException(context.name() + ": cannot load the kernels of " + name + ".cu: " + e.getMessage(), e);
            }
        }
        String lowered = withVersion(ptx, FALLBACK_PTX_VERSION);
        noteVersion(ptx);
        try {
            JCudaDriver.cuModuleLoadData(module, terminated(lowered));
            return module;
        } catch (CudaException e) {
            throw new CudaUnavailableException(context.name() + ": the driver refuses the kernels of " + name
                    + ".cu (PTX " + version(ptx) + ", and as " + FALLBACK_PTX_VERSION + "): " + e.getMessage(), e);
        }
    }

    private static synchronized void noteVersion(String ptx) {
        if (versionNoted) return;
        versionNoted = true;
        System.err.println("loopus: this driver is older than the nvcc that built the kernels (PTX " + version(ptx)
                + "); loading them as PTX " + FALLBACK_PTX_VERSION);
    }

    static String version(String ptx) {
        Matcher m = VERSION.matcher(ptx);
        return m.find() ? m.group(1) : "?";
    }

    static String withVersion(String ptx, String version) {
        return VERSION.matcher(ptx).replaceFirst(".version " + version);
    }

    /** cuModuleLoadData reads PTX as a C string. */
    private static byte[] terminated(String ptx) {
        byte[] b = ptx.getBytes(StandardCharsets.US_ASCII);
        return Arrays.copyOf(b, b.length + 1);
    }

    /** The kernel {@code name} from whichever module defines it. */
    synchronized CUfunction function(String name) {
        CUfunction f = functions.get(name);
        if (f != null) return f;
        for (CUmodule m : modules) {
            CUfunction candidate = new CUfunction();
            try {
                JCudaDriver.cuModuleGetFunction(candidate, m, name);
            } catch (CudaException e) {
                continue; // CUDA_ERROR_NOT_FOUND: another module's
            }
            functions.put(name, candidate);
            return candidate;
        }
        throw new IllegalStateException("no kernel " + name + " in " + SOURCES);
    }
}
